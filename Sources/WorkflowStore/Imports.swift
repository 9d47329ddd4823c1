import Counties
import Foundation
import PostgresClient
public import Workflow
import TongxinBase

/// An import refused: every bad row, each as `line N, field F: reason`; nothing was written.
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "import refused, nothing written: \(problems.count) problem(s); first: \(problems.first ?? "")"
    }
}

/// What an import wrote.
public struct ImportReport: Sendable, Hashable {
    public var kind: String
    public var rows: Int
}

/// The columns an import reads: English names, or the Chinese headers offices use.
struct ImportColumns {
    let table: CSVTable
    let aliases: [String: [String]]

    /// The header's index for `field` (its English name or an alias).
    func index(_ field: String) -> Int? {
        for name in [field] + (aliases[field] ?? []) {
            if let index = table.index(of: name) { return index }
        }
        return nil
    }

    func require(_ fields: [String]) throws {
        let missing = fields.filter { index($0) == nil }
        guard missing.isEmpty else {
            throw ImportError(problems: missing.map { "line 1, field \($0): the header has no \($0) column" })
        }
        let known = Set(aliases.keys).union(aliases.values.flatMap { $0 })
        if let unknown = table.header.first(where: { !known.contains($0) }) {
            let names = aliases.keys.sorted().joined(separator: ", ")
            throw ImportError(problems: ["line 1, field \(unknown): unknown column (columns: \(names))"])
        }
    }

    func value(_ field: String, _ record: CSVRecord) -> String? {
        guard let index = index(field), index < record.fields.count else { return nil }
        let text = record.fields[index].trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }
}

extension WorkflowStore {
    /// Runs `row` for every record inside one transaction; a row's `WorkflowError` ("field:
    /// reason") becomes `line N, field F: reason`. Any problem rolls everything back.
    /// Imports `table` in two passes: `check` turns each record into a row without touching the
    /// database (every bad record reported, nothing opened when any is bad), then `write` puts
    /// the rows in one transaction.
    private func importRows<Row: Sendable>(
        _ table: CSVTable, kind: String, check: (CSVRecord) throws -> Row,
        preflight: (([(line: Int, row: Row)]) async throws -> [(line: Int, problem: WorkflowError)])? = nil,
        write writeRow: @escaping @Sendable (Context, Row) async throws -> Void
    ) async throws -> ImportReport {
        var problems: [String] = []
        var rows: [(line: Int, row: Row)] = []
        rows.reserveCapacity(table.records.count)
        for record in table.records {
            do {
                rows.append((record.line, try check(record)))
            } catch let error as WorkflowError {
                problems.append(Self.problem(line: record.line, error))
                if problems.count >= 1000 { break }
            }
        }
        if !problems.isEmpty {
            // Bad rows found without the database: the good ones are not written (that would
            // take minutes for a big file), but what the database would refuse of them, where a
            // read can tell, is reported too, so every bad row is named at once.
            if let preflight, problems.count < 1000 {
                let lines = Set(table.records.map(\.line)).subtracting(rows.map(\.line))
                var all = problems.map { (line: Int($0.dropFirst(5).prefix { $0.isNumber }) ?? 0, text: $0) }
                all += try await preflight(rows).map { (line: $0.line, text: Self.problem(line: $0.line, $0.problem)) }
                    .filter { !lines.contains($0.line) }
                problems = all.sorted { $0.line < $1.line }.prefix(1000).map(\.text)
            }
            throw ImportError(problems: problems)
        }
        let checked = rows
        return try await step { context in
            try authorize(.importData, countyTarget(context))
            var problems: [String] = []
            for (line, row) in checked {
                do {
                    // A savepoint per row: a refused row leaves the transaction usable, so every
                    // bad row is reported; any problem rolls the whole import back.
                    try await context.tx.withTransaction { tx in
                        do {
                            try await writeRow(context, row)
                            try await context.batch.flush(on: tx)
                        } catch {
                            context.batch.discard()
                            throw error
                        }
                    }
                } catch let error as WorkflowError {
                    problems.append(Self.problem(line: line, error))
                } catch let error as PostgresError {
                    // Not the row's fault: the whole import fails (and may be retried). A role
                    // that may not use the county finds no tables (42P01) or is refused (42501).
                    if error.isRetryableTransactionFailure || error.isConnectionFailure || error.isInsufficientPrivilege
                        || error.isUndefinedTable { throw error }
                    if AuditLog.isMissingHead(error) { throw AuditLog.missingHead(context.schema) }
                    problems.append("line \(line): \(error.message)")
                }
                if problems.count >= 1000 { break }
            }
            guard problems.isEmpty else { throw ImportError(problems: problems) }
            return ImportReport(kind: kind, rows: checked.count)
        }
    }

    /// `line N, field F: reason` when the error names its field, else `line N: reason`.
    static func problem(line: Int, _ error: WorkflowError) -> String {
        let text = error.description
        if let colon = text.range(of: ": "), !text[..<colon.lowerBound].contains(" ") {
            return "line \(line), field \(text[..<colon.lowerBound]): \(text[colon.upperBound...])"
        }
        return "line \(line): \(text)"
    }

