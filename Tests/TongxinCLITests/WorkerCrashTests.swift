import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// The worker program under faults: killed mid-batch, and PostgreSQL restarted under it. The
/// `effect` jobs write one row each in the transaction that completes them, so counting rows
/// proves nothing was lost and nothing ran twice.
@Suite struct WorkerCrashTests {
    struct Tally: Equatable, CustomStringConvertible {
        var completed: Int
        var open: Int
        var effects: Int
        var distinct: Int
        var description: String { "completed \(completed), open \(open), effects \(effects) for \(distinct) jobs" }
    }

    static func tally(_ configuration: PostgresConfiguration) async throws -> Tally {
        try await PostgresConnection.withConnection(configuration: configuration) { c in
            let (completed, open) = try await c.query("""
                SELECT count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state IN ('available', 'running'))
                FROM tongxin.job
                """).single().decode((Int, Int).self)
            let (effects, distinct) = try await c.query("SELECT count(*), count(DISTINCT job_id) FROM tongxin.job_effect")
                .single().decode((Int, Int).self)
            return Tally(completed: completed, open: open, effects: effects, distinct: distinct)
        }
    }

    static func worker(_ url: String, _ arguments: [String]) throws -> SpawnedProcess {
        try SpawnedProcess(
            Programs.directory + "/tongxin-worker", ["--log-level", "warning", "--lease-seconds", "3"] + arguments,
            environment: Programs.cleanEnvironment(["DATABASE_URL": url]))
    }

    static func prepare(_ url: String, jobs: Int, sleepMilliseconds: Int = 1) async throws {
        let migrated = try await Programs.run("tongxin", ["migrate", "up"], environment: ["DATABASE_URL": url])
        #expect(migrated.status == 0, "\(migrated.output)")
        let enqueued = try await Programs.run(
            "tongxin", ["jobs", "enqueue", "effect", "--count", "\(jobs)", "--args", "{\"sleep_ms\": \(sleepMilliseconds)}"], environment: ["DATABASE_URL": url])
        #expect(enqueued.status == 0, "\(enqueued.output)")
    }

    @Test func sigkillMidBatchLosesNoJobAndRunsEachEffectOnce() async throws {
        try await TestDatabase.withDatabase { configuration in
            let url = Programs.url(configuration)
            let total = 3000
            try await Self.prepare(url, jobs: total)
            var kills = 0
            for _ in 0..<4 {
                let child = try Self.worker(url, ["--concurrency", "2", "--batch-size", "25"])
                try await Task.sleep(for: .milliseconds(600))
                child.signal(SIGKILL)
                _ = try await offCooperativePool { child.waitForExit() }
                kills += 1
            }
            let midway = try await Self.tally(configuration)
            #expect(midway.completed < total, "the worker finished before it was killed: \(midway)")
            // The killed workers' leases expire (3 s); then a worker drains the rest.
            try await Task.sleep(for: .seconds(3.5))
            let drain = try Self.worker(url, ["--drain", "--concurrency", "2"])
            let status = try await offCooperativePool { drain.waitForExit() }
            #expect(status == 0, "\(drain.output)")
            let final = try await Self.tally(configuration)
            #expect(final == Tally(completed: total, open: 0, effects: total, distinct: total), "after \(kills) kills: \(final)")
        }
    }

    @Test func aPostgresRestartUnderTheWorkerLosesNothing() async throws {
        let server = try await offCooperativePool { try EmbeddedPostgres.start() }
        defer { try? server.stop() }
        let configuration = PostgresConfiguration(connectionString: server.connectionString(database: "postgres"))
        let url = server.connectionString(database: "postgres")
        let total = 2000
        try await Self.prepare(url, jobs: total, sleepMilliseconds: 3)
        let child = try Self.worker(url, ["--concurrency", "2", "--batch-size", "20"])
        // Restart once the worker is under way.
        let started = ContinuousClock.now
        while try await Self.tally(configuration).completed < 100, ContinuousClock.now - started < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await offCooperativePool { try server.restart() }
        let midway = try await Self.tally(configuration)
        var final = midway
        let deadline = ContinuousClock.now + .seconds(60)
        while final.completed < total, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            final = try await Self.tally(configuration)
        }
        child.signal(SIGTERM)
        let status = try await offCooperativePool { child.waitForExit() }
        #expect(midway.completed < total, "the worker finished before the restart: \(midway)")
        #expect(status == 0, "\(child.output.suffix(600))")
        #expect(final == Tally(completed: total, open: 0, effects: total, distinct: total), "\(final)")
    }
}
