import EmbeddedPostgres
import Foundation
import JobQueue
import PostgresClient

extension Bench {
    /// The pgqueuer release the comparison installs (and asyncpg, its driver): pinned, so runs
    /// compare with the same code.
    static let pgqueuerRequirements = ["pgqueuer==1.6.0", "asyncpg==0.32.0"]

    /// The target of our drain against pgqueuer's: the README set ours at ≥ 15,000 jobs/s
    /// beside pgqueuer's ~7,800 (measured elsewhere), a ratio of 1.9×.
    static let pgqueuerTarget = Target.atLeast(15_000.0 / 7_800.0, "1.92×")

    // MARK: The floor

    /// The floor of this design: JobQueue's own claim and completion statements (their SQL
    /// text taken from JobQueue, the values they bind passed as pgbench variables) for batches
    /// of `batch`, as a pgbench script with `clients` clients; `run` drains the queue with it.
    struct FloorScript: Sendable {
        let path: String
        let arguments: [String]
        let environment: [String: String]
        let batch: Int
        let clients: Int

        static func make(_ pool: PostgresPool, batch: Int, clients: Int) async throws -> FloorScript {
            let worker = "bench-floor"
            let claim = JobQueue.claimQuery(worker: worker, limit: batch, lease: .seconds(15), queues: nil, counties: nil, now: nil)
            // The completion of two stand-in jobs: its id and attempt arrays become the claim's
            // results in the script, the other values constants.
            let standIns = [Int64(900_000_001), Int64(900_000_002)].map {
                Job(id: $0, queue: "default", kind: "noop", county: nil, args: "{}", attempt: 7, maxAttempts: 10, runAt: Date(), createdAt: Date())
            }
            let complete = JobQueue.completeQuery(standIns, worker: worker, strict: false)
            let claimValues = try await boundTexts(claim, pool)
            let completeValues = try await boundTexts(complete, pool)

            // Each value becomes a pgbench variable (-D), sent as a parameter; pgbench refuses an
            // empty one, which goes into the text as '' instead.
            var variables: [String: String] = [:]
            func parameter(_ name: String, _ value: String) -> String {
                guard !value.isEmpty else { return "''" }
                variables[name] = value
                return ":" + name
            }
            let claimNames = claimValues.enumerated().map { i, value in parameter("claim\(i + 1)", value) }
            let completeNames = completeValues.enumerated().map { i, value in
                switch value {
                case "{900000001,900000002}": return ":ids"
                case "{7,7}": return ":attempts"
                default: return parameter("complete\(i + 1)", value)
                }
            }
            guard completeNames.contains(":ids"), completeNames.contains(":attempts") else {
                throw BenchError("the floor: the completion statement no longer binds the jobs' ids and attempts as two arrays; update DrainComparison.swift")
            }
            // The claim returns the claimed jobs; pgbench keeps one row for the next statement
            // (\gset), so its last SELECT gathers their ids and attempts into the two arrays.
            let claimSQL = try pgbenchText(claim.sql, names: claimNames)
            guard let last = claimSQL.range(of: "\nSELECT ", options: .backwards),
                  claimSQL[last.upperBound...].contains("FROM claimed")
            else { throw BenchError("the floor: the claim no longer ends with SELECT … FROM claimed; update DrainComparison.swift") }
            let script = claimSQL[..<last.lowerBound]
                + "\nSELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(attempt), '{}') AS attempts FROM claimed\n\\gset\n"
                + (try pgbenchText(complete.sql, names: completeNames)) + ";\n"
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-bench-floor-\(getpid()).sql").path
            try script.write(toFile: path, atomically: false, encoding: .utf8)

            // The claim switches JIT off for its transaction (set_config … true); pgbench's
            // sessions do so once.
            var environment = ProcessInfo.processInfo.environment
            environment["PGOPTIONS"] = ((environment["PGOPTIONS"] ?? "") + " -c jit=off").trimmingCharacters(in: .whitespaces)
            var arguments = ["-n", "-M", "prepared", "-c", "\(clients)", "-j", "\(clients)", "-f", path]
            for (name, value) in variables.sorted(by: { $0.key < $1.key }) { arguments += ["-D", "\(name)=\(value)"] }
            return FloorScript(path: path, arguments: arguments, environment: environment, batch: batch, clients: clients)
        }

