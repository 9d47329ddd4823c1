import Accounts
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

    @Option(
        name: .customLong("as"),
        help: "Act as this account (operators only; recorded as the operator acting for it). Default: the account the PostgreSQL login is linked to.")
    var asLogin: String?

    @Option(
        name: .customLong("as-of"),
        help: "When the step takes effect: 2021-03-10, 2021-03-10T09:30 or with a zone (+08:00, Z); local time is UTC+8. Default: now. A time in the past (补录) needs staff rights and --backdate-reason; the server's clock is recorded too.")
    var asOf: String?

    @Option(name: .customLong("backdate-reason"), help: "Why a step effective in the past is entered late (needed with a past --as-of).")
    var backdateReason: String?

    /// Runs `body` with the county's store, acting as the resolved account, on a small pool.
    func withStore<R: Sendable>(_ body: (WorkflowStore) async throws -> R) async throws -> R {
        let environment = ProcessInfo.processInfo.environment
        guard let text = county ?? environment["TONGXIN_COUNTY"], !text.isEmpty else {
            throw CommandFailure(message: "--county: give a county code (or set TONGXIN_COUNTY)")
        }
        let code = try CountyCode(text)
        let now = try asOf.map { try LocalTime.parse($0) } ?? Date()
        let pool = PostgresPool(configuration: connection.configuration, options: PostgresPoolOptions(maxConnections: 2))
        do {
            let principal = try await Principals.resolve(pool, as: asLogin)
            let store = try WorkflowStore(pool: pool, county: code, principal: principal, now: now, reason: backdateReason)
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

extension ConnectionOptions {
    /// Refuses unless the connected login is an operator's (it may `action`).
    func requireOperator(_ action: Action) async throws {
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 1))
        do {
            try Permissions.require(try await Principals.resolve(pool, as: nil), action, .deployment)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// Who a command acts as: the account the connected PostgreSQL login is linked to, or, for an
/// operator naming one with `--as`, that account typed by the operator.
enum Principals {
    static func resolve(_ pool: PostgresPool, as login: String?) async throws -> Principal {
        let accounts = AccountStore(pool: pool, actor: "")
        let (connected, dbLogin) = try await accounts.connectedPrincipal()
        guard let connected else {
            throw CommandFailure(message: "not allowed: PostgreSQL login \(dbLogin) acts as no account (an operator links one: tongxin account grant LOGIN --db-login \(dbLogin))")
        }
        guard let login else { return connected }
        guard connected.role == .operator else {
            throw CommandFailure(message: "--as: not allowed: \(connected.described) is no operator; only an operator acts for another account")
        }
        return try await accounts.principal(login).actedFor(by: connected.login)
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
