// tongxin-bench: the data layer's speed figures, one line each.
// Run through `make bench` (release build, throwaway PostgreSQL via tongxin-devdb), or against
// any server with DATABASE_URL / PG* set. It creates and drops its own tables.
import Foundation
import EmbeddedPostgres
import PostgresClient

@main
struct Bench {
    static func main() async {
        do {
            try await run()
        } catch {
            FileHandle.standardError.write(Data("tongxin-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static let seconds = Double(ProcessInfo.processInfo.environment["TONGXIN_BENCH_SECONDS"] ?? "") ?? 5

    static func run() async throws {
        let configuration = PostgresConfiguration.resolve(explicit: nil)
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 2))
        defer { Task { await pool.close() } }

        try await selectOne(pool)
        try await pointReads(pool)
        try await inserts(pool)
        print(String(format: "memory: peak resident set %.1f MiB", peakRSSMiB()))
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
        print(String(format: "SELECT 1 round trip, one client: p50 %.1f µs, p99 %.1f µs (%d samples)",
                     samples[samples.count / 2], samples[samples.count * 99 / 100], samples.count))
    }

    // MARK: Point reads vs pgbench

    static func pointReads(_ pool: PostgresPool) async throws {
        let scale = 10
        try runPgbench(["-i", "-q", "-s", "\(scale)", "--no-vacuum"], quiet: true)
        try await pool.query("VACUUM ANALYZE pgbench_accounts")
        let accounts = scale * 100_000
        let duration = max(3, Int(seconds))
        let output = try runPgbench(["-S", "-M", "prepared", "-c", "1", "-j", "1", "-T", "\(duration)", "-n"], quiet: false)
        guard let pgbenchTPS = parseTPS(output) else {
            throw BenchError("could not read pgbench's tps from: \(output.suffix(300))")
        }
        let ours = try await pool.withConnection { connection -> Double in
            var generator = SystemRandomNumberGenerator()
            var reads = 0
            var checksum = 0
            let start = ContinuousClock.now
            let end = start + .seconds(duration)
            while ContinuousClock.now < end {
                for _ in 0..<100 {
                    let aid = Int32.random(in: 1...Int32(accounts), using: &generator)
                    let rows = try await connection.query("SELECT abalance FROM pgbench_accounts WHERE aid = \(aid)")
                    let balance: Int32 = try rows.single().decode(Int32.self)
                    checksum &+= Int(balance)
                    reads += 1
                }
            }
            _ = checksum
            return Double(reads) / seconds(ContinuousClock.now - start)
        }
        print(String(format: "point reads by primary key, one client: tongxin %.0f/s, pgbench -S -M prepared -c 1 -j 1 %.0f/s: %.2f× (target ≥ 0.85×)",
                     ours, pgbenchTPS, ours / pgbenchTPS))
        try await pool.query("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history")
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
        print(String(format: "10,000 single-row INSERTs one at a time: %.0f rows/s (median of %d)", s, runs))
        print(String(format: "10,000 single-row INSERTs pipelined: %.0f rows/s: %.1f× one at a time (target ≥ 5×)", p, p / s))
        print(String(format: "10,000 rows by COPY FROM STDIN: %.0f rows/s (target ≥ 100,000)", c))
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

    static func micros(_ d: Duration) -> Double { seconds(d) * 1e6 }

    static func seconds(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) + Double(a) / 1e18
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
