public import ArgumentParser
import Foundation
import PostgresClient

/// The version every Tongxin program reports.
public enum TongxinVersion {
    public static let current = "0.1.0"
}

/// `tongxin`, the admin CLI: for operators and for committee staff.
public struct Tongxin: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tongxin",
        abstract: "Tongxin (同心): proposal handling for county political consultative committees.",
        discussion: """
            Connection settings follow libpq: --database-url or DATABASE_URL (a URI or a \
            key=value string); otherwise libpq's defaults, the PG* variables, ~/.pgpass and \
            service files.
            """,
        version: TongxinVersion.current,
        subcommands: [
            Database.self, CountyCommand.self, MigrateCommand.self,
            SectorCommand.self, MemberCommand.self, UnitCommand.self, SessionCommand.self, CalendarCommand.self,
            ProposalCommand.self, SuggestionCommand.self, ActivityCommand.self, ImportCommand.self, AuditCommand.self, DemoCommand.self,
            JobsCommand.self, NotificationsCommand.self, ReportCommand.self, ExchangeCommand.self,
        ]
    )

    public init() {}

    /// The executable's entry point (parses the process's arguments, runs, exits).
    public static func runFromCommandLine() async {
        await OneLineErrors.run(Tongxin.self, program: "tongxin")
    }
}

/// Runs a command-line program so that every error is one line on stderr: a usage error
/// (unknown option, missing or mistyped value) prints `program: message (see program … --help)`
/// and exits 64 instead of the error followed by the whole usage text; `--help` and
/// `--version` print as usual.
public enum OneLineErrors {
    public static func run<Command: AsyncParsableCommand>(_ type: Command.Type, program: String) async {
        let command: any ParsableCommand
        do {
            command = try Command.parseAsRoot(Array(CommandLine.arguments.dropFirst()))
        } catch {
            fail(Command.self, program: program, error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch {
            fail(Command.self, program: program, error)
        }
        Foundation.exit(0)
    }

    static func fail<Command: ParsableCommand>(_ type: Command.Type, program: String, _ error: any Error) -> Never {
        let code = Command.exitCode(for: error)
        guard code == .validationFailure else { Command.exit(withError: error) }
        let message = Command.message(for: error)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: "; ")
        FileHandle.standardError.write(Data("\(program): \(message) (see `\(program) … --help`)\n".utf8))
        Foundation.exit(code.rawValue)
    }
}

/// Options every command that talks to PostgreSQL shares.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: "libpq connection URI or key=value string (default: DATABASE_URL, then libpq's PG* defaults).")
    var databaseURL: String?

    var configuration: PostgresConfiguration {
        PostgresConfiguration.resolve(explicit: databaseURL)
    }
}

/// A failure shown to the user as one line on stderr, with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A `--year` value: a year a committee can have (1949, the CPPCC's founding, to 2100).
func parseYear(_ text: String) throws -> Int {
    guard let year = Int(text), (1949...2100).contains(year) else {
        throw ValidationError("\"\(text.prefix(20))\" is not a year from 1949 to 2100")
    }
    return year
}

/// `text` on one line: PostgreSQL's and libpq's messages can hold line breaks and tabs.
func oneLine(_ text: String) -> String {
    text.split(whereSeparator: { $0.isNewline || $0 == "\t" }).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }.joined(separator: " ")
}

/// Runs `body`, turning any error into one line on stderr and exit status 1.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let line = oneLine("\(error)")
        FileHandle.standardError.write(Data("tongxin: \(line)\n".utf8))
        throw ExitCode.failure
    }
}
