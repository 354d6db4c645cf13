import AMQPClient
import Foundation

/// Opens AMQP connections for tallyctl and turns client failures into one line with what to
/// check, and exit code 3 for an unreachable or refusing broker.
enum BrokerAccess {
    /// Connects with the name `tallyctl <command>`, shown in the broker's connection list.
    static func connect(_ settings: BrokerSettings, command: String) throws -> Connection {
        var options = ConnectionOptions(url: settings.url)
        options.heartbeat = settings.heartbeat
        options.connectTimeout = .seconds(10)
        options.caCertificatePath = settings.caCertificatePath
        options.connectionName = "tallyctl \(command)"
        do {
            return try Connection(options)
        } catch {
            throw describe(error, settings)
        }
    }

    /// Runs `body` and maps an AMQP failure to a `TallyctlError`.
    static func mapping<T>(_ settings: BrokerSettings, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TallyctlError {
            throw error
        } catch {
            throw describe(error, settings)
        }
    }

    /// Describes a failure in one line that names the broker, the user and the virtual host, and
    /// what to check.
    static func describe(_ error: any Error, _ settings: BrokerSettings) -> TallyctlError {
        if let error = error as? TallyctlError {
            return error
        }
        guard let error = error as? AMQPError else {
            return TallyctlError("broker operation failed: \(error)")
        }
        let url = settings.url
        let address = "\(url.host):\(url.port)"
        switch error.kind {
        case .connectionRefused:
            return .broker("cannot connect to the broker at \(address): connection refused. Check that RabbitMQ runs there and that --amqp-url (TALLY_AMQP_URL) names its host and port")
        case .socketError where error.operation.contains("connect"):
            return .broker("cannot connect to the broker at \(address): \(error.detail ?? error.librabbitmqMessage ?? "socket error"). Check that RabbitMQ runs there and that --amqp-url (TALLY_AMQP_URL) names its host and port")
        case .hostNotFound:
            return .broker("cannot connect to the broker: host '\(url.host)' not found. Check the host of --amqp-url (TALLY_AMQP_URL)")
        case .timeout, .heartbeatTimeout:
            return .broker("the broker at \(address) did not respond in time (\(error.operation)). Check the network and the broker's health")
        case .authenticationFailed:
            return .broker("the broker at \(address) refused the login of user '\(url.user)' (virtual host '\(url.virtualHost)'): wrong user name or password, or the user was deleted. Check the credentials of --amqp-url (TALLY_AMQP_URL)")
        case .accessRefused:
            let reply = error.replyText.map { ": \($0)" } ?? ""
            return .broker("the broker at \(address) refused user '\(url.user)' access to virtual host '\(url.virtualHost)'\(reply). Check the user's permissions with 'rabbitmqctl list_user_permissions \(url.user)'")
        case .channelClosed where error.replyCode == 403:
            return .broker("the broker refused user '\(url.user)' in virtual host '\(url.virtualHost)' the operation \(error.operation)\(error.object.map { " on '\($0)'" } ?? ""): \(error.replyText ?? "ACCESS_REFUSED"). Check the user's configure, write and read permissions")
        case .channelClosed where error.replyCode == 404:
            return TallyctlError("\(error.operation) on '\(error.object ?? "?")' failed: it does not exist in virtual host '\(url.virtualHost)'. Run 'tallyctl topology apply' or start a worker, which declares the topology")
        case .tls:
            return .broker("TLS with the broker at \(address) failed: \(error). Check --tls-ca-file and the broker's certificate")
        case .connectionClosed, .socketError:
            return .broker("the connection to the broker at \(address) failed: \(error)")
        default:
            return TallyctlError("broker operation failed: \(error)")
        }
    }
}
