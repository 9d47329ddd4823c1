import Counties
public import Foundation
public import PostgresClient

/// The job queue's statements, on the control schema's `job` table. Every function takes the
/// connection it runs on, so callers choose the transaction: enqueue inside a workflow step's
/// transaction and the jobs commit with it, or not at all.
///
/// `now` parameters are the queue's clock: nil means the server's `now()`; a date replays time
/// (deadlines of a past year come due as the replayed clock passes them). Leases are always
/// real time.
public enum JobQueue {
    public static let schema = CountyRegistry.controlSchema
    /// Where enqueuers announce due jobs (the payload is the queue's name).
    public static let channel: PostgresIdentifier = {
        do { return try PostgresIdentifier("tongxin_jobs") } catch { fatalError("tongxin_jobs is a valid identifier") }
    }()
    /// How far apart a county's jobs enqueued together are placed in the fair order.
    public static let fairnessQuantumMicroseconds = 1000

    // MARK: Enqueue

    /// The statements that enqueue `jobs` (one per county among them), to run in the caller's
    /// transaction, in order. Jobs due at once also announce themselves on `channel` (delivered
    /// when the transaction commits).
    public static func enqueueQueries(_ jobs: [NewJob], now: Date? = nil) throws -> [PostgresQuery] {
        let (inserts, announcements) = try enqueueStatements(jobs, now: now)
        return inserts + announcements
    }

    /// The INSERTs (one per county, two when some of its jobs are scheduled ahead: those skip
    /// the fairness clock, their order is their time), then the
    /// announcements of the queues that got due jobs.
    static func enqueueStatements(_ jobs: [NewJob], now: Date?) throws -> (inserts: [PostgresQuery], announcements: [PostgresQuery]) {
        let checked = try jobs.map { try $0.validated() }
        let reference = now ?? Date()
        var order: [String] = []
        var groups: [String: [NewJob]] = [:]
        for job in checked {
            // Jobs due soon take their place in the county's fair order; jobs scheduled ahead
            // (the workflow's clocks) are ordered by their time and touch no fairness row.
            let ahead = (job.runAt ?? reference) > reference
            let key = (ahead ? "+" : "") + (job.county ?? "")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(job)
        }
        var inserts: [PostgresQuery] = []
        var dueQueues = Set<String>()
        let nowText = now.map { epoch($0) } ?? ""
        for key in order {
            guard let group = groups[key] else { continue }
            let ahead = key.hasPrefix("+")
            let countyKey = ahead ? String(key.dropFirst()) : key
            let county: String? = countyKey.isEmpty ? nil : countyKey
            let rows: PostgresQuery = """
                unnest(\(group.map(\.queue))::text[], \(group.map(\.kind))::text[], \(group.map(\.args))::text[],
                       \(group.map(\.priority))::int2[], \(group.map { $0.runAt.map(epoch) ?? "" })::text[],
                       \(group.map(\.maxAttempts))::int4[], \(group.map { $0.dedupeKey ?? "" })::text[])
                WITH ORDINALITY AS j(queue, kind, args, priority, run_at, max_attempts, dedupe_key, n)
                """
            if ahead {
                inserts.append("""
                    INSERT INTO \(identifier: schema).job (queue, kind, county, args, priority, run_at, fair_at, scheduled_at, max_attempts, dedupe_key)
                    SELECT j.queue, j.kind, \(county), j.args::jsonb, j.priority, to_timestamp(j.run_at::float8), to_timestamp(j.run_at::float8),
                           to_timestamp(j.run_at::float8), j.max_attempts, nullif(j.dedupe_key, '')
                    FROM \(fragment: rows)
                    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
                    """)
                continue
            }
            // A job due at once gets at most its county's clock as fair_at (the claim's horizon
            // relies on it): from the earlier of its run_at and now, since the client decides
            // "due" by its own clock, which may run ahead of the transaction's now().
            let quantum = Double(fairnessQuantumMicroseconds) / 1e6
            let spread = Double(group.count) * quantum
            inserts.append("""
                WITH clock AS (
                    INSERT INTO \(identifier: schema).job_fairness AS f (county, next_at)
                    VALUES (\(countyKey), coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()) + make_interval(secs => \(spread)))
                    ON CONFLICT (county) DO UPDATE
                        SET next_at = greatest(f.next_at, coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()))
                                      + make_interval(secs => \(spread))
                    RETURNING next_at - make_interval(secs => \(spread)) AS start
                )
                INSERT INTO \(identifier: schema).job (queue, kind, county, args, priority, run_at, fair_at, scheduled_at, max_attempts, dedupe_key)
                SELECT j.queue, j.kind, \(county), j.args::jsonb, j.priority, t.run_at,
                       least(t.run_at, coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()))
                           + greatest(clock.start - coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()), interval '0')
                           + make_interval(secs => (j.n - 1) * \(quantum)),
                       t.run_at, j.max_attempts, nullif(j.dedupe_key, '')
                FROM \(fragment: rows)
                CROSS JOIN clock
                CROSS JOIN LATERAL (SELECT coalesce(to_timestamp(nullif(j.run_at, '')::float8),
                                                    to_timestamp(nullif(\(nowText), '')::float8), now()) AS run_at) t
                ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
                """)
            for job in group where (job.runAt ?? reference) <= reference {
                dueQueues.insert(job.queue)
            }
        }
        let announcements: [PostgresQuery] = dueQueues.sorted().map { "SELECT pg_notify(\(channel.name), \($0))" }
        return (inserts, announcements)
    }

