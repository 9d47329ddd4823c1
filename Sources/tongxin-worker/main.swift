public import ArgumentParser
import Foundation
public import Logging
import PostgresClient
import TongxinWorker

/// `tongxin-worker`: deadlines, reminders, escalation, notifications and rollups.
@main
struct TongxinWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tongxin-worker",
        abstract: "Tongxin's background worker; runs until SIGTERM or SIGINT.",
        version: "0.1.0"
    )

    @Option(name: .customLong("database-url"), help: "libpq connection URI or key=value string (default: DATABASE_URL, then PG* defaults).")
    var databaseURL: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tongxin.worker")
        do {
            try await Worker.run(configuration: PostgresConfiguration.resolve(explicit: databaseURL), logger: logger)
        } catch {
            let line = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
            logger.error("\(line)")
            throw ExitCode.failure
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
