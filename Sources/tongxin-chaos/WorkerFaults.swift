import EmbeddedPostgres
import Foundation
import JobQueue
import PostgresClient
import Synchronization
import TongxinWorker

/// The worker under faults. Every scenario runs `effect` jobs (each writes one row in the
/// transaction that completes it), so counting rows shows lost and repeated work.
enum WorkerFaults {
    /// Jobs in the queue, their effects and the outbox, counted.
    struct Tally: Sendable, CustomStringConvertible {
        var jobs = 0
        var completed = 0
        var dead = 0
        var rerun = 0
        var effects = 0
        var effectJobs = 0
        var pending = 0
        var description: String {
            "\(completed) of \(jobs) jobs completed (\(dead) dead, \(rerun) run again after a fault), \(effects) effect rows for \(effectJobs) jobs, \(pending) notification(s) pending"
        }
    }

    static func tally(_ harness: Harness, _ database: String) async throws -> Tally {
        try await harness.withConnection(database) { c in
            let row = try await c.query("""
                SELECT (SELECT count(*) FROM tongxin.job), (SELECT count(*) FROM tongxin.job WHERE state = 'completed'),
                       (SELECT count(*) FROM tongxin.job WHERE state = 'dead'), (SELECT count(*) FROM tongxin.job WHERE attempt > 1),
                       (SELECT count(*) FROM tongxin.job_effect), (SELECT count(DISTINCT job_id) FROM tongxin.job_effect),
                       (SELECT count(*) FROM tongxin.notification WHERE state <> 'delivered')
                """).single()
            let (jobs, completed, dead, rerun, effects, effectJobs, pending) = try row.decode((Int, Int, Int, Int, Int, Int, Int).self)
            return Tally(jobs: jobs, completed: completed, dead: dead, rerun: rerun, effects: effects, effectJobs: effectJobs, pending: pending)
        }
    }

