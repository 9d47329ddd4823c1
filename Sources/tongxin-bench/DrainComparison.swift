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
    static let pgqueuerTarget = Target.atLeast(15_000.0 / 7_800.0, "1.9×")

    // MARK: The floor

    /// The floor of this design: JobQueue's own claim and completion statements (their SQL
    /// text taken from JobQueue, the values they bind passed as pgbench variables) for batches
    /// of `batch`, run by `pgbench -M prepared` with `clients` clients until `total` jobs are
    /// done; our worker's drain rate `ours` as a fraction of it.
    static func floorDrain(_ pool: PostgresPool, total: Int, batch: Int, clients: Int, ours: Double) async throws {
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
        let scriptPath = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-bench-floor-\(getpid()).sql").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }

        try await pool.query("DELETE FROM tongxin.job")
        _ = try await enqueueNoops(pool, total: total)
        // The claim switches JIT off for its transaction (set_config … true); pgbench's
        // sessions do so once.
        var environment = ProcessInfo.processInfo.environment
        environment["PGOPTIONS"] = ((environment["PGOPTIONS"] ?? "") + " -c jit=off").trimmingCharacters(in: .whitespaces)
        let perClient = total / batch / clients
        var arguments = ["-n", "-M", "prepared", "-c", "\(clients)", "-j", "\(clients)", "-t", "\(perClient)", "-f", scriptPath]
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) { arguments += ["-D", "\(name)=\(value)"] }
        let start = ContinuousClock.now
        let child = try SpawnedProcess(try pgbenchPath(), arguments, environment: environment)
        let status = await Task.detached { child.waitForExit() }.value
        let elapsed = seconds(ContinuousClock.now - start)
        guard status == 0 else { throw BenchError("the floor: pgbench failed (\(status)): \(child.output.suffix(400))") }
        let completed = try await pool.query("SELECT count(*) FROM tongxin.job WHERE state = 'completed'").single().decode(Int.self)
        guard completed >= total * 99 / 100 else { throw BenchError("the floor: pgbench completed \(completed) of \(total) jobs") }
        try await pool.query("DELETE FROM tongxin.job")
        try await pool.query("VACUUM ANALYZE tongxin.job")
        let floor = Double(completed) / elapsed
        report(String(format: "queue: the floor: JobQueue's claim and completion SQL, batches of %d, by pgbench -M prepared -c %d -j %d (%d jobs, process start included)",
                      batch, clients, clients, completed),
               String(format: "%.0f jobs/s", floor))
        report(String(format: "queue: tongxin-worker's drain (batches of %d) as a fraction of that floor (%.0f vs %.0f jobs/s)", batch, ours, floor),
               String(format: "%.0f%%", ours / floor * 100))
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

    /// pgqueuer drains `total` no-op jobs with batches of `batch` on the same server (a database
    /// of its own), `workers` processes each with its own connection as our worker's runners;
    /// ours against it. pgqueuer is installed into a virtualenv under .build (made here with
    /// python3 -m venv and pip); if that cannot be done, the comparison is reported not
    /// measured (a miss).
    static func pgqueuerDrain(_ pool: PostgresPool, total: Int, batch: Int, workers: Int, ours: Double) async throws {
        let what = String(format: "queue: tongxin-worker's drain (%.0f jobs/s) against pgqueuer's, batches of %d, same server and run", ours, batch)
        let python: String
        let script: String
        let version: String
        do {
            (python, script, version) = try await pgqueuerEnvironment()
        } catch {
            unmeasured(what, reason: "\(error)", target: pgqueuerTarget)
            return
        }
        let database = "bench_pgqueuer"
        try await pool.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database)"))
        try await pool.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"))
        var environment = ProcessInfo.processInfo.environment
        environment["PGDATABASE"] = database
        environment["DATABASE_URL"] = nil
        func run(_ arguments: [String]) async throws -> String {
            let child = try SpawnedProcess(python, [script] + arguments, environment: environment)
            let status = await Task.detached { child.waitForExit() }.value
            guard status == 0 else { throw BenchError("pgqueuer \(arguments.joined(separator: " ")) failed (\(status)): \(child.output.suffix(400))") }
            return child.output
        }
        _ = try await run(["install"])
        _ = try await run(["enqueue", "\(total)"])
        let start = ContinuousClock.now
        _ = try await run(["drain", "\(workers)", "\(batch)"])
        let elapsed = seconds(ContinuousClock.now - start)
        let left = try await run(["count"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard left == "0" else { throw BenchError("pgqueuer left \(left) of \(total) jobs in its queue") }
        try await pool.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database)"))
        let theirs = Double(total) / elapsed
        report(String(format: "queue: pgqueuer %@ (asyncpg, %d worker processes, batch_size=%d, mode=drain) drains %d no-op jobs, process start included",
                      version, workers, batch, total),
               String(format: "%.0f jobs/s", theirs))
        report(what, String(format: "%.2f×", ours / theirs), value: ours / theirs, target: pgqueuerTarget)
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
