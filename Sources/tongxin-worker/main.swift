public import ArgumentParser
import Foundation
public import Logging
import PostgresClient
import CommandLineSupport
import TongxinBase
import TongxinWorker
import WorkflowStore

/// `tongxin-worker`: runs the job queue's jobs (deadlines, reminders, notifications, rollups).
@main
struct TongxinWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tongxin-worker",
        abstract: "Tongxin's background worker: runs queued jobs until SIGTERM or SIGINT (or, with --drain, until nothing is due).",
        version: TongxinVersion.current
    )

    /// Usage errors as one line, like `tongxin`'s.
    static func main() async {
        await OneLineErrors.run(Self.self, program: "tongxin-worker")
    }

    @Option(name: .customLong("database-url"), help: "libpq connection URI or key=value string (default: DATABASE_URL, then PG* defaults).")
    var databaseURL: String?

    @Option(name: .customLong("listen-database-url"), help: "A direct connection for LISTEN when --database-url goes through a transaction pooler such as pgbouncer (without it the worker polls every second).")
    var listenDatabaseURL: String?

    @Option(help: "Runners, each with its own connection.")
    var concurrency: Int = 4

    @Option(help: "Jobs one runner claims at once.")
    var batchSize: Int = 100

    @Option(help: "Only these queues (comma-separated; default: all).")
    var queues: String?

    @Option(help: "Only these counties' jobs (comma-separated codes; default: all).")
    var county: String?

    @Flag(help: "Exit once nothing is due.")
    var drain = false

    @Option(name: .customLong("as-of"), help: "Replay the clock: run what is due by this time (2021-06-30 or 2021-06-30T18:00), each job acting at its due time.")
    var asOf: String?

    @Option(help: "Serve /metrics and /healthz on this local port (0: any free port).")
    var metricsPort: Int?

    @Option(help: "Address for --metrics-port.")
    var metricsHost = "127.0.0.1"

    @Option(help: "Seconds a claimed job stays this worker's without a heartbeat.")
    var leaseSeconds: Int = 15

    @Option(help: "On SIGTERM/SIGINT, seconds to let running jobs finish.")
    var shutdownGrace: Int = 10

    @Option(help: "Days to keep completed and cancelled jobs.")
    var retentionDays: Int = 7

    @Option(help: "Append notifications as JSON lines to this file (default: the worker's log).")
    var notifyFile: String?

    @Option(help: "POST notifications as JSON to this URL, with an Idempotency-Key header.")
    var webhookURL: String?

    @Option(help: "Email notifications through this SMTP relay (smtp://host:25), to --smtp-to.")
    var smtpURL: String?

    @Option(help: "With --smtp-url: the sender address.")
    var smtpFrom: String?

    @Option(help: "With --smtp-url: the mailbox every notification goes to (the proposal office's).")
    var smtpTo: String?

    @Option(help: "Log format: text or json.")
    var logFormat = "text"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency: use 1 to 256") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size: use 1 to 10000") }
        guard (3...3600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds: use 3 to 3600") }
        guard (0...3600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace: use 0 to 3600") }
        guard (0...3650).contains(retentionDays) else { throw ValidationError("--retention-days: use 0 to 3650") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format: text or json") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port: use 0 to 65535") }
        if [notifyFile, webhookURL, smtpURL].compactMap({ $0 }).count > 1 {
            throw ValidationError("--notify-file, --webhook-url and --smtp-url: choose one")
        }
        if smtpURL != nil, smtpFrom == nil || smtpTo == nil { throw ValidationError("--smtp-url needs --smtp-from and --smtp-to") }
    }

    func run() async throws {
        let level = logLevel
        let json = logFormat == "json"
        JSONLogHandler.bootstrap(json: json, level: level)
        let logger = Logger(label: "tongxin.worker")
        do {
            let clock = try asOf.map { try LocalTime.parse($0, field: "--as-of") }
            let lease = Duration.seconds(leaseSeconds)
            var worker = JobRunnerConfiguration(
                concurrency: concurrency, batchSize: batchSize, queues: list(queues), counties: list(county), drain: drain,
                clock: clock, lease: lease, heartbeatInterval: lease / 3, retention: .seconds(retentionDays * 86_400),
                shutdownGrace: .seconds(shutdownGrace))
            worker.listenDatabase = listenDatabaseURL.map { PostgresConfiguration(connectionString: $0) }
            let sink: WorkerProgram.Sink =
                if let notifyFile { .file(notifyFile) }
                else if let webhookURL { .webhook(webhookURL) }
                else if let smtpURL, let smtpFrom, let smtpTo { .smtp(url: smtpURL, from: smtpFrom, to: smtpTo) }
                else { .log }
            try await WorkerProgram.run(
                configuration: PostgresConfiguration.resolve(explicit: databaseURL), worker: worker, sink: sink, metricsHost: metricsHost,
                metricsPort: metricsPort, logger: logger)
        } catch {
            let line = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
            logger.error("\(line)")
            throw ExitCode.failure
        }
    }

    private func list(_ text: String?) -> [String]? {
        guard let text else { return nil }
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return items.isEmpty ? nil : items
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
