public import Logging
public import PostgresClient
public import ServiceLifecycle

/// The worker's database service: connects, reports ready, and holds the connection until
/// graceful shutdown. Deadlines, reminders and rollups will run inside it as jobs.
public struct WorkerService: Service {
    let configuration: PostgresConfiguration
    let logger: Logger

    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let connection = try await PostgresConnection.connect(configuration: configuration, logger: logger)
        logger.info("ready", metadata: [
            "db.backend_pid": "\(connection.backendPID)",
            "db.server_version": "\(connection.serverVersion)",
        ])
        // Wait for SIGTERM/SIGINT (or the group's end); then close cleanly.
        try? await gracefulShutdown()
        logger.info("shutting down")
        await connection.close()
        logger.info("stopped")
    }
}

/// Runs the worker until SIGTERM or SIGINT.
public enum Worker {
    public static func run(configuration: PostgresConfiguration, logger: Logger) async throws {
        let service = WorkerService(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
