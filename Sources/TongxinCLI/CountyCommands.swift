import Workflow
import ArgumentParser
import Counties
import Foundation
import TongxinBase
import Migrations
import PostgresClient
import WorkflowStore

/// Options of every command that works with counties and migrations.
struct RegistryOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Folder with control/ and county/ migrations (default: TONGXIN_MIGRATIONS, else the built-in set).")
    var migrations: String?

    /// Runs `body` with a registry on a small pool (`connections` at most), closed afterwards;
    /// refused unless the connected login is an operator's (`action`: what it is for).
    func withRegistry<R: Sendable>(
        connections: Int = 2, action: Action = .manageCounties, _ body: (CountyRegistry) async throws -> R
    ) async throws -> R {
        let set = try MigrationSet.resolve(explicit: migrations)
        let pool = PostgresPool(configuration: connection.configuration, options: PostgresPoolOptions(maxConnections: max(2, connections)))
        do {
            let principal = try await Principals.resolve(pool, as: nil)
            try Permissions.require(principal, action, .deployment)
            let registry = CountyRegistry(pool: pool, migrations: set, actor: "tongxin-cli:\(principal.login)")
            let value = try await body(registry)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// `tongxin county …`: the county registry.
struct CountyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "county",
        abstract: "Create, list, show, configure and archive county committees (one schema each).",
        subcommands: [Create.self, CreateMany.self, List.self, Show.self, Set.self, Purpose.self, Archive.self, Export.self, Import.self, Drop.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a county: its schema with every county migration and its role tongxin_county_CODE, in one transaction.")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "County code: 2-31 characters a-z, 0-9 and _, starting with a letter (e.g. leiyang).")
        var code: String
        @Option(help: "The committee's name, e.g. 耒阳市.") var name: String
        @Option(help: "Region, e.g. 湖南省衡阳市.") var region: String?
        @Option(help: "live (default), demo or training: only in a demo or training county may an operator replay a year (steps at any time).")
        var purpose = "live"

        func run() async throws {
            try await reportingFailures {
                let code = try CountyCode(code)
                let county = try await options.withRegistry { try await $0.create(code: code, name: name, region: region, purpose: try parsePurpose(purpose)) }
                print("created county \(county.code) (\(county.name)) in schema \(county.schema.name), role \(county.code.role.name)")
            }
        }
    }

    struct Purpose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark what a county is for: live, demo or training (only in demo and training counties may an operator replay a year).")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "County code.") var code: String
        @Argument(help: "live, demo or training.") var purpose: String

        func run() async throws {
            try await reportingFailures {
                let code = try CountyCode(code)
                let county = try await options.withRegistry { try await $0.setPurpose(code, try parsePurpose(purpose)) }
                print("county \(county.code) is \(county.purpose.rawValue)")
            }
        }
    }

    struct CreateMany: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-many",
            abstract: "Create the counties of a list file (code,name[,region] per line), several at a time.")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "The list: one county per line, code,name[,region] or tab-separated; # comments.") var file: String
        @Option(help: "Counties created at once.") var jobs = 2

        func validate() throws {
            guard (1...32).contains(jobs) else { throw ValidationError("--jobs: give 1 to 32") }
        }

        func run() async throws {
            try await reportingFailures {
                guard let data = try InputFile.contents(atPath: file) else { throw CountyError("cannot read \(file)") }
                guard let text = String(data: data, encoding: .utf8) else { throw CountyError("\(file): not UTF-8 text") }
                let entries = try CountyList.parse(text)
                let progress = Progress()
                let outcomes = try await options.withRegistry(connections: jobs) { registry in
                    let outcomes = try await registry.createMany(entries, jobs: jobs) { done, total, code, error in
                        progress.update(done: done, total: total, line: "[\(done)/\(total)] \(code): \(error.map { "FAILED: \(oneLine($0))" } ?? "created")", failed: error != nil)
                    }
                    progress.finish()
                    return outcomes
                }
                let failed = outcomes.filter { $0.1 != nil }
                print("counties: \(outcomes.count - failed.count) created, \(failed.count) failed")
                if !failed.isEmpty { throw ExitCode.failure }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the counties.")
        @OptionGroup var options: RegistryOptions
        @OptionGroup var output: FormatOptions

        func run() async throws {
            try await reportingFailures {
                let counties = try await options.withRegistry { try await $0.list() }
                try output.emit(counties.map(CountyRow.init), columns: CountyRow.columns, rows: counties.map { CountyRow($0).cells })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one county and its settings.")
        @OptionGroup var options: RegistryOptions
        @OptionGroup var output: FormatOptions
        @Argument(help: "County code.") var code: String

        func run() async throws {
            try await reportingFailures {
                let code = try CountyCode(code)
                let county = try await options.withRegistry { try await $0.show(code) }
                let row = CountyRow(county)
                switch output.format {
                case .table: print(CountyCommand.describe(county).joined(separator: "\n"))
                case .json: print(try JSONOutput.render(row))
                case .csv:
                    // One row: the county's columns, then one column per setting.
                    let settings = CountyRow.settings(of: county)
                    try output.emit(row, columns: CountyRow.columns + settings.map(\.key), rows: [row.cells + settings.map(\.value)])
                }
            }
        }
    }

    /// A county as `county list` and `county show` print it.
    struct CountyRow: Encodable {
        let code: String
        let status: String
        let name: String
        let region: String?
        let schema: String
        let created_at: String
        let updated_at: String
        let settings: [String: String]

        static let columns = ["code", "status", "name", "region", "schema", "created_at", "updated_at"]

        init(_ county: County) {
            code = county.code.value
            status = county.status.rawValue
            name = county.name
            region = county.region
            schema = county.schema.name
            created_at = LocalTime.iso(county.createdAt)
            updated_at = LocalTime.iso(county.updatedAt)
            settings = Dictionary(Self.settings(of: county).map { ($0.key, $0.value) }) { first, _ in first }
        }

        /// The county's settings as `county set` names them, in their documented order.
        static func settings(of county: County) -> [(key: String, value: String)] {
            county.settings.lines.map { line in
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }
        }

        var cells: [String] { [code, status, name, region ?? "", schema, created_at, updated_at] }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a setting: KEY=VALUE (keys: \(CountySettings.keys.joined(separator: ", "))).")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "County code.") var code: String
        @Argument(help: "KEY=VALUE") var assignment: String

        func run() async throws {
            try await reportingFailures {
                let code = try CountyCode(code)
                let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw CountyError("expected KEY=VALUE, got \"\(assignment.prefix(60))\"")
                }
                let county = try await options.withRegistry {
                    try await $0.set(code, key: String(parts[0]), value: String(parts[1]))
                }
                print("county \(county.code): \(parts[0])=\(parts[1])")
            }
        }
    }

    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive a county: its data stays readable, workflow writes are refused (its role may only read).")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "County code.") var code: String

        func run() async throws {
            try await reportingFailures {
                let code = try CountyCode(code)
                let county = try await options.withRegistry { try await $0.archive(code) }
                print("archived county \(county.code) (\(county.name))")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write one county (its schema and registry entry) to a file that `county import` restores.")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "County code.") var code: String
        @Option(help: "The file to write.") var to: String

        func run() async throws {
            try await reportingFailures {
                let code = try CountyCode(code)
                let size = try await options.withRegistry { try await $0.export(code, to: to) }
                print("exported county \(code) to \(to) (\(size) bytes)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a county from a `county export` file (its code must not exist here).")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "The export file.") var file: String

        func run() async throws {
            try await reportingFailures {
                let county = try await options.withRegistry { try await $0.importCounty(from: file) }
                print("imported county \(county.code) (\(county.name)), \(county.status.rawValue)")
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an archived county: its schema, registry entry and role, for good.")
        @OptionGroup var options: RegistryOptions
        @Argument(help: "County code.") var code: String
        @Option(help: "Repeat the code to confirm.") var confirm: String

        func run() async throws {
            try await reportingFailures {
                let code = try CountyCode(code)
                let dropped = try await options.withRegistry { try await $0.drop(code, confirm: confirm) }
                print(dropped)
            }
        }
    }

    static func describe(_ county: County) -> [String] {
        let formatter = ISO8601DateFormatter()
        return [
            "code: \(county.code)", "name: \(county.name)", "region: \(county.region ?? "-")",
            "schema: \(county.schema.name)", "status: \(county.status.rawValue)",
            "created: \(formatter.string(from: county.createdAt))", "updated: \(formatter.string(from: county.updatedAt))",
            "settings:",
        ] + county.settings.lines.map { "  " + $0 }
    }
}

/// A county's purpose from an option or argument.
func parsePurpose(_ text: String) throws -> County.Purpose {
    guard let purpose = County.Purpose(rawValue: text) else {
        throw ValidationError("\"\(text.prefix(20))\" is not a purpose (live, demo, training)")
    }
    return purpose
}
