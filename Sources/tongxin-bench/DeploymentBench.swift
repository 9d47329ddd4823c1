import Counties
import EmbeddedPostgres
import Foundation
import Migrations
import PostgresClient
import Workflow
import WorkflowStore
import TongxinBase

extension Bench {
    /// Where operators run PostgreSQL: the same point reads and workflow steps with named
    /// (cached) statements, with `statement_cache=off` (unnamed statements, as behind a pooler),
    /// and through a real pgbouncer in transaction mode. Its own throwaway server and pgbouncer,
    /// so all three are measured on one server; runs alternate and the medians are printed.
    static func deployments() async throws {
        let server = try EmbeddedPostgres.start()
        defer { try? server.stop() }
        // pgbouncer 1.21 and later keeps protocol-level prepared statements: then named statements
        // through it are measured too.
        let keeps = EmbeddedPgBouncer.keepsPreparedStatements
        let bouncer = try EmbeddedPgBouncer.start(
            for: server, poolMode: "transaction", poolSize: 4, settings: keeps ? ["max_prepared_statements": "200"] : [:])
        defer { bouncer.stop() }
        let version = EmbeddedPgBouncer.version()?.line ?? "pgbouncer"
        let database = "bench_deploy"
        try await PostgresConnection.withConnection(configuration: PostgresConfiguration(connectionString: server.connectionString())) {
            try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"))
        }
        let direct = server.connectionString(database: database)
        var targets: [(name: String, configuration: PostgresConfiguration)] = [
            ("direct, named statements", PostgresConfiguration(connectionString: direct)),
            ("direct, statement_cache=off", PostgresConfiguration(connectionString: direct + " statement_cache=off")),
            ("through \(version) (transaction mode)", PostgresConfiguration(connectionString: bouncer.connectionString(database: database))),
        ]
        if keeps {
            targets.append(("through \(version), statement_cache=on",
                            PostgresConfiguration(connectionString: bouncer.connectionString(database: database) + " statement_cache=on")))
        }
        let pools = targets.map { PostgresPool(configuration: $0.configuration, options: PostgresPoolOptions(maxConnections: 1)) }
        let setUp = PostgresPool(configuration: targets[0].configuration, options: PostgresPoolOptions(maxConnections: 1))
        try await setUp.query("CREATE TABLE bench_read (aid int4 PRIMARY KEY, abalance int4 NOT NULL)")
        try await setUp.query("INSERT INTO bench_read SELECT g, g FROM generate_series(1, 100000) g")
        try await setUp.query("VACUUM ANALYZE bench_read")
        for (pool, target) in zip(pools, targets) {
            let pooled = try await pool.withConnection { $0.isPooled }
            guard pooled == (target.name != targets[0].name) else {
                throw BenchError("\(target.name): the connection says pooled = \(pooled)")
            }
        }

        // Point reads: one client, five alternating runs per target.
        let duration = max(2, Int(seconds))
        var reads = Array(repeating: [Double](), count: targets.count)
        for _ in 0..<5 {
            for (t, pool) in pools.enumerated() {
                reads[t].append(try await pool.withConnection { connection in
                    try await readLoop(connection, table: "bench_read", accounts: 100_000, duration: duration)
                })
            }
        }
        let readMedians = reads.map(median)
        report(String(format: "deployment: point reads by primary key, one client (medians of 5 alternating %d s runs)", duration),
               zip(targets, readMedians).map { target, rate in
                   String(format: "%@ %.0f/s (%.2f×)", target.name, rate, rate / readMedians[0])
               }.joined(separator: ", "))

        // Workflow steps, one client, each target in its own county; three alternating rounds of
        // 100 lifecycles (500 audited transactions), latency per step.
        let registry = CountyRegistry(pool: setUp, migrations: try MigrationSet.builtIn(), actor: "bench")
        var stores: [WorkflowStore] = []
        for (t, pool) in pools.enumerated() {
            let code = try CountyCode("bench_dep_\(t)")
            _ = try await registry.create(code: code, name: "部署 \(t)", region: nil, purpose: .training)
            stores.append(try await preparedStore(pool, county: code))
        }
        var steps = Array(repeating: [Double](), count: targets.count)
        for round in 0..<3 {
            for (t, store) in stores.enumerated() {
                steps[t] += try await timedLifecycles(store, year: 2001 + round, count: 100)
            }
        }
        let p50 = steps.map { percentile($0, 50) }
        report("deployment: a workflow step (one audited transaction), one client (3 alternating rounds of 500 steps)",
               zip(targets, steps).enumerated().map { t, pair in
                   String(format: "%@ p50 %.2f ms, p90 %.2f ms (%.2f×)", pair.0.name, p50[t] / 1000, percentile(pair.1, 90) / 1000, p50[t] / p50[0])
               }.joined(separator: "; "))
        for pool in pools { await pool.close() }
        await setUp.close()
    }

    /// The workflow step alone as `TONGXIN_BENCH_ONLY=steps` runs it against whatever server
    /// DATABASE_URL names (plain PostgreSQL, Citus): one client, one county, 300 lifecycles.
    static func steps(_ pool: PostgresPool) async throws {
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "bench")
        try await registry.migrateControl()
        let code = try CountyCode("bench_step_\(UInt32.random(in: 0...UInt32.max))")
        _ = try await registry.create(code: code, name: "步骤", region: nil, purpose: .training)
        let store = try await preparedStore(pool, county: code)
        var samples: [Double] = []
        for round in 0..<3 { samples += try await timedLifecycles(store, year: 2001 + round, count: 100) }
        report(String(format: "a workflow step (one audited transaction), one client (%d steps)", samples.count),
               String(format: "p50 %.2f ms, p90 %.2f ms", percentile(samples, 50) / 1000, percentile(samples, 90) / 1000))
    }

    /// A store for `county` with a sector, 20 members and 10 units.
    static func preparedStore(_ pool: PostgresPool, county: CountyCode) async throws -> WorkflowStore {
        let store = try WorkflowStore(pool: pool, county: county, principal: .replaying("bench"), now: try LocalTime.parse("2021-03-10T09:00"))
        try await store.addSector("经济界")
        for m in 0..<20 { try await store.addMember("委员\(m)", sector: "经济界") }
        for u in 0..<10 { try await store.addUnit("单位\(u)") }
        return store
    }

    /// `count` whole lifecycles in a new session of `year`; the latency of every step in µs.
    static func timedLifecycles(_ store: WorkflowStore, year: Int, count: Int) async throws -> [Double] {
        try await store.openSession(year: year, name: "\(year)年会议", openedOn: nil, closedOn: nil)
        var samples: [Double] = []
        samples.reserveCapacity(count * 5)
        for i in 0..<count { samples += try await lifecycle(store, i, member: "委员\(i % 20)", year: year) }
        return samples
    }

    static func percentile(_ values: [Double], _ p: Int) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, sorted.count * p / 100)]
    }
}
