import Counties
import PostgresClient
import Accounts
import ArgumentParser
import Foundation
import Workflow
import WorkflowStore
import TongxinBase

/// `tongxin member …`: the committee's members (委员).
struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Add, list, import and deactivate members (委员).",
        subcommands: [Add.self, List.self, Import.self, Deactivate.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a member.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The member's name.") var name: String
        @Option(help: "The member's sector (界别), added with `sector add`.") var sector: String?
        func run() async throws {
            try await reportingFailures {
                let member = try await staff.withStore { try await $0.addMember(name, sector: sector) }
                print("added member \(member.name)\(member.sector.map { " (\($0))" } ?? "")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List members.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        func run() async throws {
            try await reportingFailures {
                let members = try await staff.withStore { try await $0.members() }
                try output.emit(members, columns: ["name", "sector", "active"], rows: members.map { [$0.name, $0.sector.shown, $0.active ? "yes" : "no"] })
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import members from CSV (name, sector, active; or 姓名, 界别), all or nothing.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "A UTF-8 CSV file (with or without BOM).") var file: String
        @Flag(help: "Also make an account for each row (the operator's): login from a `login` (账号) column, else <county>.m<id>; prints login, name and one-time code as CSV.")
        var accounts = false
        func run() async throws {
            try await runImport(staff, file) { store, table in try await store.importMembers(table) }
            if accounts { try await makeAccounts(staff, file, role: .member) }
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a member inactive (no new proposals; records stay).")
        @OptionGroup var staff: StaffOptions
        @Argument var name: String
        func run() async throws {
            try await reportingFailures {
                try await staff.withStore { try await $0.setMemberActive(name, false) }
                print("member \(name) is inactive")
            }
        }
    }
}

/// `tongxin unit …`: handling units (承办单位).
struct UnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unit", abstract: "Add, list and import handling units (承办单位).",
        subcommands: [Add.self, List.self, Import.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a handling unit.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The unit's name, e.g. 城管局.") var name: String
        @Option(help: "department, state-company or other.") var kind = "department"
        func run() async throws {
            try await reportingFailures {
                let kind: UnitKind = try vocabulary(kind, "--kind")
                let unit = try await staff.withStore { try await $0.addUnit(name, kind: kind) }
                print("added unit \(unit.name) (\(unit.kind))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List handling units.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        func run() async throws {
            try await reportingFailures {
                let units = try await staff.withStore { try await $0.units() }
                try output.emit(units, columns: ["name", "kind", "active"], rows: units.map { [$0.name, $0.kind, $0.active ? "yes" : "no"] })
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import units from CSV (name, kind; or 单位, 类型), all or nothing.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "A UTF-8 CSV file (with or without BOM).") var file: String
        @Flag(help: "Also make an account for each row (the operator's): login from a `login` (账号) column, else <county>.u<id>; prints login, name and one-time code as CSV.")
        var accounts = false
        func run() async throws {
            try await runImport(staff, file) { store, table in try await store.importUnits(table) }
            if accounts { try await makeAccounts(staff, file, role: .unit) }
        }
    }
}

/// `tongxin sector …`: sectors (界别).
struct SectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sector", abstract: "Add and list sectors (界别).", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a sector.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The sector's name, e.g. 经济界.") var name: String
        func run() async throws {
            try await reportingFailures {
                let added = try await staff.withStore { try await $0.addSector(name) }
                print("added sector \(added)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sectors.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        func run() async throws {
            try await reportingFailures {
                let sectors = try await staff.withStore { try await $0.sectors() }
                try output.emit(sectors, columns: ["sector"], rows: sectors.map { [$0] })
            }
        }
    }
}

/// `tongxin session …`: the annual plenary (届次会议).
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Open and list sessions (届次会议); proposals are numbered per session.",
        subcommands: [Open.self, List.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open the year's session.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The session's year.", transform: parseYear) var year: Int
        @Option(help: "Its name, e.g. 十届七次会议.") var name: String
        @Option(name: .customLong("opened-on"), help: "First day (default: the --as-of day).") var openedOn: String?
        @Option(name: .customLong("closed-on"), help: "Last day; later proposals count as filed between sessions.") var closedOn: String?
        func run() async throws {
            try await reportingFailures {
                let opened = try parseDay(openedOn, "--opened-on")
                let closed = try parseDay(closedOn, "--closed-on")
                let session = try await staff.withStore { try await $0.openSession(year: year, name: name, openedOn: opened, closedOn: closed) }
                print("opened the \(session.year) session \(session.name) on \(session.openedOn)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sessions.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        func run() async throws {
            try await reportingFailures {
                let sessions = try await staff.withStore { try await $0.sessions() }
                try output.emit(sessions, columns: ["year", "name", "opened_on", "closed_on"], rows: sessions.map {
                    [String($0.year), $0.name, $0.openedOn.description, $0.closedOn?.description ?? ""]
                })
            }
        }
    }
}

/// `tongxin calendar …`: holidays and make-up working days for working-day deadlines.
struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "Holidays and make-up working days (调休) for working-day deadlines.",
        subcommands: [Set.self, List.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a day as a holiday or a working day.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The day, e.g. 2021-10-01.") var day: String
        @Argument(help: "holiday or workday.") var kind: String
        func run() async throws {
            try await reportingFailures {
                guard let date = try parseDay(day, "day") else { return }
                try await staff.withStore { try await $0.setCalendarDay(date, kind: kind) }
                print("\(date) is a \(kind)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List marked days.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "Only this year.", transform: parseYear) var year: Int?
        func run() async throws {
            try await reportingFailures {
                let days = try await staff.withStore { try await $0.calendarDays(year: year) }
                try output.emit(days, columns: ["day", "kind"], rows: days.map { [$0.day.description, $0.kind] })
            }
        }
    }
}

/// `tongxin import …`: CSV imports, all or nothing.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import proposals, members or units from a CSV file (UTF-8, with or without BOM), all or nothing.",
        discussion: "Every bad row is reported as `line N, field F: reason`; when any row is bad nothing is written.",
        subcommands: [Proposals.self, Members.self, Units.self])

    struct Proposals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Proposals: title, category, kind, lead, and optional number, body, co_authors, session, local_category, filed_at.")
        @OptionGroup var staff: StaffOptions
        @Argument var file: String
        func run() async throws {
            try await runImport(staff, file) { store, table in try await store.importProposals(table) }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Members: name, and optional sector, active.")
        @OptionGroup var staff: StaffOptions
        @Argument var file: String
        @Flag(help: "Also make an account for each row (the operator's): login from a `login` (账号) column, else <county>.m<id>; prints login, name and one-time code as CSV.")
        var accounts = false
        func run() async throws {
            try await runImport(staff, file) { store, table in try await store.importMembers(table) }
            if accounts { try await makeAccounts(staff, file, role: .member) }
        }
    }

    struct Units: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Units: name, and optional kind.")
        @OptionGroup var staff: StaffOptions
        @Argument var file: String
        @Flag(help: "Also make an account for each row (the operator's): login from a `login` (账号) column, else <county>.u<id>; prints login, name and one-time code as CSV.")
        var accounts = false
        func run() async throws {
            try await runImport(staff, file) { store, table in try await store.importUnits(table) }
            if accounts { try await makeAccounts(staff, file, role: .unit) }
        }
    }
}

/// Reads and parses `path`, runs the import; bad rows are printed one per line on stderr.
/// Makes an account for each row of an imported member or unit file (the connected login must be
/// an operator's), all in one transaction, and prints `login,name,code` lines.
func makeAccounts(_ staff: StaffOptions, _ path: String, role: Role) async throws {
    try await reportingFailures {
        guard let data = try InputFile.contents(atPath: path) else { throw CommandFailure(message: "\(path): cannot read the file") }
        let table = try CSVReader.parse(data)
        let names = role == .member ? ["name", "姓名"] : ["name", "单位", "名称"]
        guard let nameColumn = names.lazy.compactMap({ table.index(of: $0) }).first else {
            throw CommandFailure(message: "\(path): no name column")
        }
        let loginColumn = ["login", "账号"].lazy.compactMap { table.index(of: $0) }.first
        guard let text = staff.county ?? ProcessInfo.processInfo.environment["TONGXIN_COUNTY"] else {
            throw CommandFailure(message: "--county: give a county code (or set TONGXIN_COUNTY)")
        }
        let county = try CountyCode(text)
        let pool = PostgresPool(configuration: staff.connection.configuration, options: PostgresPoolOptions(maxConnections: 2))
        do {
            let principal = try await Principals.resolve(pool, as: nil)
            do {
                try Permissions.require(principal, .manageAccounts, .deployment)
            } catch {
                throw CommandFailure(message: "--accounts: the rows were imported, no account was made: \(error)")
            }
            let news = table.records.map { record in
                let name = record.fields[nameColumn].trimmingCharacters(in: .whitespaces)
                let login = loginColumn.map { record.fields[$0].trimmingCharacters(in: .whitespaces) } ?? ""
                return NewAccount(login: login, role: role, counties: [county], member: role == .member ? name : nil,
                                  unit: role == .unit ? name : nil)
            }
            let made: [(account: AccountRecord, code: String)]
            do {
                made = try await AccountStore(pool: pool, actor: principal.login).addMany(news)
            } catch {
                throw CommandFailure(message: "--accounts: the rows were imported, no account was made: \(error)")
            }
            print(CSVOutput.render(columns: ["login", "name", "code"], rows: made.map { [$0.account.login, $0.account.displayName, $0.code] }, bom: false),
                  terminator: "")
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }
}

func runImport(
    _ staff: StaffOptions, _ path: String, _ body: @escaping @Sendable (WorkflowStore, CSVTable) async throws -> ImportReport
) async throws {
    try await reportingFailures {
        do {
            // Who may use the county is checked before the file is read.
            let report = try await staff.withStore { store in
                try await store.requireAccess()
                guard let data = try InputFile.contents(atPath: path) else {
                    throw CommandFailure(message: "\(path): cannot read the file")
                }
                let table: CSVTable
                do {
                    table = try CSVReader.parse(data)
                } catch let error as WorkflowError {
                    throw CommandFailure(message: "\(path): \(error.description)")
                }
                return try await body(store, table)
            }
            print("imported \(report.rows) \(report.kind) from \(path)")
        } catch let error as ImportError {
            for problem in error.problems.dropLast() {
                FileHandle.standardError.write(Data("tongxin: \(path): \(oneLine(problem))\n".utf8))
            }
            throw CommandFailure(message: "\(path): \(error.problems.last ?? "") (import refused: \(error.problems.count) problem(s), nothing written)")
        }
    }
}

/// `tongxin activity …`: online events, duty days, studios, supervision groups, visits.
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity", abstract: "Record and list activities counted in the year's figures.",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an activity.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "online-event, duty-day, studio-opened, supervision-group, visit-hosted or visit-made.") var kind: String
        @Option(help: "The day (default: the --as-of day).") var on: String?
        @Option(help: "The member (duty days, studios).") var member: String?
        @Option(help: "The unit a supervision group watches.") var unit: String?
        @Option(help: "The peer committee of a visit, e.g. 昭平县政协.") var peer: String?
        @Option(help: "Days (duty days).") var days = 1
        @Option(help: "A note.") var note: String?
        func run() async throws {
            try await reportingFailures {
                let kind: ActivityKind = try vocabulary(kind, "--kind")
                let day = try parseDay(on, "--on")
                let record = try await staff.withStore {
                    try await $0.addActivity(kind, on: day, member: member, unit: unit, peer: peer, days: days, note: note)
                }
                print("recorded \(record.kind.replacingOccurrences(of: "_", with: "-")) on \(record.on)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List activities.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "Only this kind.") var kind: String?
        @Option(help: "Only this year.", transform: parseYear) var year: Int?
        func run() async throws {
            try await reportingFailures {
                let kind: ActivityKind? = try kind.map { try vocabulary($0, "--kind") }
                let records = try await staff.withStore { try await $0.activities(kind: kind, year: year) }
                try output.emit(records, columns: ["on", "kind", "member", "unit", "peer", "days", "note"], rows: records.map {
                    [$0.on.description, $0.kind, $0.member.shown, $0.unit.shown, $0.peerCommittee.shown, String($0.days), $0.note]
                })
            }
        }
    }
}

/// `tongxin audit …`: the county's hash-chained audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show and verify the county's audit log.", subcommands: [Log.self, Verify.self])

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the audit log, oldest first.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "Only this proposal (or micro-suggestion, e.g. W2021-003).") var proposal: String?
        func run() async throws {
            try await reportingFailures {
                let entries = try await staff.withStore { try await $0.auditLog(entityID: proposal) }
                try output.emit(entries, columns: ["id", "at", "recorded", "actor", "entered_by", "entity", "entity_id", "action", "detail"], rows: entries.map {
                    [String($0.id), LocalTime.display($0.at), $0.recordedAt.map(LocalTime.display) ?? "", $0.actor, $0.enteredBy ?? "",
                     $0.entity, $0.entityID, $0.action,
                     $0.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
                })
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain; names the first broken entry. --deep: also rebuild every proposal and micro-suggestion from the log and compare with the tables.",
            discussion: "With --deep, each difference between the log and the tables (a status, an assignment, a reply or a rating changed in SQL behind the log's back), and any entry recorded before an earlier one, is printed on a line of its own; the command then fails.")
        @OptionGroup var staff: StaffOptions
        @Flag(help: "Rebuild each proposal's status, assignments, replies and ratings from the log and compare them with the tables; check the recorded times never go backwards.")
        var deep = false
        func run() async throws {
            try await reportingFailures {
                if deep {
                    let report = try await staff.withStore { try await $0.verifyAuditDeeply() }
                    if let broken = report.firstBroken {
                        throw CommandFailure(message: "audit log broken: entry \(broken) was edited, or an entry before it deleted (\(report.entries) entries)")
                    }
                    for difference in report.differences { print(difference) }
                    guard report.differences.isEmpty else {
                        throw CommandFailure(message: "audit verify --deep: \(report.differences.count) differences between the audit log and the tables (above)")
                    }
                    print("audit log intact: \(report.entries) entries; the tables agree with it (\(report.proposals) proposals, \(report.suggestions) micro-suggestions)")
                    return
                }
                let result = try await staff.withStore { try await $0.verifyAudit() }
                if let broken = result.firstBroken {
                    throw CommandFailure(message: "audit log broken: entry \(broken) was edited, or an entry before it deleted (\(result.entries) entries)")
                }
                print("audit log intact: \(result.entries) entries")
            }
        }
    }
}
