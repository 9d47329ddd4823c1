import Hummingbird
public import Logging
import PostgresClient
import ServiceLifecycle
import TongxinWorker

/// Runs `tongxin-web` until SIGTERM or SIGINT: the HTTP server as a service of a service
/// group (graceful shutdown: running requests finish), and /metrics on a local port when asked.
public enum WebProgram {
    public static func run(_ configuration: WebConfiguration, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let pool = PostgresPool(
            configuration: configuration.database,
            options: PostgresPoolOptions(maxConnections: configuration.poolSize, checkoutTimeout: .seconds(10)),
            logger: logger)
        let server = WebServer(pool: pool, configuration: configuration, logger: logger)
        var metricsServer: MetricsServer?
        if let port = configuration.metricsPort {
            let metrics = server.metrics
            let started = try MetricsServer(host: configuration.metricsHost, port: port) { request in
                request.path == "/metrics"
                    ? ("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics.text())
                    : ("404 Not Found", "text/plain", "not found: /metrics\n")
            }
            started.start()
            metricsServer = started
            logger.info("metrics on http://\(configuration.metricsHost):\(started.port)/metrics")
        }
        defer { metricsServer?.stop() }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            responder: server,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.info("tongxin-web listening on http://\(configuration.host):\(port)\(configuration.publicURL.map { " (public: \($0))" } ?? "")")
                await onRunning(port)
            },
            logger: quiet)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: app, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        await pool.close()
    }
}