    /// Waits until every job is completed or dead (or `limit` passes).
    static func settle(_ harness: Harness, _ database: String, limit: Duration) async throws -> Tally {
        let deadline = ContinuousClock.now + limit
        var tally = try await tally(harness, database)
        while tally.completed + tally.dead < tally.jobs, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            tally = try await self.tally(harness, database)
        }
        return tally
    }

    /// Checks the final tally: every job completed, each effect once.
    static func judge(_ tally: Tally, effectJobs: Int, into outcome: inout Outcome) {
        outcome.lost += tally.jobs - tally.completed
        outcome.lost += max(0, effectJobs - tally.effectJobs)
        outcome.duplicated += tally.effects - tally.effectJobs
        if tally.effects > tally.effectJobs {
            outcome.findings.append("\(tally.effects - tally.effectJobs) database effect(s) ran twice")
        }
        if tally.dead > 0 { outcome.findings.append("\(tally.dead) job(s) dead") }
    }

    static func workerTrap(_ status: Int32, _ output: String, expected: Set<Int32>) -> Bool {
        !expected.contains(status) && status >= 128 || output.contains("Fatal error") || output.contains("Swift runtime failure")
    }

    /// SIGTERM, then the exit within 60 s: status 0, or a finding (a trap when a signal ended it).
    static func stop(_ worker: SpawnedProcess, _ harness: Harness, into outcome: inout Outcome) async throws -> Int32 {
        worker.signal(SIGTERM)
        let (status, hung) = try await harness.waitForExit(worker, limit: .seconds(60))
        if hung { outcome.findings.append("the worker did not stop within 60 s of SIGTERM") }
        if status != 0 {
            if workerTrap(status, worker.output, expected: [0, 1]) { outcome.traps += 1 }
            outcome.findings.append("the worker exited with status \(status) after SIGTERM: \(worker.output.suffix(300))")
        }
        return status
    }

    // MARK: SIGKILL

    static func sigkill(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.workerKill.rawValue)
        let database = try await harness.freshDatabase("chaos_sigkill")
        let migrated = try await harness.tongxin(["migrate", "up"], database: database)
        guard migrated.status == 0 else { throw ChaosError("migrate up: \(migrated.stderr)") }
        let total = harness.options.quick ? 16_000 : 50_000
        let deliveries = total / 2
        let effectJobs = total - deliveries
        let kills = 20

        // The outbox and a delivery job per notification, interleaved with effect jobs.
        try await harness.withConnection(database) { c in
            // Through the outbox's own API, as the watchers add them (in pipelines of 1,000).
            var jobs: [NewJob] = []
            jobs.reserveCapacity(total)
            var statements: [PostgresQuery] = []
            for i in 0..<deliveries {
                let (statement, delivery) = try Outbox.add(
                    county: "chaos", kind: "chaos.test", recipient: "提案委", subject: "C-\(i + 1)", message: "第 \(i + 1) 条",
                    key: "chaos:\(i + 1)", at: Date())
                statements.append(statement)
                jobs.append(NewJob(kind: "effect", args: #"{"sleep_ms": 1}"#))
                var retried = delivery
                retried.maxAttempts = 25
                jobs.append(retried)
                if statements.count == 1_000 {
                    _ = try await c.pipeline(statements)
                    statements.removeAll()
                }
            }
            if !statements.isEmpty { _ = try await c.pipeline(statements) }
            for chunk in stride(from: 0, to: jobs.count, by: 10_000) {
                try await JobQueue.enqueue(Array(jobs[chunk..<min(chunk + 10_000, jobs.count)]), on: c)
            }
        }
        let receiver = try Receiver()
        defer { receiver.stop() }
        let arguments = ["--concurrency", "2", "--batch-size", "20", "--lease-seconds", "3", "--webhook-url", receiver.url]

        var random = Random(seed: harness.options.seed)
        var landed = 0
        for kill in 1...kills {
            let before = try await tally(harness, database).completed
            let child = try harness.worker(database, arguments)
            defer { child.signal(SIGKILL) }
            // Once this worker is at work (a job completed, or 15 s), a random moment later: kill.
            let started = ContinuousClock.now
            while try await tally(harness, database).completed == before, ContinuousClock.now - started < .seconds(15) {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: harness.options.quick ? 250...600 : 400...1000, using: &random)))
            child.signal(SIGKILL)
            let (status, _) = try await harness.waitForExit(child, limit: .seconds(30))
            let after = try await tally(harness, database).completed
            if after > before && after < total { landed += 1 }
            if status != 137 {
                if workerTrap(status, child.output, expected: [137]) { outcome.traps += 1 }
                outcome.findings.append("kill \(kill): the worker had already exited with status \(status): \(child.output.suffix(300))")
            }
            outcome.runs += 1
        }
        let midway = try await tally(harness, database)
        if landed < kills {
            outcome.findings.append("only \(landed) of \(kills) kills landed while jobs were being worked (\(midway))")
        }
        // The killed workers' leases lapse (3 s); a worker drains the rest.
        try await Task.sleep(for: .seconds(3.5))
        let drain = try harness.worker(database, ["--drain"] + arguments)
        defer { drain.signal(SIGKILL) }
        let (status, hung) = try await harness.waitForExit(drain, limit: .seconds(600))
        if hung { outcome.findings.append("the draining worker did not finish within 10 minutes") }
        if status != 0 {
            if workerTrap(status, drain.output, expected: [0, 1]) { outcome.traps += 1 }
            outcome.findings.append("the draining worker exited with status \(status): \(drain.output.suffix(300))")
        }
        let final = try await tally(harness, database)
        judge(final, effectJobs: effectJobs, into: &outcome)

        // Deliveries: at least once each, duplicates no more than the kills, each with its key.
        // A request cut off by a kill (its body shorter than its Content-Length, or no headers
        // at all) never reached a real server's handler: counted apart, not as a delivery.
        let all = receiver.requests
        let received = all.filter { request in
            guard let length = request.headers["content-length"].flatMap({ Int($0) }) else { return false }
            // A body cut inside a character decodes to U+FFFD and may reach the length: not JSON.
            return request.body.utf8.count >= length && (try? JSONSerialization.jsonObject(with: Data(request.body.utf8))) != nil
        }
        let cut = all.count - received.count
        var perKey: [String: Int] = [:]
        var unkeyed = 0
        for request in received {
            let key = request.headers["idempotency-key"] ?? ""
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body.utf8))) as? [String: Any]
            if key.isEmpty || body?["idempotency_key"] as? String != key { unkeyed += 1 }
            perKey[key, default: 0] += 1
        }
        let delivered = perKey.keys.filter { $0.hasPrefix("chaos:") }.count
        let duplicates = received.count - perKey.count
        outcome.lost += deliveries - delivered + final.pending
        outcome.duplicated += duplicates
        outcome.allowedDuplicates = kills
        if unkeyed > 0 { outcome.findings.append("\(unkeyed) delivery(ies) without their idempotency key") }
        outcome.notes = [
            "\(total) jobs (\(effectJobs) effects, \(deliveries) webhook deliveries); \(kills) SIGKILLs, \(landed) mid-work; midway \(midway)",
            "after the drain: \(final)",
            "webhook: \(received.count) POSTs for \(delivered) notifications, \(duplicates) repeated (each with its Idempotency-Key), \(unkeyed) unkeyed; \(cut) cut off mid-request by a kill",
        ]
        return outcome
    }

    /// A local webhook sink that records every request.
    final class Receiver: Sendable {
        final class Log: Sendable {
            let list = Mutex<[MetricsServer.HTTPRequest]>([])
        }

        let server: MetricsServer
        let log = Log()
        var requests: [MetricsServer.HTTPRequest] { log.list.withLock { $0 } }
        var url: String { "http://127.0.0.1:\(server.port)/hook" }

        init() throws {
            let log = self.log
            server = try MetricsServer(host: "127.0.0.1", port: 0) { request in
                log.list.withLock { $0.append(request) }
                return ("200 OK", "text/plain", "ok\n")
            }
            server.start()
        }

        func stop() { server.stop() }
    }

    // MARK: PostgreSQL restarts

    static func postgresRestart(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.postgresRestart.rawValue)
        let database = try await harness.freshDatabase("chaos_restart")
        let counties = try await harness.createCounties(database, prefix: "r", count: harness.options.quick ? 100 : 200)
        let folder = try harness.migrationsFolder("restart", extra: [
            "0900_chaos_slow.sql": "CREATE TABLE IF NOT EXISTS chaos_slow (n int NOT NULL);\nSELECT pg_sleep(0.05);\nINSERT INTO chaos_slow VALUES (1);\n",
        ])
        let total = harness.options.quick ? 8_000 : 20_000
        let enqueued = try await harness.tongxin(["jobs", "enqueue", "effect", "--count", "\(total)", "--args", #"{"sleep_ms": 1}"#], database: database)
        guard enqueued.status == 0 else { throw ChaosError("jobs enqueue: \(enqueued.stderr)") }
        let worker = try harness.worker(database, ["--concurrency", "2", "--batch-size", "20", "--lease-seconds", "3"])
        defer { worker.signal(SIGKILL) }
        // Each restart lands in a running `migrate up --all`, while the worker works on.
        var attempts: [Harness.Run] = []
        for _ in 1...2 {
            let migrate = Task { try await harness.tongxin(["migrate", "up", "--all", "--jobs", "2", "--migrations", folder], database: database) }
            // Restart once this run has migrated a few more counties, and before it is done.
            let before = try await migratedCounties(harness, database)
            let started = ContinuousClock.now
            var now = before
            while now < min(before + 10, counties.count), ContinuousClock.now - started < .seconds(60) {
                try await Task.sleep(for: .milliseconds(20))
                now = try await migratedCounties(harness, database)
            }
            if now >= counties.count || now == before { outcome.findings.append("restart \(outcome.runs + 1) did not land in a running migrate up (\(now) of \(counties.count) migrated)") }
            do {
                guard let server = harness.server else { throw ChaosError("postgres-restart needs the suite's own server") }
                try await blocking { try server.restart() }
            } catch {
                migrate.cancel()
                throw error
            }
            outcome.runs += 1
            attempts.append(try await migrate.value)
        }
        // Resume: rerun until it completes (it must, now that the server stays up).
        while attempts.last?.status != 0 && attempts.count < 5 {
            attempts.append(try await harness.tongxin(["migrate", "up", "--all", "--jobs", "2", "--migrations", folder], database: database))
        }
        for run in attempts {
            if run.trapped { outcome.traps += 1 }
            if run.status != 0 && run.errorLines.count != 1 {
                outcome.findings.append("migrate up failed with \(run.errorLines.count) error lines instead of one: \(run.stderr.suffix(400))")
            }
        }
        if attempts.last?.status != 0 { outcome.findings.append("migrate up did not complete after \(attempts.count) runs") }
        if attempts.prefix(2).contains(where: { $0.status == 0 }) {
            outcome.notes.append("a migrate run went on through a restart and completed (allowed: finish or fail cleanly)")
        }

        let final = try await settle(harness, database, limit: .seconds(240))
        let status = try await stop(worker, harness, into: &outcome)
        judge(final, effectJobs: total, into: &outcome)
        let (atHead, partial, twice) = try await MigrationFaults.applied(harness, database, counties: counties, version: 900, table: "chaos_slow")
        outcome.lost += counties.count - atHead - partial - twice
        outcome.partialWrites += partial
        outcome.duplicated += twice
        outcome.notes += [
            "\(total) effect jobs under one worker; migrate up --all over \(counties.count) counties; 2 fast restarts",
            "migrate runs: " + attempts.map { $0.status == 0 ? "completed" : "failed (\($0.errorLines.last ?? ""))" }.joined(separator: "; then "),
            "worker: \(final); exit \(status) after SIGTERM",
            "counties at the new migration: \(atHead) of \(counties.count), half-applied \(partial), applied twice \(twice)",
        ]
        return outcome
    }

    /// Counties that have the scenario's table (one catalog query, no county's data).
    static func migratedCounties(_ harness: Harness, _ database: String) async throws -> Int {
        try await harness.withConnection(database) { c in
            try await c.query("SELECT count(*) FROM pg_class WHERE relname = 'chaos_slow' AND relkind = 'r'").single().decode(Int.self)
        }
    }

    // MARK: pg_terminate_backend

    static func terminateBackend(_ harness: Harness) async throws -> Outcome {
        var outcome = Outcome(Scenario.terminateBackend.rawValue)
        let database = try await harness.freshDatabase("chaos_terminate")
        let migrated = try await harness.tongxin(["migrate", "up"], database: database)
        guard migrated.status == 0 else { throw ChaosError("migrate up: \(migrated.stderr)") }
        let total = harness.options.quick ? 6_000 : 15_000
        let enqueued = try await harness.tongxin(["jobs", "enqueue", "effect", "--count", "\(total)", "--args", #"{"sleep_ms": 1}"#], database: database)
        guard enqueued.status == 0 else { throw ChaosError("jobs enqueue: \(enqueued.stderr)") }
        let worker = try harness.worker(database, ["--concurrency", "2", "--batch-size", "20", "--lease-seconds", "3"])
        defer { worker.signal(SIGKILL) }
        var terminated: [Int] = []
        for _ in 1...5 {
            try await Task.sleep(for: .milliseconds(900))
            let n = try await harness.withConnection(database) { c in
                // The worker reconnects with backoff: wait (up to 10 s) until it is back.
                let back = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < back, try await c.query("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                    """).single().decode(Int.self) == 0 {
                    try await Task.sleep(for: .milliseconds(50))
                }
                return try await c.query("""
                    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                    """).single().decode(Int.self)
            }
            terminated.append(n)
            outcome.runs += 1
        }
        if terminated.contains(0) { outcome.findings.append("a round found no worker connection to terminate: \(terminated)") }
        let final = try await settle(harness, database, limit: .seconds(180))
        let status = try await stop(worker, harness, into: &outcome)
        judge(final, effectJobs: total, into: &outcome)
        outcome.notes = [
            "\(total) effect jobs; 5 rounds of pg_terminate_backend on every worker connection (\(terminated.map(String.init).joined(separator: ", ")) terminated)",
            "worker: \(final); exit \(status) after SIGTERM",
        ]
        return outcome
    }
}
