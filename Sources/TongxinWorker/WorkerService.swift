import JobQueue
public import Logging
public import PostgresClient
public import ServiceLifecycle

/// The worker as a service: the job worker, and `/metrics` and `/healthz` when a port is given.
/// Graceful shutdown (SIGTERM/SIGINT) stops claiming, lets running jobs finish within the
/// grace period and releases the rest.
public struct WorkerService: Service {
    public let worker: JobRunner
    let metricsAddress: (host: String, port: Int)?
    let logger: Logger

    public init(worker: JobRunner, metricsHost: String = "127.0.0.1", metricsPort: Int?, logger: Logger) {
        self.worker = worker
        self.metricsAddress = metricsPort.map { (metricsHost, $0) }
        self.logger = logger
    }

    /// The HTTP endpoints: `/metrics` (Prometheus text; the database read in it waits at most
    /// `scrapeTimeout`) and `/healthz` (the runners' last word on the database, never a query).
    package static func routes(_ worker: JobRunner, scrapeTimeout: Duration = .seconds(2)) -> MetricsServer.Responder {
        { request in
            guard request.method == "GET" else { return ("405 Method Not Allowed", "text/plain", "only GET\n") }
            switch request.path {
            case "/metrics":
                return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", await worker.metricsText(timeout: scrapeTimeout))
            case "/healthz":
                return worker.isHealthy ? ("200 OK", "text/plain", "ok\n") : ("503 Service Unavailable", "text/plain", "database unreachable\n")
            default:
                return ("404 Not Found", "text/plain", "not found: /metrics or /healthz\n")
            }
        }
    }

    public func run() async throws {
        var server: MetricsServer?
        if let (host, port) = metricsAddress {
            let started = try MetricsServer(host: host, port: port, respond: Self.routes(worker))
            started.start()
            server = started
            logger.info("metrics on http://\(host):\(started.port)/metrics and /healthz")
        }
        defer { server?.stop() }
        let worker = self.worker
        try await withGracefulShutdownHandler {
            try await worker.run()
        } onGracefulShutdown: {
            // Stops claiming; running jobs finish within the grace period, or are cancelled
            // and released.
            worker.stop()
        }
    }
}

/// Runs the worker until SIGTERM or SIGINT (or, draining, until nothing is due).
public enum WorkerProgram {
    /// Where notifications go: the worker's log (default), a file of JSON lines, or a webhook.
    public enum Sink: Sendable {
        case log
        case file(String)
        case webhook(String)
        /// `smtp://host:port`, the sender and the one mailbox every notification goes to.
        case smtp(url: String, from: String, to: String)
    }

    public static func run(
        configuration: PostgresConfiguration, worker: JobRunnerConfiguration, sink: Sink = .log, metricsHost: String = "127.0.0.1",
        metricsPort: Int?, logger: Logger
    ) async throws {
        let notifications: any NotificationSink = switch sink {
        case .log: LogSink(logger: logger)
        case .file(let path): try FileSink(path: path)
        case .webhook(let url): try WebhookSink(url: url)
        case .smtp(let url, let from, let to): try SMTPSink(url: url, from: from, to: to)
        }
        let pool = JobRunner.pool(configuration, worker, logger)
        let jobWorker = JobRunner(pool: pool, worker: worker, handlers: handlers(pool: pool, sink: notifications, workerID: worker.workerID), logger: logger)
        let service = WorkerService(worker: jobWorker, metricsHost: metricsHost, metricsPort: metricsPort, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