    /// Members: `name` (姓名), optional `sector` (界别; created when new) and `active` (yes/no);
    /// a `login` (账号) column is for `--accounts` (the CLI makes the accounts after the import).
    public func importMembers(_ table: CSVTable) async throws -> ImportReport {
        let columns = ImportColumns(table: table, aliases: ["name": ["姓名"], "sector": ["界别"], "active": ["在职", "状态"], "login": ["账号"]])
        try columns.require(["name"])
        return try await importRows(table, kind: "members") { record in
            let name = try Text.required(columns.value("name", record) ?? "", field: "name", maximum: 100)
            let sector = try Text.optional(columns.value("sector", record), field: "sector", maximum: 100)
            var active = true
            if let text = columns.value("active", record) {
                switch text.lowercased() {
                case "yes", "true", "1", "是", "在职", "active": active = true
                case "no", "false", "0", "否", "离职", "inactive": active = false
                default: throw WorkflowError("active: \"\(text.prefix(20))\" is not yes or no")
                }
            }
            return (name, sector, active)
        } write: { context, row in
            let (name, sector, active) = row
            if let sector {
                let added = try await context.tx.query("""
                    INSERT INTO sector (name) VALUES (\(sector)) ON CONFLICT (name) DO NOTHING
                    """).affectedRows
                if added == 1 { audit(context, entity: "sector", id: sector, action: "add") }
            }
            try await insertMember(context, name: name, sector: sector, active: active, field: "name")
        }
    }

    /// Units: `name` (单位), optional `kind` (department, state_company, other).
    public func importUnits(_ table: CSVTable) async throws -> ImportReport {
        let columns = ImportColumns(table: table, aliases: ["name": ["单位", "名称"], "kind": ["类型"], "login": ["账号"]])
        try columns.require(["name"])
        return try await importRows(table, kind: "units") { record in
            let name = try Text.required(columns.value("name", record) ?? "", field: "name", maximum: 100)
            let kind = try columns.value("kind", record).map { try UnitKind.parse($0, field: "kind") } ?? .department
            return (name, kind)
        } write: { context, row in
            try await insertUnit(context, name: row.0, kind: row.1, field: "name")
        }
    }

    /// Proposals, filed: `title` (标题), `category` (类别), `kind` (类型), `lead` (提案人), and
    /// optionally `number` (案号), `body` (内容), `co_authors` (联名人, separated by 、 ; or
    /// |), `session` (年度), `local_category` (本地类别), `filed_at` (提交时间; default `--as-of`).
    public func importProposals(_ table: CSVTable) async throws -> ImportReport {
        let columns = ImportColumns(table: table, aliases: [
            "number": ["案号", "编号"], "title": ["标题", "案由"], "body": ["内容", "正文"], "category": ["类别"],
            "local_category": ["本地类别"], "kind": ["类型"], "lead": ["提案人", "领衔人"], "co_authors": ["联名人", "附议人"],
            "session": ["年度"], "filed_at": ["提交时间"],
        ])
        try columns.require(["title", "category", "kind", "lead"])
        let now = now
        return try await importRows(table, kind: "proposals") { record in
            var filedAt = now
            if let text = columns.value("filed_at", record) { filedAt = try LocalTime.parse(text, field: "filed_at") }
            var year: Int?
            if let text = columns.value("session", record) {
                guard let value = Int(text) else { throw WorkflowError("session: \"\(text.prefix(20))\" is not a year") }
                year = value
            }
            let coAuthors = (columns.value("co_authors", record) ?? "")
                .split(whereSeparator: { "、;；|".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let new = NewProposal(
                title: columns.value("title", record) ?? "", body: columns.value("body", record) ?? "",
                category: try ProposalCategory.parse(columns.value("category", record) ?? "", field: "category"),
                localCategory: columns.value("local_category", record),
                kind: try ProposalKind.parse(columns.value("kind", record) ?? "", field: "kind"),
                lead: columns.value("lead", record) ?? "", coAuthors: coAuthors,
                sessionYear: year ?? LocalTime.day(of: filedAt).year, number: columns.value("number", record))
            return (try CheckedProposal(new, today: LocalTime.day(of: filedAt)), filedAt)
        } preflight: { rows in
            try await self.proposalLookups(rows.map { (line: $0.line, proposal: $0.row.0) })
        } write: { context, row in
            _ = try await insert(context, row.0, filedAt: row.1)
        }
    }

    /// What filing would refuse of checked proposals that a read can tell (a missing session,
    /// an unknown or inactive author), with the messages filing gives, in one query each.
    func proposalLookups(_ rows: [(line: Int, proposal: CheckedProposal)]) async throws -> [(line: Int, problem: WorkflowError)] {
        let names = Array(Set(rows.flatMap { [$0.proposal.lead] + $0.proposal.coAuthors }))
        let years = Array(Set(rows.map(\.proposal.year)))
        let (members, sessions) = try await reading { tx, _ in
            let found = try await tx.pipeline([memberQuery(names), "SELECT year FROM session WHERE year = ANY(\(years))"])
            var members: [String: Bool] = [:]
            for (name, _, active) in try found[0].decode((String, Int64, Bool).self) { members[name] = active }
            let years: [Int] = try found[1].decode(Int.self)
            return (members, Set(years))
        }
        var problems: [(line: Int, problem: WorkflowError)] = []
        for (line, proposal) in rows {
            if !sessions.contains(proposal.year) {
                problems.append((line, WorkflowError("session: no \(proposal.year) session in county \(county); open it with `tongxin session open --year \(proposal.year)`")))
                continue
            }
            for (field, names) in [("lead", [proposal.lead]), ("co_authors", proposal.coAuthors)] {
                if let inactive = names.first(where: { members[$0] == false }) {
                    problems.append((line, WorkflowError("\(field): member \(inactive) is not active")))
                    break
                }
                if let missing = names.first(where: { members[$0] == nil }) {
                    problems.append((line, WorkflowError("\(field): no member \"\(missing.prefix(60))\" in county \(county)")))
                    break
                }
            }
        }
        return problems
    }
}
