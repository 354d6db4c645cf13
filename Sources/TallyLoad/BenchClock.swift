#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in nanoseconds, comparable between processes on one machine: the benchmark
/// stamps it into the `x-bench-sent-ns` header of a command and compares it with the time a
/// result arrives.
public enum BenchClock {
    /// The header that carries a command's send time, in nanoseconds since 1970 (UTC).
    public static let sentHeader = "x-bench-sent-ns"

    public static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// Percentiles of a set of durations, nearest rank.
public struct LatencySummary: Sendable, CustomStringConvertible {
    public var count: Int
    public var p50: Double
    public var p99: Double
    public var maximum: Double

    /// - Parameter nanoseconds: one duration per command; may be empty.
    public init(nanoseconds: [UInt64]) {
        let sorted = nanoseconds.sorted()
        count = sorted.count
        func rank(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
            return Double(sorted[index]) / 1e6
        }
        p50 = rank(0.5)
        p99 = rank(0.99)
        maximum = rank(1)
    }

    /// `count=… p50_ms=… p99_ms=… max_ms=…`, for scripts.
    public var description: String {
        "count=\(count) p50_ms=\(Self.format(p50)) p99_ms=\(Self.format(p99)) max_ms=\(Self.format(maximum))"
    }

    static func format(_ value: Double) -> String {
        String(Double(Int((value * 100).rounded())) / 100)
    }
}
