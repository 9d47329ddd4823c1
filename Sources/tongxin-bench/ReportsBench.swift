import Counties
import EmbeddedPostgres
import Foundation
import JobQueue
import Migrations
import PostgresClient
import Synchronization
import Workflow
import WorkflowStore

extension Bench {
    /// Reports over many counties: N counties × 200 proposals loaded with COPY, the worker's
    /// rollups, then `tongxin report compare --all` (process start included) against the naive
    /// UNION ALL over every county schema, `report annual` for one county, and how fresh the
    /// rollup is after a change with the worker running.
    static func reports(_ pool: PostgresPool) async throws {
        let count = Int(ProcessInfo.processInfo.environment["TONGXIN_BENCH_REPORT_COUNTIES"] ?? "") ?? 3_000
        let perCounty = 200
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "bench")
        try await registry.migrateControl()
        let entries = try CountyList.parse((0..<count).map { "rep_\($0),报告县 \($0)" }.joined(separator: "\n"))
        var start = ContinuousClock.now
        let outcomes = try await registry.createMany(entries, jobs: 2)
        guard outcomes.allSatisfy({ $0.1 == nil }) else { throw BenchError("create-many failed") }
        let created = seconds(ContinuousClock.now - start)

        // The data: per county 20 members, 10 units, a 2021 session and 200 proposals with their
        // assignments, replies and ratings, loaded with COPY; two loaders at once.
        start = ContinuousClock.now
        let loader = PostgresPool(configuration: pool.configuration, options: PostgresPoolOptions(maxConnections: 2))
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    while true {
                        let c = next.value.add(1, ordering: .relaxed).oldValue
                        if c >= count { return }
                        try await loader.withConnection { connection in
                            try await loadCounty(c, proposals: perCounty, on: connection)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        await loader.close()
        let loaded = seconds(ContinuousClock.now - start)
        report(String(format: "reports: %d counties created, then %d proposals each (with assignments, replies, ratings) loaded by COPY", count, perCounty),
               String(format: "%.0f s and %.0f s", created, loaded))

        // The rollups, by the worker program.
        try await pool.query("""
            INSERT INTO tongxin.job (queue, kind, county, args, run_at, fair_at, max_attempts, dedupe_key)
            SELECT 'rollup', 'stats.rollup', code, '{"year": 2021}', now(), now(), 5, 'bench-rollup:' || code
            FROM tongxin.county WHERE code LIKE 'rep\\_%'
            """)
        let program = try sibling("tongxin-worker")
        let environment = ProcessInfo.processInfo.environment
        start = ContinuousClock.now
        let worker = try SpawnedProcess(program, ["--drain", "--queues", "rollup", "--concurrency", "2", "--batch-size", "20", "--log-level", "warning"],
                                        environment: environment)
        let status = await Task.detached { worker.waitForExit() }.value
        guard status == 0 else { throw BenchError("the rollups failed: \(worker.output.suffix(300))") }
        let rolled = seconds(ContinuousClock.now - start)
        report(String(format: "reports: tongxin-worker rolls up %d counties (%.0f counties/s)", count, Double(count) / rolled), String(format: "%.1f s", rolled))

        // `tongxin report compare --all --format json`, as an operator runs it.
        let tongxin = try sibling("tongxin")
        var samples: [Double] = []
        for i in 0..<11 {
            let t = ContinuousClock.now
            let child = try SpawnedProcess(tongxin, ["report", "compare", "--year", "2021", "--all", "--format", "json"], environment: environment)
            let code = child.waitForExit()
            let ms = seconds(ContinuousClock.now - t) * 1000
            guard code == 0 else { throw BenchError("report compare failed (\(code)): \(child.output.suffix(300))") }
            if i == 0 {
                let rows = child.output.components(separatedBy: "\"county_name\"").count - 1
                guard rows == count else { throw BenchError("report compare listed \(rows) counties, not \(count)") }
            } else {
                samples.append(ms)
            }
        }
        samples.sort()
        let compareP50 = samples[samples.count / 2]

        // The naive way: one query over every county schema, UNION ALL, each arm computing the
        // comparison's main counts (filed, registered, round-1 replies, on time, category A,
        // rated, satisfied) by joining the county's tables. (Written with a subquery per figure
        // instead, 18,000 subplans in one statement crashed the 3,000-county server.)
        let parts = (0..<count).map { c -> String in
            let s = "county_rep_\(c)"
            return """
                SELECT 'rep_\(c)' AS county, count(DISTINCT p.id) AS filed,
                       count(DISTINCT p.id) FILTER (WHERE p.registered_at IS NOT NULL) AS registered,
                       count(DISTINCT r.id) AS replies,
                       count(DISTINCT r.id) FILTER (WHERE (r.replied_at AT TIME ZONE 'Asia/Shanghai')::date <= r.due_on) AS on_time,
                       count(DISTINCT r.id) FILTER (WHERE r.category = 'A') AS solved,
                       count(DISTINCT e.id) AS rated, count(DISTINCT e.id) FILTER (WHERE e.rating <> 'unsatisfied') AS satisfied
                FROM \(s).proposal p JOIN \(s).session x ON x.id = p.session_id AND x.year = 2021
                LEFT JOIN \(s).assignment a ON a.proposal_id = p.id AND a.role <> 'co' AND a.returned_at IS NULL
                LEFT JOIN \(s).reply r ON r.assignment_id = a.id AND r.round = 1
                LEFT JOIN \(s).evaluation e ON e.proposal_id = p.id AND e.round = 1
                """
        }
        let naive = parts.joined(separator: "\nUNION ALL\n")
        var naiveSamples: [Double] = []
        try await pool.withConnection { connection in
            for _ in 0..<3 {
                let t = ContinuousClock.now
                let rows = try await connection.executeUnsafeScript(naive)
                naiveSamples.append(seconds(ContinuousClock.now - t) * 1000)
                guard rows.count == count else { throw BenchError("the naive query returned \(rows.count) rows") }
            }
        }
        naiveSamples.sort()
        let naiveP50 = naiveSamples[naiveSamples.count / 2]
        report(String(format: "reports: tongxin report compare --year 2021 --all --format json over %d counties, wall time with process start (p90 %.0f ms; 10 runs)",
                      count, samples[samples.count * 9 / 10]),
               String(format: "p50 %.0f ms", compareP50), value: compareP50, target: .below(300, "300 ms"))
        report(String(format: "reports: report compare against the naive UNION ALL over every schema (the main counts, joined per county; %.0f ms, median of 3)", naiveP50),
               String(format: "%.0f× faster", naiveP50 / compareP50), value: naiveP50 / compareP50, target: .atLeast(20, "20×"))

        // `tongxin report annual` for one county.
        var annual: [Double] = []
        var env = environment
        env["TONGXIN_COUNTY"] = "rep_0"
        for i in 0..<11 {
            let t = ContinuousClock.now
            let child = try SpawnedProcess(tongxin, ["report", "annual", "--year", "2021", "--format", "json"], environment: env)
            guard child.waitForExit() == 0 else { throw BenchError("report annual failed: \(child.output.suffix(300))") }
            if i > 0 { annual.append(seconds(ContinuousClock.now - t) * 1000) }
        }
        annual.sort()
        report("reports: tongxin report annual for one county (200 proposals), wall time with process start (10 runs)",
               String(format: "p50 %.0f ms", annual[annual.count / 2]), value: annual[annual.count / 2], target: .below(100, "100 ms"))

        // Freshness: the worker runs; a change in a county; how long until its rollup shows it.
        let running = try SpawnedProcess(program, ["--concurrency", "2", "--log-level", "warning"], environment: environment)
        try await Task.sleep(for: .seconds(1))
        _ = try await CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "bench").setPurpose(try CountyCode("rep_1"), .training)
        let store = try WorkflowStore(pool: pool, county: try CountyCode("rep_1"), principal: .replaying("bench"), now: Date())
        let before = try await pool.query("SELECT (figures->>'filed')::int FROM tongxin.county_rollup WHERE county = 'rep_1' AND year = 2021")
            .single().decode(Int.self)
        let changed = ContinuousClock.now
        _ = try await store.file(NewProposal(
            title: "关于新增一件提案的建议", body: "内容", category: .livelihood, kind: .individual, lead: "委员0", sessionYear: 2021))
        var fresh: Double?
        while ContinuousClock.now - changed < .seconds(120) {
            let now = try await pool.query("SELECT (figures->>'filed')::int FROM tongxin.county_rollup WHERE county = 'rep_1' AND year = 2021")
                .single().decode(Int.self)
            if now == before + 1 {
                fresh = seconds(ContinuousClock.now - changed)
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        running.signal(SIGTERM)
        _ = await Task.detached { running.waitForExit() }.value
        guard let fresh else { throw BenchError("the rollup did not show the change within 120 s") }
        report("reports: rollup freshness after a change, worker running (30 s buckets, 1 s poll)", String(format: "%.1f s", fresh),
               value: fresh, target: .below(60, "60 s"))
    }

    /// One county's data: reference rows by SQL, the year's proposals and their handling by COPY.
    static func loadCounty(_ c: Int, proposals: Int, on connection: PostgresConnection) async throws {
        let schema = try PostgresIdentifier("county_rep_\(c)")
        try await connection.withTransaction { tx in
            try await tx.query("""
                WITH sec AS (INSERT INTO \(identifier: schema).sector (id, name) VALUES (1, '经济界') RETURNING id)
                INSERT INTO \(identifier: schema).member (id, name, sector_id) SELECT 100 + g, '委员' || g, 1 FROM generate_series(0, 19) g
                """)
            try await tx.query("INSERT INTO \(identifier: schema).unit (id, name) SELECT 200 + g, '单位' || g FROM generate_series(0, 9) g")
            try await tx.query("""
                INSERT INTO \(identifier: schema).session (id, year, name, opened_on, closed_on, last_number)
                VALUES (300, 2021, '全体会议', '2021-03-01', '2021-03-05', \(proposals))
                """)
            try await tx.query("SELECT setval(\(schema.quoted + ".id_seq")::regclass, 10000000)")
            // Vary the counties: lateness, ratings and categories depend on the county's index.
            let lateEvery = 5 + c % 17
            let unsatisfiedEvery = 7 + c % 23
            try await tx.copyFrom(table: try PostgresIdentifier("proposal"), schema: schema, columns: try [
                "id", "session_id", "number", "title", "category", "kind", "status", "filed_at", "registered_at", "closed_at", "updated_at",
            ].map(PostgresIdentifier.init)) { writer in
                for i in 1...proposals {
                    let number = i < 1000 ? String(format: "2021-%03d", i) : "2021-\(i)"
                    try writer.row(Int64(1000 + i), Int64(300), number, "关于第\(i)项工作的建议", "livelihood", "individual",
                                   "closed", "2021-03-02 10:00+08", "2021-03-08 10:00+08", "2021-07-01 10:00+08", "2021-07-01 10:00+08")
                }
            }
            try await tx.copyFrom(table: try PostgresIdentifier("assignment"), schema: schema, columns: try [
                "id", "proposal_id", "unit_id", "role", "assigned_at", "due_on", "replied_at",
            ].map(PostgresIdentifier.init)) { writer in
                for i in 1...proposals {
                    let late = i % lateEvery == 0
                    try writer.row(Int64(5000 + i), Int64(1000 + i), Int64(200 + i % 10), "lead", "2021-03-10 10:00+08", "2021-06-10",
                                   late ? "2021-06-20 10:00+08" : "2021-05-20 10:00+08")
                }
            }
            try await tx.copyFrom(table: try PostgresIdentifier("reply"), schema: schema, columns: try [
                "assignment_id", "round", "category", "text", "replied_at", "due_on",
            ].map(PostgresIdentifier.init)) { writer in
                for i in 1...proposals {
                    let late = i % lateEvery == 0
                    try writer.row(Int64(5000 + i), 1, ["A", "B", "A", "C", "B", "D"][(i + c) % 6], "已办理",
                                   late ? "2021-06-20 10:00+08" : "2021-05-20 10:00+08", "2021-06-10")
                }
            }
            try await tx.copyFrom(table: try PostgresIdentifier("evaluation"), schema: schema, columns: try [
                "proposal_id", "member_id", "round", "rating", "evaluated_at",
            ].map(PostgresIdentifier.init)) { writer in
                for i in 1...proposals {
                    let rating = i % unsatisfiedEvery == 0 ? "unsatisfied" : (i % 3 == 0 ? "basic" : "satisfied")
                    try writer.row(Int64(1000 + i), Int64(100 + i % 20), 1, rating, "2021-06-01 10:00+08")
                }
            }
            try await tx.copyFrom(table: try PostgresIdentifier("proposal_author"), schema: schema, columns: try [
                "proposal_id", "member_id", "lead",
            ].map(PostgresIdentifier.init)) { writer in
                for i in 1...proposals { try writer.row(Int64(1000 + i), Int64(100 + i % 20), true) }
            }
        }
    }
}

/// A shared counter for concurrent loaders.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