        /// Drains `total` jobs enqueued before (each client runs total / batch / clients
        /// transactions); the rate, process start included. Leaves the queue empty and vacuumed.
        func run(_ pool: PostgresPool, total: Int) async throws -> Double {
            let start = ContinuousClock.now
            let child = try SpawnedProcess(try pgbenchPath(), ["-t", "\(total / batch / clients)"] + arguments, environment: environment)
            let status = await Task.detached { child.waitForExit() }.value
            let elapsed = seconds(ContinuousClock.now - start)
            guard status == 0 else { throw BenchError("the floor: pgbench failed (\(status)): \(child.output.suffix(400))") }
            let completed = try await pool.query("SELECT count(*) FROM tongxin.job WHERE state = 'completed'").single().decode(Int.self)
            guard completed >= total * 99 / 100 else { throw BenchError("the floor: pgbench completed \(completed) of \(total) jobs") }
            try await pool.query("DELETE FROM tongxin.job")
            try await pool.query("VACUUM ANALYZE tongxin.job")
            return Double(completed) / elapsed
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    /// The text of each value `query` binds, as the server reads it.
    static func boundTexts(_ query: PostgresQuery, _ pool: PostgresPool) async throws -> [String] {
        let count = query.binds.count
        guard count > 0 else { return [] }
        let echo = PostgresQuery(unsafeSQL: "SELECT " + (1...count).map { "$\($0)::text" }.joined(separator: ", "), binds: query.binds)
        let row = try await pool.query(echo).single()
        return try (0..<count).map { i in
            guard let text = try row.decode(String?.self, at: i) else { throw BenchError("the floor: bound value $\(i + 1) is NULL") }
            return text
        }
    }

    /// `sql` with each `$n` replaced by `names[n - 1]` (a pgbench variable or a literal) and comments
    /// dropped (pgbench reads the file as statements ending in `;`).
    static func pgbenchText(_ sql: String, names: [String]) throws -> String {
        var lines: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if let comment = line.range(of: "--") {
                guard !line[..<comment.lowerBound].contains("'") else { throw BenchError("the floor: a comment after a string literal: \(line)") }
                let code = line[..<comment.lowerBound]
                if !code.trimmingCharacters(in: .whitespaces).isEmpty { lines.append(code) }
            } else {
                lines.append(line)
            }
        }
        let text = lines.joined(separator: "\n")
        guard !text.contains(";") else { throw BenchError("the floor: a statement with a semicolon inside") }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "$", next < text.endIndex, text[next].isNumber {
                let digits = text[next...].prefix { $0.isNumber }
                guard let n = Int(digits), n >= 1, n <= names.count else { throw BenchError("the floor: $\(digits) without a bound value") }
                result += names[n - 1]
                index = digits.endIndex
            } else {
                result.append(character)
                index = next
            }
        }
        return result
    }

