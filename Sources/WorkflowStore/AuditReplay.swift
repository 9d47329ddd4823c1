import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow

/// `audit verify --deep`: the county's proposals and micro-suggestions rebuilt from the audit
/// log alone (status, open assignments, replies, ratings) and set beside the tables, and the
/// log's recorded times checked never to go backwards. A row changed in SQL behind the log's
/// back (an UPDATE of a status, a deleted rating) shows as a difference, named.
public struct DeepAuditReport: Sendable, Encodable {
    public let entries: Int
    public let firstBroken: Int64?
    public let proposals: Int
    public let suggestions: Int
    /// One line per difference, e.g. `proposal 2021-003: status is closed in the table, replied in the audit log`.
    public let differences: [String]

    enum CodingKeys: String, CodingKey { case entries, firstBroken = "first_broken", proposals, suggestions, differences }
}

extension WorkflowStore {
    public func verifyAuditDeeply() async throws -> DeepAuditReport {
        try await read { context in
            try authorize(.verifyAudit, countyTarget(context))
            let tx = context.tx
            let entries = try await tx.query("SELECT count(*) FROM audit_log").single().decode(Int.self)
            let broken = try await AuditLog.firstBrokenEntry(on: tx, schema: context.schema)
            var differences: [String] = []
            // The server's clock only moves on: an entry recorded before the one logged ahead of it
            // was inserted behind the log's back (or the clock was set back).
            for (id, recorded, previous) in try await tx.query("""
                SELECT id, recorded_at, prev FROM (
                    SELECT id, recorded_at, max(recorded_at) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
                    FROM audit_log) t
                WHERE recorded_at < prev ORDER BY id LIMIT 20
                """).decode((Int64, Date, Date).self) {
                differences.append("audit entry \(id): recorded at \(LocalTime.display(recorded)), before an earlier entry (\(LocalTime.display(previous)))")
            }

            // What the log says.
            struct Rebuilt {
                var status: String?
                var open: [String: String] = [:]  // unit → role
                var replies: [String: Int] = [:]  // "unit|round|category" → count
                var ratings: [String: Int] = [:]  // "member|round|rating" → count
            }
            var proposals: [String: Rebuilt] = [:]
            var suggestions: [String: String] = [:]
            let logged = try await tx.query("""
                SELECT entity, entity_id, action, detail FROM audit_log WHERE entity IN ('proposal', 'suggestion') ORDER BY id
                """).decode((String, String, String, JSONB<[String: String]>).self)
            for (entity, id, action, box) in logged {
                let detail = box.value
                if entity == "suggestion" {
                    if let to = detail["to"] { suggestions[id] = to }
                    continue
                }
                var p = proposals[id] ?? Rebuilt()
                if let to = detail["to"] { p.status = to }
                switch action {
                case "assign":
                    for pair in (detail["units"] ?? "").split(separator: ",") {
                        let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
                        if parts.count == 2 { p.open[parts[0]] = parts[1] }
                    }
                case "unit-return":
                    if let unit = detail["unit"] { p.open[unit] = nil }
                case "reply", "approve-reply":
                    p.replies["\(detail["unit"] ?? "")|\(detail["round"] ?? "")|\(detail["category"] ?? "")", default: 0] += 1
                case "evaluate":
                    p.ratings["\(detail["member"] ?? "")|\(detail["round"] ?? "")|\(detail["rating"] ?? "")", default: 0] += 1
                default:
                    break
                }
                proposals[id] = p
            }

            // What the tables say.
            var tables: [String: Rebuilt] = [:]
            for (number, status) in try await tx.query("SELECT number, status FROM proposal").decode((String, String).self) {
                tables[number, default: Rebuilt()].status = status
            }
            for (number, unit, role) in try await tx.query("""
                SELECT p.number, u.name, a.role FROM assignment a JOIN proposal p ON p.id = a.proposal_id JOIN unit u ON u.id = a.unit_id
                WHERE a.returned_at IS NULL
                """).decode((String, String, String).self) {
                tables[number, default: Rebuilt()].open[unit] = role
            }
            for (number, key) in try await tx.query("""
                SELECT p.number, u.name || '|' || r.round || '|' || r.category
                FROM reply r JOIN assignment a ON a.id = r.assignment_id JOIN proposal p ON p.id = a.proposal_id JOIN unit u ON u.id = a.unit_id
                """).decode((String, String).self) {
                tables[number, default: Rebuilt()].replies[key, default: 0] += 1
            }
            for (number, key) in try await tx.query("""
                SELECT p.number, m.name || '|' || e.round || '|' || e.rating
                FROM evaluation e JOIN proposal p ON p.id = e.proposal_id JOIN member m ON m.id = e.member_id
                """).decode((String, String).self) {
                tables[number, default: Rebuilt()].ratings[key, default: 0] += 1
            }

            func describe(_ counts: [String: Int]) -> String {
                counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }
                    .map { ($0.value == 1 ? "" : "\($0.value)× ") + $0.key.replacingOccurrences(of: "|", with: " ") }.joined(separator: ", ")
            }
            for number in Set(tables.keys).union(proposals.keys).sorted() {
                let table = tables[number], log = proposals[number]
                guard let table else { differences.append("proposal \(number): in the audit log, not in the tables"); continue }
                guard let log else { differences.append("proposal \(number): in the tables, never in the audit log"); continue }
                if table.status != log.status {
                    differences.append("proposal \(number): status is \(table.status ?? "none") in the table, \(log.status ?? "none") by the audit log")
                }
                if table.open != log.open {
                    let show = { (o: [String: String]) in o.isEmpty ? "none" : o.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ") }
                    differences.append("proposal \(number): assigned to \(show(table.open)) in the tables, \(show(log.open)) by the audit log")
                }
                if table.replies != log.replies {
                    differences.append("proposal \(number): replies \(describe(table.replies)) in the tables, \(describe(log.replies)) by the audit log")
                }
                if table.ratings != log.ratings {
                    differences.append("proposal \(number): ratings \(describe(table.ratings)) in the tables, \(describe(log.ratings)) by the audit log")
                }
            }
            var suggestionCount = 0
            for (number, status) in try await tx.query("SELECT number, status FROM micro_suggestion ORDER BY number").decode((String, String).self) {
                suggestionCount += 1
                if let logged = suggestions[number] {
                    if logged != status {
                        differences.append("micro-suggestion \(number): status is \(status) in the table, \(logged) by the audit log")
                    }
                } else {
                    differences.append("micro-suggestion \(number): in the tables, never in the audit log")
                }
            }
            return DeepAuditReport(
                entries: entries, firstBroken: broken, proposals: tables.count, suggestions: suggestionCount, differences: differences)
        }
    }
}
