// tongxin-chaos: the fault, concurrency and bad-input suite (`make chaos`). It starts its own
// throwaway PostgreSQL (it restarts it, so it never touches a configured server), drives the
// built `tongxin` and `tongxin-worker` programs as an operator would, and ends with one line
// per scenario: scenario, runs, lost, duplicated, traps, partial writes. Exit status 1 when any
// scenario found something.
import Counties
import EmbeddedPostgres
import Foundation
import Migrations
import PostgresClient
import WorkflowStore
import TongxinBase

@main
struct Chaos {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let options: Options
        do {
            options = try Options(arguments)
        } catch {
            FileHandle.standardError.write(Data("tongxin-chaos: \(error)\n".utf8))
            exit(64)
        }
        do {
            let outcomes = try await run(options)
            say("")
            say(Outcome.header)
            for outcome in outcomes { say(outcome.line) }
            let failed = outcomes.filter { !$0.passed }
            if failed.isEmpty {
                say("chaos: \(outcomes.count) scenario(s), all held")
            } else {
                say("chaos: \(failed.count) of \(outcomes.count) scenario(s) found problems: \(failed.map(\.scenario).joined(separator: ", "))")
                exit(1)
            }
        } catch {
            FileHandle.standardError.write(Data("tongxin-chaos: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: Options) async throws -> [Outcome] {
        // On Citus (`--citus`) the scenarios run against the given coordinator; otherwise the
        // suite starts (and, for postgres-restart, restarts) a throwaway server of its own.
        let server = options.citus == nil ? try await blocking { try EmbeddedPostgres.start() } : nil
        defer { try? server?.stop() }
        let harness = try Harness(server: server, options: options)
        defer { harness.cleanUp() }
        var outcomes: [Outcome] = []
        for scenario in Scenario.allCases where options.only.isEmpty || options.only.contains(scenario.rawValue) {
            if options.citus != nil, !scenario.fitsCitus {
                say("\(scenario.rawValue): NOT RUN on Citus: it restarts the server, which on a cluster is the operator's to do")
                continue
            }
            say("\(scenario.rawValue): \(scenario.summary)")
            let started = ContinuousClock.now
            var outcome: Outcome
            do {
                outcome = try await scenario.run(harness)
            } catch {
                outcome = Outcome(scenario.rawValue)
                outcome.findings.append("the scenario stopped: \(error)")
            }
            outcome.seconds = seconds(ContinuousClock.now - started)
            for finding in outcome.findings.prefix(20) { say("  FOUND: \(finding)") }
            if outcome.findings.count > 20 { say("  FOUND: … and \(outcome.findings.count - 20) more") }
            for note in outcome.notes { say("  \(note)") }
            say("  → \(outcome.line)")
            outcomes.append(outcome)
        }
        return outcomes
    }
}

/// Command-line options: `--only a,b`, `--quick` (smaller sizes, for CI), `--seed N`.
struct Options {
    var only: Set<String> = []
    var quick = false
    var seed: UInt64 = 20261126
    var migrations = "migrations"
    /// A Citus coordinator (key=value connection string) to run the scenarios that fit against.
    var citus: String?

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--quick": quick = true
            case "--only":
                guard let value = rest.popFirst() else { throw ChaosError("--only needs a comma-separated list of scenarios") }
                only = Set(value.split(separator: ",").map(String.init))
                let known = Set(Scenario.allCases.map(\.rawValue))
                if let unknown = only.first(where: { !known.contains($0) }) {
                    throw ChaosError("--only: no scenario \(unknown) (scenarios: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            case "--seed":
                guard let value = rest.popFirst().flatMap({ UInt64($0) }) else { throw ChaosError("--seed needs a non-negative integer") }
                seed = value
            case "--migrations":
                guard let value = rest.popFirst() else { throw ChaosError("--migrations needs the repository's migrations folder") }
                migrations = value
            case "--citus":
                guard let value = rest.popFirst(), !value.contains("://") else {
                    throw ChaosError("--citus needs a coordinator's key=value connection string (host=… port=… dbname=… user=…)")
                }
                citus = value
            case "-h", "--help":
                print("usage: tongxin-chaos [--quick] [--only \(Scenario.allCases.map(\.rawValue).joined(separator: ","))] [--seed N] [--migrations DIR] [--citus 'host=… port=… dbname=… user=…']")
                exit(0)
            default: throw ChaosError("unknown argument \(argument) (see --help)")
            }
        }
    }
}

enum Scenario: String, CaseIterable {
    case workerKill = "worker-sigkill"
    case postgresRestart = "postgres-restart"
    case terminateBackend = "terminate-backend"
    case concurrentMigrate = "concurrent-migrate"
    case failingMigration = "failing-migration"
    case countyRoles = "county-roles"
    case fuzzArguments = "fuzz-arguments"
    case fuzzCSV = "fuzz-csv"
    case injection = "injection"

