public import Foundation
public import JobQueue
public import PostgresClient
import Synchronization

/// Runs one kind of job.
public protocol JobHandler: Sendable {
    var kind: String { get }
    /// Whether the job's work is in the database. Such a job runs inside a transaction that also
    /// completes it, so its database effects happen exactly once; others (deliveries, no-ops) are
    /// completed after they return, in batches (at least once).
    var transactional: Bool { get }
    func run(_ job: Job, _ context: JobContext) async throws
}

/// What a handler works with.
public final class JobContext: Sendable {
    /// For transactional handlers: the connection, inside the transaction that completes the job
    /// (with other jobs of its batch). Qualify table names (no search_path is set).
    public let connection: PostgresConnection
    /// The job's time: now, or when replaying a clock, the time the job was due.
    public let now: Date
    let queueNow: Date?
    let wakeAt = Mutex<Date?>(nil)
    /// What commits with the job (transactional handlers), or right after it (the others).
    public let writes = PendingWrites()

    init(connection: PostgresConnection, now: Date, queueNow: Date?) {
        self.connection = connection
        self.now = now
        self.queueNow = queueNow
    }

    /// Queues a write for the commit (sent with the completion, in one round trip).
    public func later(_ query: PostgresQuery) {
        writes.later(query)
    }

    /// Enqueues follow-up jobs in the same transaction (with the batch's other follow-ups,
    /// in one statement per county, before the completion).
    public func enqueue(_ jobs: [NewJob]) throws {
        try writes.enqueue(jobs)
    }

    /// Instead of completing, the job sleeps until `time` and runs again then (with fresh
    /// attempts): a watcher between its milestones.
    public func snooze(until time: Date) {
        wakeAt.withLock { $0 = time }
    }

    var snoozedUntil: Date? { wakeAt.withLock { $0 } }
}

/// A failure that retrying will not fix (bad arguments): the job is dead at once.
public struct PermanentJobError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `noop`: does nothing, for benchmarks and smoke tests. Arguments (all optional):
/// `sleep_ms` (work that takes time), `fail_attempts` (fail the first N attempts).
public struct NoopHandler: JobHandler {
    public init() {}
    public var kind: String { "noop" }
    public var transactional: Bool { false }

    struct Arguments: Decodable {
        var sleep_ms: Int?
        var fail_attempts: Int?
    }

    public func run(_ job: Job, _ context: JobContext) async throws {
        guard job.args != "{}" else { return }
        let arguments = try job.arguments(Arguments.self)
        if let ms = arguments.sleep_ms, ms > 0 { try await Task.sleep(for: .milliseconds(min(ms, 600_000))) }
        if let failing = arguments.fail_attempts, job.attempt <= failing {
            throw JobError("noop: failing attempt \(job.attempt) of the first \(failing), as asked")
        }
    }
}

/// `effect`: database work for crash tests and benchmarks. Writes one row into the control
/// schema's `job_effect` in the transaction that completes the job, so a row per job, never
/// two, proves exactly-once effects. Arguments: `sleep_ms` (optional).
public struct EffectHandler: JobHandler {
    let worker: String
    public init(worker: String) { self.worker = worker }
    public var kind: String { "effect" }
    public var transactional: Bool { true }

    struct Arguments: Decodable { var sleep_ms: Int? }

    public func run(_ job: Job, _ context: JobContext) async throws {
        if job.args != "{}", let ms = try job.arguments(Arguments.self).sleep_ms, ms > 0 {
            try await Task.sleep(for: .milliseconds(min(ms, 60_000)))
        }
        context.later("INSERT INTO \(identifier: JobQueue.schema).job_effect (job_id, worker) VALUES (\(job.id), \(worker))")
    }
}
