public import Foundation
import JobQueue
public import Logging
public import PostgresClient
import Synchronization
import WorkflowStore
import TongxinBase

/// How a worker runs.
public struct JobRunnerConfiguration: Sendable {
    /// Runners, each claiming and running batches on its own connection.
    public var concurrency: Int
    /// Jobs claimed at once by one runner.
    public var batchSize: Int
    /// Only these queues (nil: all).
    public var queues: [String]?
    /// Only these counties' jobs (nil: all).
    public var counties: [String]?
    /// Exit once nothing is due (instead of waiting for more).
    public var drain: Bool
    /// The queue's clock: nil for real time; a date replays time (jobs due by then run, each
    /// acting at its due time).
    public var clock: Date?
    /// How long a claimed job stays ours without a heartbeat.
    public var lease: Duration
    public var heartbeatInterval: Duration
    /// The backstop when no NOTIFY arrives.
    public var pollInterval: Duration
    public var rescueInterval: Duration
    public var pruneInterval: Duration
    /// Completed and cancelled jobs are deleted this long after they finished.
    public var retention: Duration
    /// On SIGTERM/SIGINT: finish what runs for up to this long, release what has not started.
    public var shutdownGrace: Duration
    /// This worker's name on the jobs it holds.
    public var workerID: String
    /// A direct connection to the server for LISTEN (`--listen-database-url`), when the pool's
    /// goes through a transaction pooler, which does not carry notifications; nil: the pool's
    /// server, and when that is pooled the runners poll every `pollInterval`.
    public var listenDatabase: PostgresConfiguration?

    public init(
        concurrency: Int = 4, batchSize: Int = 100, queues: [String]? = nil, counties: [String]? = nil, drain: Bool = false,
        clock: Date? = nil, lease: Duration = .seconds(15), heartbeatInterval: Duration = .seconds(5),
        pollInterval: Duration = .seconds(1), rescueInterval: Duration = .seconds(5), pruneInterval: Duration = .seconds(60),
        retention: Duration = .seconds(7 * 86_400), shutdownGrace: Duration = .seconds(10), workerID: String? = nil
    ) {
        self.concurrency = max(1, concurrency)
        self.batchSize = max(1, min(batchSize, 10_000))
        self.queues = queues
        self.counties = counties
        self.drain = drain
        self.clock = clock
        self.lease = lease
        self.heartbeatInterval = heartbeatInterval
        self.pollInterval = pollInterval
        self.rescueInterval = rescueInterval
        self.pruneInterval = pruneInterval
        self.retention = retention
        self.shutdownGrace = shutdownGrace
        self.workerID = workerID ?? JobRunnerConfiguration.defaultWorkerID()
    }

    /// `host:pid:random`.
    public static func defaultWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.prefix(40)
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }
}

/// Claims jobs from the queue and runs them: runners with their own connections, a LISTEN
/// connection that wakes them, heartbeats for the leases, and the rescue of expired leases and
/// pruning of finished jobs.
public final class JobRunner: Sendable {
    public let configuration: JobRunnerConfiguration
    public let metrics = JobRunnerMetrics()
    /// A scrape's depth read on its way, which another scrape joins.
    let depthRead = Mutex<Task<[(queue: String, state: String, count: Int)]?, Never>?>(nil)
    let pool: PostgresPool
    let handlers: [String: any JobHandler]
    let logger: Logger
    let waker = Waker()
    /// Wakes the background loops when stopping.
    let stopSignal = Waker()
    let stopping = Atomic<Bool>(false)
    /// Jobs this worker holds, by id (heartbeats renew their leases).
    let held = Mutex<[Int64: Job]>([:])
    /// Whether the last database contact worked (`/healthz`).
    let healthy = Atomic<Bool>(false)
    /// The runners, cancelled when the shutdown grace runs out.
    let runnersTask = Mutex<Task<Void, Never>?>(nil)

    public convenience init(configuration: PostgresConfiguration, worker: JobRunnerConfiguration, handlers: [any JobHandler], logger: Logger) {
        self.init(pool: JobRunner.pool(configuration, worker, logger), worker: worker, handlers: handlers, logger: logger)
    }