    /// Enqueues `jobs` on `connection` (inside its transaction when one is open); returns how
    /// many were inserted (a job whose dedupe key exists already is not).
    @discardableResult
    public static func enqueue(_ jobs: [NewJob], now: Date? = nil, on connection: PostgresConnection) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        let (inserts, announcements) = try enqueueStatements(jobs, now: now)
        let results = try await connection.pipeline(inserts + announcements)
        return results.prefix(inserts.count).reduce(0) { $0 + $1.affectedRows }
    }

    // MARK: Claim, complete, fail

    /// Claims up to `limit` due jobs for `worker`, in fair order, under a lease of `lease`.
    public static func claim(
        worker: String, limit: Int, lease: Duration, queues: [String]? = nil, counties: [String]? = nil, now: Date? = nil,
        on connection: PostgresConnection
    ) async throws -> [Job] {
        // No JIT for the claim (one implicit transaction with it): its estimate grows with the
        // queue while its work does not, and compiling it took 200 ms where running it takes
        // under one. (Custom plans, as by default: a generic plan made for one queue's
        // statistics drained a flood ten times slower.)
        let results = try await connection.pipeline([
            "SELECT set_config('jit', 'off', true)",
            claimQuery(worker: worker, limit: limit, lease: lease, queues: queues, counties: counties, now: now),
        ])
        guard results.count == 2 else { throw PostgresError(kind: .protocolViolation, message: "claim: expected 2 results, got \(results.count)") }
        return try results[1].map { row in
            let (id, queue, kind, county, args, attempt, maxAttempts, runAt, createdAt, scheduledAt) =
                try row.decode((Int64, String, String, String?, String, Int, Int, Date, Date, Date).self)
            return Job(id: id, queue: queue, kind: kind, county: county, args: args, attempt: attempt, maxAttempts: maxAttempts,
                       runAt: runAt, createdAt: createdAt, scheduledAt: scheduledAt)
        }
    }

    /// The claim. Due jobs are taken in (priority, fair_at) order, one priority at a time (the
    /// priorities with available jobs are found by skipping through `job_due`), and within a
    /// priority only up to the horizon: every due job's fair_at is at most the later of now and
    /// the furthest county clock (`job_fairness.next_at`, which only moves on) — a job enqueued
    /// due gets at most its county's backlog, a job scheduled ahead, snoozed or retried has
    /// fair_at = run_at. So the workflow's clocks waiting months ahead in the same index are
    /// not walked: a claim reads the due jobs and the few that fall due within the backlog,
    /// where walking the index to its end took 100 ms at 200,000 waiting clocks.
    package static func claimQuery(worker: String, limit: Int, lease: Duration, queues: [String]?, counties: [String]?, now: Date?) -> PostgresQuery {
        let nowText = now.map { epoch($0) } ?? ""
        let filterQueues = queues ?? []
        let filterCounties = counties ?? []
        return """
            WITH RECURSIVE clock AS (
                SELECT coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()) AS now
            ), priorities AS (
                (SELECT priority FROM \(identifier: schema).job WHERE state = 'available' ORDER BY priority LIMIT 1)
                UNION ALL
                SELECT (SELECT j.priority FROM \(identifier: schema).job j
                        WHERE j.state = 'available' AND j.priority > p.priority ORDER BY j.priority LIMIT 1)
                FROM priorities p WHERE p.priority IS NOT NULL
            ), horizon AS (
                SELECT greatest(clock.now, (SELECT max(next_at) FROM \(identifier: schema).job_fairness)) AS until FROM clock
            ), picked AS (
                SELECT c.id FROM priorities p CROSS JOIN clock CROSS JOIN horizon
                CROSS JOIN LATERAL (
                    SELECT id, fair_at FROM \(identifier: schema).job
                    WHERE state = 'available' AND priority = p.priority AND fair_at <= horizon.until
                      AND run_at <= clock.now
                      AND (cardinality(\(filterQueues)::text[]) = 0 OR queue = ANY(\(filterQueues)::text[]))
                      AND (cardinality(\(filterCounties)::text[]) = 0 OR county = ANY(\(filterCounties)::text[]))
                    ORDER BY fair_at
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ) c
                WHERE p.priority IS NOT NULL
                -- No ORDER BY here: the nested loop already yields (priority, fair_at) order
                -- (priorities ascending from the recursion, each one's jobs by fair_at), and
                -- pulls only as many rows as the LIMIT takes, so only those are locked; a sort
                -- would run every priority's subquery to its end and lock up to LIMIT rows in
                -- each, keeping them from other workers until this claim commits.
                LIMIT \(limit)
            ), claimed AS (
                UPDATE \(identifier: schema).job AS j
                SET state = 'running', attempt = j.attempt + 1, worker = \(worker),
                    lease_until = now() + make_interval(secs => \(seconds(lease)))
                FROM picked WHERE j.id = picked.id
                RETURNING j.id, j.queue, j.kind, j.county, j.args::text AS args, j.attempt, j.max_attempts, j.run_at, j.created_at,
                          coalesce(j.scheduled_at, j.run_at) AS scheduled_at, j.priority, j.fair_at
            )
            SELECT id, queue, kind, county, args, attempt, max_attempts, run_at, created_at, scheduled_at
            FROM claimed ORDER BY priority, fair_at, id
            """
    }

    /// Marks `jobs` completed, if `worker` still holds each one (in this attempt). Inside the
    /// transaction of the jobs' database work, a job no longer held fails the statement
    /// (SQLSTATE TXL01, `isLeaseLost`), so that work rolls back. Returns how many were completed.
    public static func completeQuery(_ jobs: [Job], worker: String, strict: Bool) -> PostgresQuery {
        let done: PostgresQuery = """
            UPDATE \(identifier: schema).job AS j
            SET state = 'completed', finished_at = now(), worker = NULL, lease_until = NULL, last_error = NULL
            FROM unnest(\(jobs.map(\.id))::int8[], \(jobs.map(\.attempt))::int4[]) AS d(id, attempt)
            WHERE j.id = d.id AND j.attempt = d.attempt AND j.state = 'running' AND j.worker = \(worker)
            RETURNING j.id
            """
        if strict {
            return "WITH done AS (\(fragment: done)) SELECT \(identifier: schema).job_lease_check(count(*), \(Int64(jobs.count))) FROM done"
        }
        return "WITH done AS (\(fragment: done)) SELECT count(*) FROM done"
    }

    /// Puts jobs back to sleep until their next time (a watcher between milestones), with
    /// fresh attempts, if `worker` still holds each one; `strict` as in `completeQuery`.
    public static func snoozeQuery(_ jobs: [(job: Job, until: Date)], worker: String, strict: Bool) -> PostgresQuery {
        let done: PostgresQuery = """
            UPDATE \(identifier: schema).job AS j
            SET state = 'available', run_at = to_timestamp(d.until::float8), fair_at = to_timestamp(d.until::float8),
                scheduled_at = to_timestamp(d.until::float8), attempt = 0,
                worker = NULL, lease_until = NULL, last_error = NULL
            FROM unnest(\(jobs.map(\.job.id))::int8[], \(jobs.map(\.job.attempt))::int4[], \(jobs.map { epoch($0.until) })::text[])
                 AS d(id, attempt, until)
            WHERE j.id = d.id AND j.attempt = d.attempt AND j.state = 'running' AND j.worker = \(worker)
            RETURNING j.id
            """
        if strict {
            return "WITH done AS (\(fragment: done)) SELECT \(identifier: schema).job_lease_check(count(*), \(Int64(jobs.count))) FROM done"
        }
        return "WITH done AS (\(fragment: done)) SELECT count(*) FROM done"
    }

    @discardableResult
    public static func complete(_ jobs: [Job], worker: String, on connection: PostgresConnection) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await connection.query(completeQuery(jobs, worker: worker, strict: false)).single().decode(Int.self)
    }

    /// A failed run: the job waits `retryIn` seconds (its backoff) and runs again, or is `dead`
    /// after its last attempt (kept, visible, retryable). `error` is kept on the job.
    public struct Failure: Sendable {
        public var job: Job
        public var error: String
        public var retryIn: Double
        /// Not worth retrying (bad arguments): dead at once.
        public var permanent: Bool

        public init(job: Job, error: String, retryIn: Double = 0, permanent: Bool = false) {
            self.job = job
            self.error = error
            self.retryIn = retryIn
            self.permanent = permanent
        }
    }

    public static func failQuery(_ failures: [Failure], worker: String, now: Date? = nil) -> PostgresQuery {
        let nowText = now.map { epoch($0) } ?? ""
        return """
            UPDATE \(identifier: schema).job AS j
            SET state = CASE WHEN f.permanent OR j.attempt >= j.max_attempts THEN 'dead' ELSE 'available' END,
                run_at = coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()) + make_interval(secs => f.retry_in),
                fair_at = coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()) + make_interval(secs => f.retry_in),
                finished_at = CASE WHEN f.permanent OR j.attempt >= j.max_attempts THEN now() END,
                worker = NULL, lease_until = NULL, last_error = f.error
            FROM unnest(\(failures.map(\.job.id))::int8[], \(failures.map(\.job.attempt))::int4[],
                        \(failures.map { String($0.error.prefix(2000)) })::text[], \(failures.map { String(max(0, $0.retryIn)) })::float8[],
                        \(failures.map { $0.permanent ? "t" : "f" })::bool[]) AS f(id, attempt, error, retry_in, permanent)
            WHERE j.id = f.id AND j.attempt = f.attempt AND j.state = 'running' AND j.worker = \(worker)
            """
    }

    @discardableResult
    public static func fail(_ failures: [Failure], worker: String, now: Date? = nil, on connection: PostgresConnection) async throws -> Int {
        guard !failures.isEmpty else { return 0 }
        return try await connection.execute(failQuery(failures, worker: worker, now: now))
    }

    /// Puts `jobs` back as they were before `worker` claimed them (a graceful shutdown that could
    /// not finish them): available at once, this attempt not counted.
    @discardableResult
    public static func release(_ jobs: [Job], worker: String, on connection: PostgresConnection) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await connection.execute("""
            UPDATE \(identifier: schema).job AS j
            SET state = 'available', attempt = j.attempt - 1, worker = NULL, lease_until = NULL
            FROM unnest(\(jobs.map(\.id))::int8[], \(jobs.map(\.attempt))::int4[]) AS d(id, attempt)
            WHERE j.id = d.id AND j.attempt = d.attempt AND j.state = 'running' AND j.worker = \(worker)
            """)
    }

    /// Renews the leases of the jobs `worker` still holds among `ids`.
    @discardableResult
    public static func heartbeat(worker: String, ids: [Int64], lease: Duration, on connection: PostgresConnection) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await connection.execute("""
            UPDATE \(identifier: schema).job
            SET lease_until = now() + make_interval(secs => \(seconds(lease)))
            WHERE id = ANY(\(ids)::int8[]) AND state = 'running' AND worker = \(worker)
            """)
    }

    /// Jobs whose lease ran out (their worker died or hung) become available again, at their
    /// place in the order; a job that used its last attempt is dead.
    @discardableResult
    public static func rescue(limit: Int = 1000, on connection: PostgresConnection) async throws -> Int {
        try await connection.execute("""
            UPDATE \(identifier: schema).job AS j
            SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'dead' ELSE 'available' END,
                finished_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
                last_error = 'lease expired: worker ' || coalesce(j.worker, '?') || ' stopped renewing it',
                worker = NULL, lease_until = NULL
            FROM (SELECT id FROM \(identifier: schema).job WHERE state = 'running' AND lease_until < now()
                  ORDER BY lease_until LIMIT \(limit) FOR UPDATE SKIP LOCKED) AS expired
            WHERE j.id = expired.id
            """)
    }

    /// Deletes completed and cancelled jobs finished more than `olderThan` ago (dead ones stay
    /// until retried or cancelled). Returns how many.
    @discardableResult
    public static func prune(olderThan: Duration, limit: Int = 10_000, on connection: PostgresConnection) async throws -> Int {
        try await connection.execute("""
            DELETE FROM \(identifier: schema).job
            WHERE id IN (SELECT id FROM \(identifier: schema).job
                         WHERE state IN ('completed', 'cancelled') AND finished_at < now() - make_interval(secs => \(seconds(olderThan)))
                         LIMIT \(limit))
            """)
    }

    /// Cancels the open (available) jobs with these dedupe keys: what a workflow change made
    /// pointless. The key is freed: the same clock can start again (a reassignment). Returns how many.
    @discardableResult
    public static func cancel(dedupeKeys: [String], on connection: PostgresConnection) async throws -> Int {
        guard !dedupeKeys.isEmpty else { return 0 }
        return try await connection.execute(cancelQuery(dedupeKeys: dedupeKeys))
    }

    public static func cancelQuery(dedupeKeys: [String]) -> PostgresQuery {
        """
        UPDATE \(identifier: schema).job SET state = 'cancelled', finished_at = now(), dedupe_key = NULL
        WHERE dedupe_key = ANY(\(dedupeKeys)::text[]) AND state = 'available'
        """
    }

    // MARK: Operators

    /// `jobs retry`: a dead (or cancelled) job runs again at once with fresh attempts.
    public static func retry(id: Int64, on connection: PostgresConnection) async throws -> JobRecord {
        let rows = try await connection.query("""
            UPDATE \(identifier: schema).job SET state = 'available', attempt = 0, run_at = now(), fair_at = now(),
                finished_at = NULL, last_error = NULL
            WHERE id = \(id) AND state IN ('dead', 'cancelled')
            RETURNING \(unescaped: recordColumns)
            """)
        guard let row = rows.first else { throw try await notChanged(id, wanted: "dead or cancelled", on: connection) }
        _ = try await connection.query("SELECT pg_notify(\(channel.name), queue) FROM \(identifier: schema).job WHERE id = \(id)")
        return try record(row)
    }

    /// `jobs cancel`: an available or dead job will not run.
    public static func cancel(id: Int64, on connection: PostgresConnection) async throws -> JobRecord {
        let rows = try await connection.query("""
            UPDATE \(identifier: schema).job SET state = 'cancelled', finished_at = now()
            WHERE id = \(id) AND state IN ('available', 'dead')
            RETURNING \(unescaped: recordColumns)
            """)
        guard let row = rows.first else { throw try await notChanged(id, wanted: "available or dead", on: connection) }
        return try record(row)
    }

    private static func notChanged(_ id: Int64, wanted: String, on connection: PostgresConnection) async throws -> JobError {
        let rows = try await connection.query("SELECT state FROM \(identifier: schema).job WHERE id = \(id)")
        guard let state = try rows.first?.decode(String.self) else { return JobError("no job \(id)") }
        return JobError("job \(id) is \(state), not \(wanted)")
    }

    /// Filters for `jobs list`.
    public struct Filter: Sendable {
        public var states: [JobState]
        public var queue: String?
        public var kind: String?
        public var county: String?
        public var limit: Int

        public init(states: [JobState] = [], queue: String? = nil, kind: String? = nil, county: String? = nil, limit: Int = 100) {
            self.states = states
            self.queue = queue
            self.kind = kind
            self.county = county
            self.limit = limit
        }
    }

    static let recordColumns = "id, queue, kind, county, state, attempt, max_attempts, run_at, dedupe_key, worker, last_error, created_at, finished_at"

    public static func list(_ filter: Filter, on connection: PostgresConnection) async throws -> [JobRecord] {
        let rows = try await connection.query("""
            SELECT \(unescaped: recordColumns) FROM \(identifier: schema).job
            WHERE (cardinality(\(filter.states.map(\.rawValue))::text[]) = 0 OR state = ANY(\(filter.states.map(\.rawValue))::text[]))
              AND (\(filter.queue)::text IS NULL OR queue = \(filter.queue))
              AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
              AND (\(filter.county)::text IS NULL OR county = \(filter.county))
            ORDER BY run_at, id
            LIMIT \(max(1, min(filter.limit, 100_000)))
            """)
        return try rows.map(record)
    }

    static func record(_ row: PostgresRow) throws -> JobRecord {
        let (id, queue, kind, county, state, attempt, maxAttempts, runAt, key, worker, error, created, finished) =
            try row.decode((Int64, String, String, String?, String, Int, Int, Date, String?, String?, String?, Date, Date?).self)
        return JobRecord(id: id, queue: queue, kind: kind, county: county, state: state, attempt: attempt, maxAttempts: maxAttempts,
                         runAt: runAt, dedupeKey: key, worker: worker, lastError: error, createdAt: created, finishedAt: finished)
    }

    /// Counts per queue and state, with the oldest due job's wait.
    public struct QueueStats: Sendable, Hashable {
        public let queue: String
        public let available: Int
        public let due: Int
        public let running: Int
        public let completed: Int
        public let cancelled: Int
        public let dead: Int
        /// Seconds the oldest due job has waited (0 when none is due).
        public let oldestDueSeconds: Double
    }

    public static func stats(now: Date? = nil, on connection: PostgresConnection) async throws -> [QueueStats] {
        let nowText = now.map { epoch($0) } ?? ""
        let rows = try await connection.query("""
            SELECT queue,
                   count(*) FILTER (WHERE state = 'available'),
                   count(*) FILTER (WHERE state = 'available' AND run_at <= c.now),
                   count(*) FILTER (WHERE state = 'running'),
                   count(*) FILTER (WHERE state = 'completed'),
                   count(*) FILTER (WHERE state = 'cancelled'),
                   count(*) FILTER (WHERE state = 'dead'),
                   coalesce(extract(epoch FROM c.now - min(run_at) FILTER (WHERE state = 'available' AND run_at <= c.now)), 0)::float8
            FROM \(identifier: schema).job,
                 LATERAL (SELECT coalesce(to_timestamp(nullif(\(nowText), '')::float8), now()) AS now) c
            GROUP BY queue, c.now ORDER BY queue
            """)
        return try rows.map { row in
            let (queue, available, due, running, completed, cancelled, dead, oldest) =
                try row.decode((String, Int, Int, Int, Int, Int, Int, Double).self)
            return QueueStats(queue: queue, available: available, due: due, running: running, completed: completed,
                              cancelled: cancelled, dead: dead, oldestDueSeconds: oldest)
        }
    }

    /// Whether `error` is the completion check's: the worker lost a job's lease.
    public static func isLeaseLost(_ error: any Error) -> Bool {
        (error as? PostgresError)?.sqlState == "TXL01"
    }

    // MARK: Helpers

    static func epoch(_ date: Date) -> String { String(format: "%.6f", date.timeIntervalSince1970) }

    static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) / 1e18
    }
}
