import ArgumentParser
import Counties
import Foundation
import TongxinBase
import Migrations

/// `tongxin migrate …`: SQL migrations over the control schema and every county.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply and inspect SQL migrations (control schema and every county).",
        subcommands: [Up.self, Status.self, Plan.self, Verify.self, Resolve.self]
    )

    struct Selection: ParsableArguments {
        @Option(help: "Only this county.") var county: String?
        @Flag(help: "Every county (the default).") var all = false

        func validate() throws {
            if county != nil, all { throw ValidationError("give --county C or --all, not both") }
        }

        var codes: [CountyCode]? {
            get throws { try county.map { [try CountyCode($0)] } }
        }

        /// The control schema's status first (named "control"), then each selected county's.
        func statuses(_ options: RegistryOptions) async throws -> [(name: String, status: SchemaStatus)] {
            let codes = try self.codes
            let (control, counties) = try await options.withRegistry(action: .runMigrations) { try await $0.migrationStatus(counties: codes) }
            return [("control", control)] + counties.map { ($0.0.value, $0.1) }
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending migrations: the control schema first, then the counties, each file in its own transaction.")
        @OptionGroup var options: RegistryOptions
        @OptionGroup var selection: Selection
        @Option(help: "Counties migrated at once.") var jobs = 2
        @Flag(help: "Go on with the other counties after one fails.") var continueOnError = false

        func validate() throws {
            guard (1...64).contains(jobs) else { throw ValidationError("--jobs: give 1 to 64") }
        }

        func run() async throws {
            try await reportingFailures {
                let codes = try selection.codes
                let report = try await options.withRegistry(action: .runMigrations) { registry in
                    let progress = Progress()
                    let report = try await registry.migrateUp(counties: codes, jobs: jobs, continueOnError: continueOnError) { done, total, outcome in
                        let what = outcome.error.map { "FAILED: \(oneLine($0))" }
                            ?? (outcome.applied.isEmpty ? "current" : "applied \(outcome.applied.map(\.fileName).joined(separator: ", "))")
                        progress.update(done: done, total: total, line: "[\(done)/\(total)] \(outcome.code): \(what)", failed: outcome.error != nil)
                    }
                    progress.finish()
                    return report
                }
                print("control: \(report.control.isEmpty ? "current" : "applied \(report.control.map(\.fileName).joined(separator: ", "))")")
                let applied = report.outcomes.filter { !$0.applied.isEmpty }.count
                print("counties: \(report.outcomes.count) done, \(applied) changed, \(report.failed.count) failed, \(report.notStarted.count) not started")
                for failure in report.failed { print("failed: \(failure.code): \(oneLine(failure.error ?? ""))") }
                if !report.succeeded {
                    // The one line on stderr: which counties, and what to do.
                    let codes = report.failed.map(\.code.value)
                    let named = codes.prefix(10).joined(separator: ", ") + (codes.count > 10 ? " and \(codes.count - 10) more" : "")
                    let waiting = report.notStarted.isEmpty ? "" : ", \(report.notStarted.count) not started"
                    throw CommandFailure(message: codes.isEmpty
                        ? "migrate up stopped\(waiting); rerun `tongxin migrate up` to resume"
                        : "migrate up: \(codes.count) county(ies) failed: \(named)\(waiting); fix and rerun `tongxin migrate up` to resume")
                }
            }
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what `migrate up` would apply, schema by schema; nothing changes.")
        @OptionGroup var options: RegistryOptions
        @OptionGroup var selection: Selection

        func run() async throws {
            try await reportingFailures {
                let rows = try await selection.statuses(options).filter { !$0.status.pending.isEmpty }
                var files = 0
                for (name, status) in rows {
                    print("\(name): \(status.pending.map(\.fileName).joined(separator: ", "))")
                    files += status.pending.count
                }
                let schemas = rows.count
                print("\(files) file(s) to apply in \(schemas) schema(s)")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fail when an applied migration's file has changed since (checksum drift), naming the file and the counties.")
        @OptionGroup var options: RegistryOptions
        @OptionGroup var selection: Selection

        func run() async throws {
            try await reportingFailures {
                let rows = try await selection.statuses(options)
                guard let control = rows.first?.status else { return }
                let counties = rows.dropFirst()
                var problems: [String] = control.drifted.map { "control/\($0) changed after it was applied in the control schema" }
                var byFile: [String: [String]] = [:]
                for (code, status) in counties {
                    for file in status.drifted { byFile[file, default: []].append(code) }
                }
                for (file, codes) in byFile.sorted(by: { $0.key < $1.key }) {
                    problems.append("county/\(file) changed after it was applied in \(codes.count) county(ies): \(codes.prefix(20).joined(separator: ", "))\(codes.count > 20 ? ", …" : "")")
                }
                if problems.isEmpty {
                    print("verified: \(counties.count + 1) schema(s), no applied file has changed")
                    return
                }
                throw CountyError(problems.joined(separator: "; "))
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a failed or interrupted no-transaction migration resolved, after repairing it by hand.")
        @OptionGroup var options: RegistryOptions
        @Option(help: "The county.") var county: String?
        @Flag(help: "The control schema instead of a county.") var control = false
        @Argument(help: "The migration's version number (e.g. 7 for 0007_name.sql).") var version: Int

        func validate() throws {
            guard (county != nil) != control else { throw ValidationError("give --county C or --control") }
        }

        func run() async throws {
            try await reportingFailures {
                if control {
                    try await options.withRegistry(action: .runMigrations) { try await $0.resolveControlMigration(version: version) }
                    print("control schema: migration \(version) marked resolved; run `tongxin migrate up` to go on")
                    return
                }
                let code = try CountyCode(county ?? "")
                try await options.withRegistry(action: .runMigrations) { try await $0.resolveMigration(version: version, in: code) }
                print("county \(code): migration \(version) marked resolved; run `tongxin migrate up` to go on")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Version, pending count and checksum drift of the control schema and each county.")
        @OptionGroup var options: RegistryOptions
        @OptionGroup var selection: Selection
        @Option(help: "text or json.") var format = "text"

        func validate() throws {
            guard ["text", "json"].contains(format) else { throw ValidationError("--format: text or json") }
        }

        func run() async throws {
            try await reportingFailures {
                let rows = try await selection.statuses(options)
                if format == "json" {
                    let objects = rows.map { name, status in
                        [
                            "schema": status.schema, "name": name, "version": status.version,
                            "pending": status.pending.count, "drifted": status.drifted, "failed": status.failed, "unknown": status.unknown,
                        ] as [String: Any]
                    }
                    let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    for (name, status) in rows {
                        var line = "\(name)\tversion \(status.version)\t\(status.pending.count) pending"
                        if !status.drifted.isEmpty { line += "\tDRIFT: \(status.drifted.joined(separator: ", "))" }
                        if !status.failed.isEmpty { line += "\tFAILED: \(status.failed.joined(separator: ", "))" }
                        if !status.unknown.isEmpty { line += "\tUNKNOWN VERSIONS: \(status.unknown.map(String.init).joined(separator: ", "))" }
                        print(line)
                    }
                }
            }
        }
    }
}