    /// A pool the size a worker needs: a connection per runner, and two for heartbeats and
    /// maintenance (handlers that read through a pool of their own may share it).
    public static func pool(_ configuration: PostgresConfiguration, _ worker: JobRunnerConfiguration, _ logger: Logger) -> PostgresPool {
        // Runners may each hold a second connection (a rollup reads through the pool): heartbeats
        // and maintenance must still find one.
        PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 2 * worker.concurrency + 3), logger: logger)
    }

    /// A worker on `pool` (closed when `run()` returns).
    public init(pool: PostgresPool, worker: JobRunnerConfiguration, handlers: [any JobHandler], logger: Logger) {
        self.configuration = worker
        self.pool = pool
        var byKind: [String: any JobHandler] = [:]
        for handler in handlers { byKind[handler.kind] = handler }
        self.handlers = byKind
        self.logger = logger
    }

    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// Stops claiming; what runs finishes (up to the shutdown grace), what has not started is
    /// released; `run()` then returns.
    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        waker.wake()
        stopSignal.wake()
        // Past the grace period, running handlers are cancelled and their jobs released.
        let grace = configuration.shutdownGrace
        Task { [self] in
            try? await Task.sleep(for: grace)
            let running = runnersTask.withLock { $0 }
            if let running, !running.isCancelled {
                logger.warning("shutdown grace of \(grace) passed: cancelling the jobs still running")
                running.cancel()
            }
        }
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Runs until `stop()`, or with `drain` until nothing is due.
    public func run() async throws {
        // A worker that cannot reach the database, or finds no job queue there, says so and
        // stops at once (a configuration error); later outages are waited out.
        let (pid, version, queue) = try await pool.withConnection { connection in
            let row = try await connection.query("SELECT to_regclass(\(JobQueue.schema.name + ".job")) IS NOT NULL").single()
            return (connection.backendPID, connection.serverVersion, try row.decode(Bool.self))
        }
        guard queue else {
            await pool.close()
            throw JobError("no job queue in this database (\(JobQueue.schema.name).job): run `tongxin migrate up` first")
        }
        healthy.store(true, ordering: .relaxed)
        logger.info("ready", metadata: [
            "worker.id": "\(configuration.workerID)", "worker.concurrency": "\(configuration.concurrency)",
            "worker.drain": "\(configuration.drain)", "db.backend_pid": "\(pid)", "db.server_version": "\(version)",
        ])
        await rescueOnce()
        await withTaskGroup(of: Void.self) { background in
            if !configuration.drain { background.addTask { await self.listen() } }
            background.addTask { await self.heartbeats() }
            background.addTask { await self.maintenance() }
            let runners = Task {
                await withTaskGroup(of: Void.self) { runners in
                    for n in 0..<configuration.concurrency {
                        runners.addTask { await self.runner(n) }
                    }
                    await runners.waitForAll()
                }
            }
            runnersTask.withLock { $0 = runners }
            await runners.value
            // The runners are done: end the background loops.
            self.stop()
            await background.waitForAll()
        }
        await pool.close()
        logger.info("worker stopped", metadata: ["worker.processed": "\(metrics.processedTotal)"])
    }

    // MARK: Runners

    func runner(_ n: Int) async {
        var failures = 0
        while !isStopping {
            let generation = waker.generation
            do {
                let claimed = try await pool.withConnection { connection in
                    let jobs = try await JobQueue.claim(
                        worker: configuration.workerID, limit: configuration.batchSize, lease: configuration.lease,
                        queues: configuration.queues, counties: configuration.counties, now: configuration.clock, on: connection)
                    if !jobs.isEmpty { try await self.process(jobs, on: connection) }
                    return jobs.count
                }
                healthy.store(true, ordering: .relaxed)
                failures = 0
                if claimed == 0 {
                    if configuration.drain { return }
                    await waker.wait(since: generation, timeout: configuration.pollInterval)
                }
            } catch {
                if isStopping { return }
                healthy.store(false, ordering: .relaxed)
                failures += 1
                let delay = min(5.0, 0.1 * pow(2, Double(min(failures, 10) - 1)))
                logger.warning("runner \(n): \(oneLine(error)); again in \(String(format: "%.1f", delay)) s")
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
        }
    }

    /// Runs a claimed batch and records each job's outcome.
    func process(_ jobs: [Job], on connection: PostgresConnection, clock: Date? = nil) async throws {
        let clock = clock ?? configuration.clock
        held.withLock { held in for job in jobs { held[job.id] = job } }
        defer { held.withLock { held in for job in jobs { held[job.id] = nil } } }
        if clock == nil {
            let now = Date()
            for job in jobs { metrics.pickedUp(queue: job.queue, seconds: now.timeIntervalSince(max(job.runAt, job.createdAt))) }
        }
        var plain: [Job] = []
        var transactional: [Job] = []
        var unknown: [JobQueue.Failure] = []
        for job in jobs {
            guard let handler = handlers[job.kind] else {
                unknown.append(JobQueue.Failure(job: job, error: "no handler for kind \(job.kind) in this worker", permanent: true))
                continue
            }
            if handler.transactional { transactional.append(job) } else { plain.append(job) }
        }
        if !unknown.isEmpty { try await record(succeeded: [], failed: unknown, clock: clock, on: connection) }
        if !plain.isEmpty { try await runPlain(plain, clock: clock, on: connection) }
        // One lock order for every runner (county by county): batches do not deadlock each other.
        transactional.sort { ($0.county ?? "", $0.id) < ($1.county ?? "", $1.id) }
        if !transactional.isEmpty { try await runTransactional(transactional, clock: clock, on: connection) }
    }

    /// The time a job acts at: now, or on a replayed clock the time it was due.
    func now(for job: Job, clock: Date?) -> Date { clock == nil ? Date() : job.runAt }

    /// Jobs without database work: run one after another, then completed (or failed) together.
    func runPlain(_ jobs: [Job], clock: Date?, on connection: PostgresConnection) async throws {
        var succeeded: [Job] = []
        var snoozed: [(job: Job, until: Date)] = []
        var failed: [JobQueue.Failure] = []
        var notStarted: [Job] = []
        let followUps = PendingWrites()
        for job in jobs {
            if isStopping { notStarted.append(job); continue }
            guard let handler = handlers[job.kind] else { continue }
            let start = ContinuousClock.now
            do {
                let context = JobContext(connection: connection, now: now(for: job, clock: clock), queueNow: clock)
                try await handler.run(job, context)
                let (statements, jobs) = context.writes.take()
                guard statements.isEmpty else {
                    // No transaction to send them in: a handler with database work says so.
                    throw PermanentJobError("handler \(job.kind) queued statements with later() but is not transactional")
                }
                try followUps.enqueue(jobs)
                if let until = context.snoozedUntil { snoozed.append((job, until)) } else { succeeded.append(job) }
                metrics.completed(kind: job.kind, seconds: elapsed(since: start))
            } catch where Task.isCancelled {
                notStarted.append(job)  // cut short by the shutdown: released, not failed
            } catch {
                failed.append(failure(job, error))
            }
        }
        if Task.isCancelled {
            // Stopping past the grace: the finished ones are recorded, the rest released, on
            // a task that is not cancelled.
            let worker = configuration.workerID
            let release = notStarted
            let done = succeeded
            try await Task.detached {
                if !done.isEmpty { try await JobQueue.complete(done, worker: worker, on: connection) }
                try await JobQueue.release(release, worker: worker, on: connection)
            }.value
            return
        }
        // Follow-ups of jobs without database work (at least once, like the jobs themselves).
        if !followUps.isEmpty { _ = try await connection.pipeline(try followUps.queries(now: clock)) }
        try await record(succeeded: succeeded, snoozed: snoozed, failed: failed, clock: clock, on: connection)
        if !notStarted.isEmpty { try await JobQueue.release(notStarted, worker: configuration.workerID, on: connection) }
    }

    /// Jobs with database work: the whole batch in one transaction with its completion; when a
    /// job fails, the batch rolls back and each job runs again in a transaction of its own.
    func runTransactional(_ jobs: [Job], clock: Date?, on connection: PostgresConnection) async throws {
        if isStopping {
            try await JobQueue.release(jobs, worker: configuration.workerID, on: connection)
            return
        }
        let start = ContinuousClock.now
        do {
            try await transaction(jobs, clock: clock, on: connection)
            let seconds = elapsed(since: start) / Double(jobs.count)
            for job in jobs { metrics.completed(kind: job.kind, seconds: seconds) }
            return
        } catch where Task.isCancelled {
            // Stopping past the grace: rolled back; released on a task that is not cancelled.
            let worker = configuration.workerID
            _ = try await Task.detached { try await JobQueue.release(jobs, worker: worker, on: connection) }.value
            return
        } catch where jobs.count > 1 && !isConnectionError(error) {
            // Find the failing job: one transaction each.
        } catch {
            if JobQueue.isLeaseLost(error) {
                logger.warning("job \(jobs[0].id) (\(jobs[0].kind)): lease lost to another worker; its work was rolled back")
                return
            }
            if isConnectionError(error) { throw error }
            try await record(succeeded: [], failed: [failure(jobs[0], error)], clock: clock, on: connection)
            return
        }
        for job in jobs {
            if isStopping {
                try await JobQueue.release([job], worker: configuration.workerID, on: connection)
                continue
            }
            try await runTransactional([job], clock: clock, on: connection)
        }
    }

    private func transaction(_ jobs: [Job], clock: Date?, on connection: PostgresConnection) async throws {
        try await connection.withTransaction { tx in
            let pending = PendingWrites()
            var completed: [Job] = []
            var snoozed: [(job: Job, until: Date)] = []
            for job in jobs {
                guard let handler = handlers[job.kind] else { continue }
                let context = JobContext(connection: tx, now: now(for: job, clock: clock), queueNow: clock)
                try await handler.run(job, context)
                pending.absorb(context.writes)
                if let until = context.snoozedUntil { snoozed.append((job, until)) } else { completed.append(job) }
            }
            var writes = try pending.queries(now: clock)
            if !completed.isEmpty { writes.append(JobQueue.completeQuery(completed, worker: configuration.workerID, strict: true)) }
            if !snoozed.isEmpty { writes.append(JobQueue.snoozeQuery(snoozed, worker: configuration.workerID, strict: true)) }
            _ = try await tx.commit(after: writes)
        }
    }

    func failure(_ job: Job, _ error: any Error) -> JobQueue.Failure {
        let permanent = error is PermanentJobError
        let message = oneLine(error)
        let retried = !permanent && job.attempt < job.maxAttempts
        metrics.failed(kind: job.kind, retried: retried)
        logger.warning("job \(job.id) (\(job.kind)) attempt \(job.attempt) of \(job.maxAttempts) failed: \(message)\(retried ? "" : "; dead")")
        return JobQueue.Failure(job: job, error: message, retryIn: Backoff.delay(afterAttempt: job.attempt), permanent: permanent)
    }

    /// Completions and failures in one round trip.
    func record(
        succeeded: [Job], snoozed: [(job: Job, until: Date)] = [], failed: [JobQueue.Failure], clock: Date?, on connection: PostgresConnection
    ) async throws {
        var queries: [PostgresQuery] = []
        if !succeeded.isEmpty { queries.append(JobQueue.completeQuery(succeeded, worker: configuration.workerID, strict: false)) }
        if !snoozed.isEmpty { queries.append(JobQueue.snoozeQuery(snoozed, worker: configuration.workerID, strict: false)) }
        if !failed.isEmpty { queries.append(JobQueue.failQuery(failed, worker: configuration.workerID, now: clock)) }
        guard !queries.isEmpty else { return }
        _ = try await connection.pipeline(queries)
    }

    // MARK: Background loops

    /// LISTEN on the jobs channel and wake the runners; reconnects with backoff.
    func listen() async {
        var failures = 0
        while !isStopping {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration.listenDatabase ?? pool.configuration, logger: logger)
                defer { Task { await connection.close() } }
                if connection.isPooled {
                    // A LISTEN stays with one server connection of the pooler's while the
                    // NOTIFYs arrive on others: lost. The runners' polls find every job.
                    logger.notice("""
                        listener: the connection goes through a transaction pooler, which does not carry notifications; \
                        polling every \(configuration.pollInterval) instead (--listen-database-url gives a direct connection)
                        """)
                    return
                }
                try await connection.listen(JobQueue.channel)
                failures = 0
                // Jobs announced while we were not listening.
                waker.wake()
                while !isStopping {
                    if let _ = try await connection.nextNotification(timeout: .milliseconds(500)) {
                        waker.wake()
                    }
                }
            } catch {
                if isStopping { return }
                failures += 1
                let delay = min(5.0, 0.1 * pow(2, Double(min(failures, 10) - 1)))
                logger.warning("listener: \(oneLine(error)); reconnecting in \(String(format: "%.1f", delay)) s")
                await stopSignal.wait(since: stopSignal.generation, timeout: .milliseconds(Int(delay * 1000)))
            }
        }
    }

    /// Renews the leases of the jobs this worker holds.
    func heartbeats() async {
        while !isStopping {
            await stopSignal.wait(since: stopSignal.generation, timeout: configuration.heartbeatInterval)
            let ids = held.withLock { Array($0.keys) }
            guard !ids.isEmpty else { continue }
            do {
                try await pool.withConnection { connection in
                    try await JobQueue.heartbeat(worker: configuration.workerID, ids: ids, lease: configuration.lease, on: connection)
                }
            } catch {
                logger.warning("heartbeat: \(oneLine(error))")
            }
        }
    }

    /// Rescues expired leases often, prunes finished jobs now and then, and once a day
    /// enqueues each active county's statistics rollup.
    func maintenance() async {
        var lastPrune = ContinuousClock.now - configuration.pruneInterval
        var rolledUp: CalendarDate?
        while !isStopping {
            if configuration.clock == nil, !configuration.drain, handlers[WorkflowJobs.rollup] != nil {
                let today = LocalTime.day(of: Date())
                if rolledUp != today {
                    do {
                        let n = try await pool.withConnection { try await Self.enqueueRollups(day: today, on: $0) }
                        rolledUp = today
                        if n > 0 { logger.info("enqueued \(n) daily statistics rollups") }
                    } catch {
                        logger.warning("daily rollups: \(oneLine(error))")
                    }
                }
            }
            await stopSignal.wait(since: stopSignal.generation, timeout: configuration.rescueInterval)
            if isStopping { return }
            await rescueOnce()
            if ContinuousClock.now - lastPrune >= configuration.pruneInterval {
                lastPrune = ContinuousClock.now
                do {
                    let pruned = try await pool.withConnection { connection in
                        try await JobQueue.prune(olderThan: configuration.retention, on: connection)
                    }
                    metrics.pruned(pruned)
                } catch {
                    logger.warning("prune: \(oneLine(error))")
                }
            }
        }
    }

    /// One `stats.rollup` job per active county for `day`'s year (once per day: dedupe keys), at
    /// a lower priority than the rollups changes ask for (those keep the comparison fresh).
    static func enqueueRollups(day: CalendarDate, on connection: PostgresConnection) async throws -> Int {
        let control = JobQueue.schema
        return try await connection.execute("""
            INSERT INTO \(identifier: control).job (queue, kind, county, args, priority, run_at, fair_at, max_attempts, dedupe_key)
            SELECT 'rollup', \(WorkflowJobs.rollup), code, jsonb_build_object('year', \(day.year)), 1, now(), now(), 5,
                   'rollup:' || code || ':' || \(day.description)
            FROM \(identifier: control).county WHERE status = 'active'
            ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
            """)
    }

    /// Runs every job due by `clock` (a replayed time) on this worker's pool, one runner, and
    /// returns how many ran: `make demo` replays a year by calling this before each day's steps.
    public func runDue(asOf clock: Date) async throws -> Int {
        var total = 0
        while true {
            let claimed = try await pool.withConnection { connection in
                let jobs = try await JobQueue.claim(
                    worker: configuration.workerID, limit: configuration.batchSize, lease: configuration.lease,
                    queues: configuration.queues, counties: configuration.counties, now: clock, on: connection)
                if !jobs.isEmpty { try await self.process(jobs, on: connection, clock: clock) }
                return jobs.count
            }
            if claimed == 0 { return total }
            total += claimed
        }
    }

    func rescueOnce() async {
        do {
            let rescued = try await pool.withConnection { connection in try await JobQueue.rescue(on: connection) }
            if rescued > 0 {
                metrics.rescued(rescued)
                logger.info("rescued \(rescued) jobs whose lease expired")
                waker.wake()
            }
        } catch {
            logger.warning("rescue: \(oneLine(error))")
        }
    }

    /// Queue depths by queue and state, for `/metrics`.
    func depths() async throws -> [(queue: String, state: String, count: Int)] {
        try await pool.withConnection { connection in
            let rows = try await connection.query("""
                SELECT queue, state, count(*) FROM \(identifier: JobQueue.schema).job
                WHERE state IN ('available', 'running', 'dead') GROUP BY queue, state ORDER BY queue, state
                """)
            return try rows.map { row in
                let (queue, state, count) = try row.decode((String, String, Int).self)
                return (queue, state, count)
            }
        }
    }

    /// One statement on the worker's pool.
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await pool.query(query)
    }

    /// Closes the worker's connections (`run()` does when it returns).
    public func close() async { await pool.close() }

    /// The metrics as Prometheus text, with the pool's connections and the queue's depth read
    /// now. The depth read waits at most `timeout`: a stuck database gives a scrape with the
    /// last depths (`tongxin_queue_depth_fresh 0`) in time, not a hung one, and the read is
    /// cancelled; scrapes at the same time share one read.
    public func metricsText(timeout: Duration = .seconds(2)) async -> String {
        metrics.depths(await depthsWithin(timeout))
        metrics.pool(pool.statistics)
        return metrics.text()
    }

    private func depthsWithin(_ timeout: Duration) async -> [(queue: String, state: String, count: Int)]? {
        // One read at a time: a scrape while one is on its way waits for that one.
        let read = depthRead.withLock { current -> Task<[(queue: String, state: String, count: Int)]?, Never> in
            if let current { return current }
            let started = Task { () -> [(queue: String, state: String, count: Int)]? in
                let depths = try? await self.depths()
                self.depthRead.withLock { $0 = nil }
                return depths
            }
            current = started
            return started
        }
        return await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task { once.resume(await read.value) }
            Task {
                try? await Task.sleep(for: timeout)
                // Too late: the read is cancelled (the server is asked to cancel its query), so
                // a stuck database holds neither a connection nor the next scrape.
                if once.resume(nil) { read.cancel() }
            }
        }
    }
}

/// A continuation two racers may resume: the first wins, the other is ignored.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Never>?>

    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = Mutex(continuation) }

    /// Resumes with `value` unless resumed already; whether this call did.
    @discardableResult
    func resume(_ value: T) -> Bool {
        let first = continuation.withLock { c in
            defer { c = nil }
            return c
        }
        first?.resume(returning: value)
        return first != nil
    }
}

func elapsed(since start: ContinuousClock.Instant) -> Double {
    let (s, atto) = (ContinuousClock.now - start).components
    return Double(s) + Double(atto) / 1e18
}

func isConnectionError(_ error: any Error) -> Bool {
    guard let error = error as? PostgresError else { return false }
    switch error.kind {
    case .connectionFailed, .connectionClosed, .poolClosed, .timeout: return true
    default: return error.sqlState == .adminShutdown || error.sqlState?.errorClass == "08"
    }
}
