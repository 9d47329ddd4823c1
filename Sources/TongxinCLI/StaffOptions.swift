import ArgumentParser
import Counties
import Foundation
import PostgresClient
import Workflow
import WorkflowStore
import TongxinBase

/// Options of every workflow command: the connection, the county, who acts and when.
struct StaffOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "County code (default: TONGXIN_COUNTY).")
    var county: String?

    @Option(help: "Who acts, recorded in the audit log (default: the OS user).")
    var actor: String?

    @Option(
        name: .customLong("as-of"),
        help: "Act at this time: 2021-03-10, 2021-03-10T09:30 or with a zone (+08:00, Z); local time is UTC+8. Default: now.")
    var asOf: String?

    /// Runs `body` with the county's store on a small pool, closed afterwards.
    func withStore<R: Sendable>(_ body: (WorkflowStore) async throws -> R) async throws -> R {
        let environment = ProcessInfo.processInfo.environment
        guard let text = county ?? environment["TONGXIN_COUNTY"], !text.isEmpty else {
            throw CommandFailure(message: "--county: give a county code (or set TONGXIN_COUNTY)")
        }
        let code = try CountyCode(text)
        let now = try asOf.map { try LocalTime.parse($0) } ?? Date()
        let who = actor ?? environment["USER"] ?? environment["LOGNAME"] ?? NSUserName()
        let pool = PostgresPool(configuration: connection.configuration, options: PostgresPoolOptions(maxConnections: 2))
        do {
            let store = try WorkflowStore(pool: pool, county: code, actor: who, now: now)
            let value = try await body(store)
            await pool.close()
            return value
        } catch let error as PostgresError where error.sqlState == .undefinedTable {
            await pool.close()
            throw CommandFailure(message: "no county \(code): this database has no county registry yet (tongxin county create)")
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// Options of every read: the output format.
struct FormatOptions: ParsableArguments {
    @Option(help: "Output: table, json or csv.")
    var format: OutputFormat = .table

    @Flag(help: "Start CSV output with a byte order mark (for Excel and WPS).")
    var bom = false

    /// Prints `json` as JSON, or the rows as a table or CSV.
    func emit<T: Encodable>(_ json: T, columns: [String], rows: [[String]]) throws {
        switch format {
        case .json: print(try JSONOutput.render(json))
        case .csv: print(CSVOutput.render(columns: columns, rows: rows, bom: bom), terminator: "")
        case .table: print(rows.isEmpty ? "(none)" : TextTable(columns: columns, rows: rows).render())
        }
    }
}

/// Runs a workflow write and prints its one-line outcome.
func runWrite(_ options: StaffOptions, _ body: @escaping @Sendable (WorkflowStore) async throws -> Outcome) async throws {
    try await reportingFailures {
        let outcome = try await options.withStore(body)
        print(outcome.message)
    }
}

/// Parses a vocabulary value from an option, naming the option in the error.
func vocabulary<V: Vocabulary>(_ text: String, _ option: String) throws -> V {
    try V.parse(text, field: option)
}

func parseDay(_ text: String?, _ option: String) throws -> CalendarDate? {
    guard let text else { return nil }
    do {
        return try CalendarDate(text.trimmingCharacters(in: .whitespaces))
    } catch {
        throw CommandFailure(message: "\(option): \"\(text.prefix(40))\" is not a date like 2021-03-10")
    }
}

extension Optional where Wrapped == Date {
    var shown: String { map(LocalTime.display) ?? "" }
}

extension Optional where Wrapped == String {
    var shown: String { self ?? "" }
}
