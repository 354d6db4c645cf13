/// Builds the Prometheus text exposition format (version 0.0.4): per metric a `# HELP` and a
/// `# TYPE` line, then one sample per label set.
struct PrometheusText {
    enum MetricType: String {
        case gauge
        case counter
    }

    private(set) var text = ""

    /// Adds a metric with its samples; a metric without samples is left out.
    mutating func add(_ name: String, _ type: MetricType, help: String, samples: [([(String, String)], Double)]) {
        guard !samples.isEmpty else { return }
        text += "# HELP \(name) \(Self.escapeHelp(help))\n"
        text += "# TYPE \(name) \(type.rawValue)\n"
        for (labels, value) in samples {
            text += name
            if !labels.isEmpty {
                text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(Self.format(value))\n"
        }
    }

    /// Adds a metric with one unlabelled sample.
    mutating func add(_ name: String, _ type: MetricType, help: String, value: Double) {
        add(name, type, help: help, samples: [([], value)])
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, other values as Swift prints them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
