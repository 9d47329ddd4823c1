public import Foundation
import JobQueue
import Logging
import PostgresClient
import Synchronization
import TongxinWorker
public import WorkflowStore

/// What a replay did: job runs, and the notifications in the outbox by kind.
public struct ReplayCount: Sendable {
    public var jobs: Int
    public var notifications: Int
    public var byKind: String
}

/// The worker, in this process, on a replayed clock: `run(asOf:)` runs the jobs due by then.
public final class DemoReplayer: Sendable {
    let worker: JobRunner
    let pool: PostgresPool
    let jobs = Mutex(0)

    public init(store: WorkflowStore, notifyFile: String?) throws {
        var logger = Logger(label: "tongxin.demo.worker")
        logger.logLevel = .warning
        let sink: any NotificationSink = if let notifyFile { try FileSink(path: notifyFile) } else { NullSink() }
        let configuration = JobRunnerConfiguration(concurrency: 1, batchSize: 200, counties: [store.county.value])
        let pool = JobRunner.pool(store.pool.configuration, configuration, logger)
        self.pool = pool
        worker = JobRunner(pool: pool, worker: configuration, handlers: WorkerProgram.handlers(pool: pool, sink: sink), logger: logger)
    }

    public func run(asOf time: Date) async throws {
        let n = try await worker.runDue(asOf: time)
        jobs.withLock { $0 += n }
    }

    /// Closes the worker's connections; what the replay did.
    public func finish(county: String) async throws -> ReplayCount {
        let counts = try await pool.withConnection { try await Outbox.countsByKind(county: county, on: $0) }
        await close()
        return ReplayCount(
            jobs: jobs.withLock { $0 }, notifications: counts.reduce(0) { $0 + $1.count },
            byKind: counts.isEmpty ? "none" : counts.map { "\($0.kind) \($0.count)" }.joined(separator: ", "))
    }

    public func close() async { await worker.close() }
}

/// Keeps notifications in the outbox only (the demo's default).
struct NullSink: NotificationSink {
    var channel: String { "none" }
    func deliver(_ notification: OutboxNotification) async throws {}
}