    /// pgbench: Debian's wrapper in /usr/bin, else one on PATH, else PostgreSQL's bin folders.
    static func pgbenchPath() throws -> String {
        var candidates = ["/usr/bin/pgbench"]
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["TONGXIN_PG_BINDIR"] { candidates.append(folder + "/pgbench") }
        for folder in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(folder)/pgbench") }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: >) { candidates.append("/usr/lib/postgresql/\(version)/bin/pgbench") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchError("no pgbench (install postgresql-client or postgresql)")
        }
        return found
    }

    // MARK: pgqueuer

    /// pgqueuer on the same server, in a database of its own, installed into a virtualenv under
    /// .build (made here with python3 -m venv and pip); `run` enqueues and drains no-op jobs as
    /// our worker's drain does. If it cannot be set up, the comparison is reported not measured
    /// (a miss).
    struct PgqueuerRunner: Sendable {
        static let database = "bench_pgqueuer"
        let python: String
        let script: String
        let version: String
        let environment: [String: String]

        static func make(_ pool: PostgresPool) async throws -> PgqueuerRunner {
            let (python, script, version) = try await pgqueuerEnvironment()
            try await pool.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database)"))
            try await pool.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"))
            var environment = ProcessInfo.processInfo.environment
            environment["PGDATABASE"] = database
            environment["DATABASE_URL"] = nil
            let runner = PgqueuerRunner(python: python, script: script, version: version, environment: environment)
            _ = try await runner.command(["install"])
            return runner
        }

        func command(_ arguments: [String]) async throws -> String {
            let child = try SpawnedProcess(python, [script] + arguments, environment: environment)
            let status = await Task.detached { child.waitForExit() }.value
            guard status == 0 else {
                throw BenchError("pgqueuer \(arguments.joined(separator: " ")) failed (\(status)): \(child.output.suffix(400))")
            }
            return child.output
        }

        /// Enqueues `total` no-op jobs (10,000 per statement, then VACUUM ANALYZE; untimed) and
        /// drains them with `workers` processes and batches of `batch`: the drain's rate,
        /// process start included.
        func run(total: Int, batch: Int, workers: Int) async throws -> Double {
            _ = try await command(["enqueue", "\(total)"])
            let start = ContinuousClock.now
            _ = try await command(["drain", "\(workers)", "\(batch)"])
            let elapsed = seconds(ContinuousClock.now - start)
            let left = try await command(["count"]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard left == "0" else { throw BenchError("pgqueuer left \(left) of \(total) jobs in its queue") }
            return Double(total) / elapsed
        }

        func close(_ pool: PostgresPool) async {
            _ = try? await pool.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PgqueuerRunner.database)"))
        }
    }

    /// The virtualenv's python, the comparison's script and pgqueuer's version; makes the
    /// virtualenv (.build/bench-venv in the repository) and installs pgqueuer when needed.
    static func pgqueuerEnvironment() async throws -> (python: String, script: String, version: String) {
        guard let root = repositoryRoot() else {
            throw BenchError("scripts/bench-pgqueuer.py not found (run from the repository, or set TONGXIN_BENCH_REPO)")
        }
        let script = root + "/scripts/bench-pgqueuer.py"
        let venv = root + "/.build/bench-venv"
        let python = venv + "/bin/python"
        let environment = ProcessInfo.processInfo.environment
        func run(_ program: String, _ arguments: [String]) async throws -> (Int32, String) {
            let child = try SpawnedProcess(program, arguments, environment: environment)
            let status = await Task.detached { child.waitForExit() }.value
            return (status, child.output)
        }
        if !FileManager.default.isExecutableFile(atPath: python) {
            let (status, output) = try await run("/usr/bin/env", ["python3", "-m", "venv", venv])
            guard status == 0 else { throw BenchError("python3 -m venv \(venv) failed: \(output.suffix(300))") }
        }
        let probe = ["-c", "import sys, importlib.metadata as m; print(m.version('pgqueuer'), m.version('asyncpg'))"]
        let wanted = pgqueuerRequirements.map { $0.split(separator: "=").last.map(String.init) ?? "" }.joined(separator: " ")
        var (status, output) = try await run(python, probe)
        if status != 0 || output.trimmingCharacters(in: .whitespacesAndNewlines) != wanted {
            let (installed, log) = try await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "-q"] + pgqueuerRequirements)
            guard installed == 0 else { throw BenchError("pip install \(pgqueuerRequirements.joined(separator: " ")) failed: \(log.suffix(300))") }
            (status, output) = try await run(python, probe)
            guard status == 0 else { throw BenchError("pgqueuer does not import after pip install: \(output.suffix(300))") }
        }
        let version = output.split(separator: " ").first.map(String.init) ?? "?"
        return (python, script, version)
    }

    /// The repository: TONGXIN_BENCH_REPO, else the first of the working directory and the
    /// folders above the benchmark program that holds scripts/bench-pgqueuer.py.
    static func repositoryRoot() -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [URL] = []
        if let given = environment["TONGXIN_BENCH_REPO"], !given.isEmpty { candidates.append(URL(fileURLWithPath: given)) }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("scripts/bench-pgqueuer.py").path) }?.path
    }
}
