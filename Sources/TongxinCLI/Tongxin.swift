public import ArgumentParser
import Foundation
import PostgresClient
import CommandLineSupport
import TongxinBase

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
            Database.self, CountyCommand.self, MigrateCommand.self, AccountCommand.self,
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