    /// Whether it can run against a Citus coordinator given with `--citus`.
    var fitsCitus: Bool { self != .postgresRestart }

    var summary: String {
        switch self {
        case .workerKill: "SIGKILL the worker again and again while it runs jobs with database effects and webhook deliveries"
        case .postgresRestart: "restart PostgreSQL (fast shutdown) twice under the worker and a running migrate up --all"
        case .terminateBackend: "pg_terminate_backend the worker's connections while it works"
        case .concurrentMigrate: "four concurrent migrate up --all over 1,000 counties"
        case .failingMigration: "a migration failing in one county of 1,000, then fixed and rerun"
        case .countyRoles: "a county's staff role against another county's schema, its own audit log, the queue and the CLI"
        case .fuzzArguments: "random, oversized, mistyped, invalid UTF-8 and metacharacter arguments to every command"
        case .fuzzCSV: "broken, mis-encoded, huge and 100,000-row CSV files to every importer"
        case .injection: "SQL, shell and markup strings in every free-text field, read back"
        }
    }

    func run(_ harness: Harness) async throws -> Outcome {
        switch self {
        case .workerKill: try await WorkerFaults.sigkill(harness)
        case .postgresRestart: try await WorkerFaults.postgresRestart(harness)
        case .terminateBackend: try await WorkerFaults.terminateBackend(harness)
        case .concurrentMigrate: try await MigrationFaults.concurrent(harness)
        case .failingMigration: try await MigrationFaults.failing(harness)
        case .countyRoles: try await RoleChecks.run(harness)
        case .fuzzArguments: try await BadInput.fuzzArguments(harness)
        case .fuzzCSV: try await BadInput.fuzzCSV(harness)
        case .injection: try await BadInput.injection(harness)
        }
    }
}

/// What one scenario did and found.
struct Outcome: Sendable {
    var scenario: String
    var runs = 0
    var lost = 0
    var duplicated = 0
    var traps = 0
    var partialWrites = 0
    /// Duplicates the scenario allows (at-least-once deliveries: no more than the kills).
    var allowedDuplicates = 0
    /// Each problem found; any fails the scenario.
    var findings: [String] = []
    /// What it did, for the log.
    var notes: [String] = []
    var seconds = 0.0

    init(_ scenario: String) { self.scenario = scenario }

    var passed: Bool {
        lost == 0 && traps == 0 && partialWrites == 0 && duplicated <= allowedDuplicates && findings.isEmpty
    }

    static let header = pad("scenario", 20) + pad("runs", 8) + pad("lost", 6) + pad("duplicated", 12) + pad("traps", 7)
        + pad("partial writes", 16) + pad("seconds", 9) + "result"

    var line: String {
        let duplicates = allowedDuplicates > 0 ? "\(duplicated)/≤\(allowedDuplicates)" : "\(duplicated)"
        return Self.pad(scenario, 20) + Self.pad("\(runs)", 8) + Self.pad("\(lost)", 6) + Self.pad(duplicates, 12)
            + Self.pad("\(traps)", 7) + Self.pad("\(partialWrites)", 16) + Self.pad(String(format: "%.0f", seconds), 9)
            + (passed ? "held" : "FAILED (\(findings.count) finding(s))")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

struct ChaosError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func seconds(_ duration: Duration) -> Double {
    let (whole, fraction) = duration.components
    return Double(whole) + Double(fraction) / 1e18
}

/// Runs blocking work (waiting for a child, pg_ctl) off Swift's cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try body() })
        }.start()
    }
}

/// The suite's random choices: SplitMix64, so a run can be repeated with `--seed`.
typealias Random = SplitMix64
