// tongxin-bench: the data layer's speed figures, one line each.
// Run through `make bench` (release build, throwaway PostgreSQL via tongxin-devdb), or against
// any server with DATABASE_URL / PG* set. It creates and drops its own tables.
import Foundation
import Counties
import EmbeddedPostgres
import Migrations
import PostgresClient
import WorkflowStore
import TongxinBase

@main
struct Bench {
    static func main() async {
        do {
            try await run()
        } catch {
            FileHandle.standardError.write(Data("tongxin-bench: \(error)\n".utf8))
            exit(1)
        }
        // Every figure is printed; then the one line of misses, and in strict mode the status.
        if !summary() && strict {
            FileHandle.standardError.write(Data("tongxin-bench: TONGXIN_BENCH_STRICT is set and a target was missed\n".utf8))
            exit(1)
        }
    }

    static let seconds = Double(ProcessInfo.processInfo.environment["TONGXIN_BENCH_SECONDS"] ?? "") ?? 3

    static func run() async throws {
        let configuration = PostgresConfiguration.resolve(explicit: nil)
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 2))
        defer { Task { await pool.close() } }

        if ProcessInfo.processInfo.environment["TONGXIN_BENCH_ONLY"] == "reads" {
            // For profilers: only the pooled point-read loop, on a table made here.
            try await pool.query("CREATE TABLE IF NOT EXISTS bench_read (aid int4 PRIMARY KEY, abalance int4 NOT NULL)")
            try await pool.query("INSERT INTO bench_read SELECT g, g FROM generate_series(1, 100000) g ON CONFLICT DO NOTHING")
            let rate = try await pool.withConnection { connection in
                try await readLoop(connection, table: "bench_read", accounts: 100_000, duration: Int(seconds))
            }
            print(String(format: "point reads: %.0f/s", rate))
            await pool.close()
            return
        }
        let parts: [String: (PostgresPool) async throws -> Void] = [
            "workflow": workflow, "workflow-steps": workflow, "reports": reports, "queue": queue,
            "deployments": { _ in try await deployments() }, "steps": steps, "counties": counties, "accounts": accounts, "web": web,
        ]
        if let only = ProcessInfo.processInfo.environment["TONGXIN_BENCH_ONLY"], let part = parts[only] {
            try await part(pool)
            await pool.close()
            return
        }
        try await selectOne(pool)
        try await pointReads(pool)
        try await inserts(pool)
        try await memoryGrowth(pool)
        try await workflow(pool)
        try await deployments()
        try await queue(pool)
        try await counties(pool)
        try await reports(pool)
        try await accounts(pool)
        try await web(pool)
        report("memory, the benchmark process's peak resident set", String(format: "%.1f MiB", peakRSSMiB()))
        await pool.close()
    }

    // MARK: SELECT 1

    static func selectOne(_ pool: PostgresPool) async throws {
        var samples: [Double] = []
        try await pool.withConnection { connection in
            for _ in 0..<1_000 { try await connection.query("SELECT 1") }  // warm-up
            samples.reserveCapacity(20_000)
            for _ in 0..<20_000 {
                let start = ContinuousClock.now
                try await connection.query("SELECT 1")
                samples.append(micros(ContinuousClock.now - start))
            }
        }
        samples.sort()
        report("SELECT 1 round trip, one client", String(format: "p50 %.1f µs, p99 %.1f µs (%d samples)",
                                                         samples[samples.count / 2], samples[samples.count * 99 / 100], samples.count))
    }

    // MARK: Point reads vs pgbench

    static func pointReads(_ pool: PostgresPool) async throws {
        let scale = 10
        try runPgbench(["-i", "-q", "-s", "\(scale)", "--no-vacuum"], quiet: true)
        try await pool.query("VACUUM ANALYZE pgbench_accounts")
        let accounts = scale * 100_000
        let duration = max(2, Int(seconds))
        // Alternate pgbench and tongxin runs, five each, and compare medians: the machine's
        // noise then falls on both sides alike.
        var pgbenchRates: [Double] = []
        var ourRates: [Double] = []
        for _ in 0..<5 {
            let output = try runPgbench(["-S", "-M", "prepared", "-c", "1", "-j", "1", "-T", "\(duration)", "-n"], quiet: false)
            guard let tps = parseTPS(output) else {
                throw BenchError("could not read pgbench's tps from: \(output.suffix(300))")
            }
            pgbenchRates.append(tps)
            ourRates.append(try await pool.withConnection { connection in
                guard connection.isOnConnectionThread else { throw BenchError("the pool's body does not run on the connection's thread") }
                return try await readLoop(connection, accounts: accounts, duration: duration)
            })
        }
        let ours = median(ourRates)
        let pgbenchTPS = median(pgbenchRates)
        report(String(format: "point reads by primary key, one client, tongxin %.0f/s vs pgbench -S -M prepared -c 1 -j 1 %.0f/s (medians of 5 alternating %d s runs)",
                      ours, pgbenchTPS, duration),
               String(format: "%.2f×", ours / pgbenchTPS), value: ours / pgbenchTPS, target: .atLeast(0.85, "0.85×"))
        // The same loop on a connection used from the cooperative pool (no executor preference):
        // every statement then hops to the connection's thread and back.
        let plain = try await PostgresConnection.connect(configuration: pool.configuration)
        let hopping = try await readLoop(plain, accounts: accounts, duration: duration)
        await plain.close()
        report(String(format: "point reads, plain connection without the executor preference, %.0f/s vs pgbench", hopping),
               String(format: "%.2f×", hopping / pgbenchTPS))
        try await pool.query("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history")
    }

    static func readLoop(_ connection: PostgresConnection, table: String = "pgbench_accounts", accounts: Int, duration: Int) async throws -> Double {
        do {
            // A userspace generator, as pgbench has: SystemRandomNumberGenerator costs a
            // getrandom system call per number.
            var generator = SplitMix64(seed: UInt64(UInt32.random(in: 1...UInt32.max)))
            var reads = 0
            var checksum = 0
            let start = ContinuousClock.now
            let end = start + .seconds(duration)
            while ContinuousClock.now < end {
                for _ in 0..<100 {
                    let aid = Int32.random(in: 1...Int32(accounts), using: &generator)
                    let rows = try await connection.query("SELECT abalance FROM \(unescaped: table) WHERE aid = \(aid)")
                    let balance: Int32 = try rows.single().decode(Int32.self)
                    checksum &+= Int(balance)
                    reads += 1
                }
            }
            _ = checksum
            return Double(reads) / seconds(ContinuousClock.now - start)
        }
    }

    // MARK: Inserts

    static func inserts(_ pool: PostgresPool) async throws {
        let rows = 10_000
        let runs = 5
        try await pool.query("DROP TABLE IF EXISTS bench_insert")
        try await pool.query("CREATE UNLOGGED TABLE bench_insert (id int8 PRIMARY KEY, title text NOT NULL, filed date NOT NULL)")
        let filed = try CalendarDate(year: 2021, month: 3, day: 1)
        var single: [Double] = []
        var pipelined: [Double] = []
        var copied: [Double] = []
        try await pool.withConnection { connection in
            for run in 0..<runs {
                let base = run * rows * 3
                try await connection.query("TRUNCATE bench_insert")
                var start = ContinuousClock.now
                for i in 0..<rows {
                    try await connection.query("INSERT INTO bench_insert (id, title, filed) VALUES (\(base + i), \("proposal \(i)"), \(filed))")
                }
                single.append(Double(rows) / seconds(ContinuousClock.now - start))

                let queries: [PostgresQuery] = (0..<rows).map { i in
                    "INSERT INTO bench_insert (id, title, filed) VALUES (\(base + rows + i), \("proposal \(i)"), \(filed))"
                }
                start = ContinuousClock.now
                _ = try await connection.pipeline(queries)
                pipelined.append(Double(rows) / seconds(ContinuousClock.now - start))

                start = ContinuousClock.now
                let first = base + 2 * rows
                try await connection.copyFrom(table: PostgresIdentifier("bench_insert"), columns: [
                    PostgresIdentifier("id"), PostgresIdentifier("title"), PostgresIdentifier("filed"),
                ]) { writer in
                    for i in 0..<rows { try writer.row(first + i, "proposal \(i)", filed) }
                }
                copied.append(Double(rows) / seconds(ContinuousClock.now - start))
                let count = try await connection.query("SELECT count(*) FROM bench_insert").single().decode(Int.self)
                guard count == 3 * rows else { throw BenchError("expected \(3 * rows) rows, found \(count)") }
            }
        }
        try await pool.query("DROP TABLE bench_insert")
        let s = median(single), p = median(pipelined), c = median(copied)
        report(String(format: "10,000 single-row INSERTs one at a time (median of %d)", runs), String(format: "%.0f rows/s", s))
        report(String(format: "10,000 single-row INSERTs pipelined, %.0f rows/s, against one at a time", p), String(format: "%.1f×", p / s),
               value: p / s, target: .atLeast(5, "5×"))
        report("10,000 rows by COPY FROM STDIN", String(format: "%.0f rows/s", c), value: c, target: .atLeast(100_000, "100,000 rows/s"))
    }

    // MARK: Counties and migrations

    static func counties(_ pool: PostgresPool) async throws {
        let count = Int(ProcessInfo.processInfo.environment["TONGXIN_BENCH_COUNTIES"] ?? "") ?? 1_000
        // The real county schema (the workflow's tables; the reference measurement used 12).
        let base = try MigrationSet.builtIn()
        let registry = CountyRegistry(pool: pool, migrations: base, actor: "bench")
        try await registry.migrateControl()
        _ = try await registry.create(code: try CountyCode("bench_probe"), name: "探针", region: nil)
        let tables = try await pool.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'county_bench_probe'").single().decode(Int.self)
        // As an operator creates many counties: `county create-many --jobs 2` (two cores).
        let entries = try CountyList.parse((0..<count).map { "bench_\($0),县 \($0)" }.joined(separator: "\n"))
        var start = ContinuousClock.now
        let outcomes = try await registry.createMany(entries, jobs: 2)
        guard outcomes.allSatisfy({ $0.1 == nil }) else { throw BenchError("create-many failed: \(outcomes.first { $0.1 != nil }?.1 ?? "")") }
        let parallel = Double(count) / seconds(ContinuousClock.now - start)
        report(String(format: "create %d counties (%d tables each) with create-many --jobs 2", count, tables),
               String(format: "%.1f counties/s", parallel), value: parallel, target: .atLeast(50, "50 counties/s"))
        // One `county create` after another.
        let single = count / 4
        start = ContinuousClock.now
        for i in 0..<single {
            _ = try await registry.create(code: try CountyCode("bench_s\(i)"), name: "县 \(i)", region: nil)
        }
        let created = Double(single) / seconds(ContinuousClock.now - start)
        report(String(format: "create %d more counties one at a time", single), String(format: "%.1f counties/s", created))

        // The migration targets are for 3,000 counties: make up the number (every county in the
        // registry, the other parts' included), as create-many does.
        let wanted = Int(ProcessInfo.processInfo.environment["TONGXIN_BENCH_MIGRATION_COUNTIES"] ?? "") ?? 3_000
        let existing = try await pool.query("SELECT count(*) FROM tongxin.county").single().decode(Int.self)
        if existing < wanted {
            let more = try CountyList.parse((0..<(wanted - existing)).map { "bench_m\($0),迁移县 \($0)" }.joined(separator: "\n"))
            start = ContinuousClock.now
            let made = try await registry.createMany(more, jobs: 2)
            guard made.allSatisfy({ $0.1 == nil }) else { throw BenchError("create-many failed: \(made.first { $0.1 != nil }?.1 ?? "")") }
            let madeSeconds = seconds(ContinuousClock.now - start)
            report(String(format: "create %d more counties with create-many --jobs 2 (to %d in all, for the migrations)", wanted - existing, wanted),
                   String(format: "%.1f counties/s", Double(wanted - existing) / madeSeconds))
        }

        let added = try Migration(scope: .county, fileName: "9000_bench_note.sql", sql: "ALTER TABLE audit_log ADD COLUMN bench_note text;\n")
        let next = CountyRegistry(pool: pool, migrations: try MigrationSet(control: base.control, county: base.county + [added], source: "bench"), actor: "bench")
        start = ContinuousClock.now
        let migrated = try await next.migrateUp(jobs: 2)
        let elapsed = seconds(ContinuousClock.now - start)
        guard migrated.succeeded else { throw BenchError("migrate up failed: \(migrated.failed.first?.error ?? "")") }
        let total = migrated.outcomes.count
        report(String(format: "one new migration over %d counties, 2 jobs (%.0f counties/s)", total, Double(total) / elapsed),
               String(format: "%.1f s", elapsed), value: elapsed, target: migrationTarget(60, counties: total))

        start = ContinuousClock.now
        let noop = try await next.migrateUp(jobs: 2)
        let noopSeconds = seconds(ContinuousClock.now - start)
        guard noop.succeeded, noop.outcomes.allSatisfy({ $0.applied.isEmpty }) else { throw BenchError("the no-op pass applied something") }
        report(String(format: "no-op migrate up over %d counties", noop.outcomes.count), String(format: "%.2f s", noopSeconds),
               value: noopSeconds, target: migrationTarget(3, counties: noop.outcomes.count))
        report("memory after the county runs, peak resident set", String(format: "%.1f MiB", peakRSSMiB()),
               value: peakRSSMiB() * 1_048_576 / 1e6, target: .below(100, "100 MB"))
    }

    /// The migration targets: `limit` seconds for 3,000 counties; for fewer (a smaller
    /// TONGXIN_BENCH_MIGRATION_COUNTIES) in proportion, for more the same limit.
    static func migrationTarget(_ limit: Double, counties: Int) -> Target {
        if counties >= 3_000 { return .below(limit, String(format: "%.0f s", limit)) }
        let scaled = limit * Double(counties) / 3_000
        return .below(scaled, String(format: "%.2f s (%.0f s for 3,000 counties, pro rata)", scaled, limit))
    }

    // MARK: Memory

    /// Resident set before and after many queries, checkouts and connections: a leak shows as growth.
    static func memoryGrowth(_ pool: PostgresPool) async throws {
        func round() async throws {
            for _ in 0..<100 {
                try await pool.withConnection { connection in
                    for i in 0..<100 {
                        let rows = try await connection.query("SELECT \(i)::int8, repeat('x', 100), now()")
                        _ = try rows.single().decode((Int, String, Date).self)
                    }
                }
            }
            for _ in 0..<20 {
                try await PostgresConnection.withConnection(configuration: pool.configuration) { try await $0.query("SELECT 1") }
            }
        }
        try await round()  // warm-up: caches, thread stacks, allocator arenas
        let before = currentRSSMiB()
        for _ in 0..<5 { try await round() }
        let after = currentRSSMiB()
        report(String(format: "memory growth over 50,000 more queries and 100 more connections (resident set %.1f MiB before, %.1f MiB after)", before, after),
               String(format: "%+.1f MiB", after - before), value: after - before, target: .below(1, "1 MiB"))
    }

    static func currentRSSMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    // MARK: Helpers

    struct BenchError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @discardableResult
    static func runPgbench(_ arguments: [String], quiet: Bool) throws -> String {
        let pgbench = FileManager.default.isExecutableFile(atPath: "/usr/bin/pgbench") ? "/usr/bin/pgbench" : "pgbench"
        let (status, text) = try EmbeddedPostgres.capture(pgbench, arguments)
        guard status == 0 else {
            throw BenchError("pgbench \(arguments.joined(separator: " ")) failed: \(text.suffix(400))")
        }
        _ = quiet
        return text
    }

    static func parseTPS(_ output: String) -> Double? {
        for line in output.split(separator: "\n") where line.hasPrefix("tps = ") {
            let number = line.dropFirst(6).prefix { $0.isNumber || $0 == "." }
            return Double(number)
        }
        return nil
    }

    /// pgbench's "number of transactions actually processed: N".
    static func parseTransactions(_ output: String) -> Double? {
        let prefix = "number of transactions actually processed: "
        for line in output.split(separator: "\n") where line.hasPrefix(prefix) {
            return Double(line.dropFirst(prefix.count).prefix { $0.isNumber })
        }
        return nil
    }

    static func micros(_ d: Duration) -> Double { seconds(d) * 1e6 }

    static func seconds(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) + Double(a) / 1e18
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// The machine's busy CPU time so far (user, nice, system, irq, softirq of every core, from
    /// /proc/stat), in microseconds; nil where there is no /proc/stat. Divided by the work done
    /// it gives CPU per unit of work, which a shared machine's steal time disturbs less than
    /// throughput.
    static func machineBusyMicros() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 7 else { return nil }
        let ticks = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        let perSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return perSecond > 0 ? ticks / perSecond * 1e6 : nil
    }

    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

