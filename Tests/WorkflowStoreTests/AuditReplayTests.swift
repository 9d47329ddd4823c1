import Foundation
import PostgresClient
import Testing
import Workflow
import WorkflowStore

@Suite struct AuditReplayTests {
    @Test func theTablesAgreeWithTheLogUntilSomeoneEditsThemInSQL() async throws {
        try await withCounty { store, _ in
            let number = try await store.file(NewProposal(title: "关于A的建议", category: .economy, kind: .joint, lead: "王委员", coAuthors: ["李委员"])).number
            try await store.review(number, .register)
            try await store.assign(number, lead: "城管局", co: ["林业局", "应急管理局"])
            try await store.unitReturn(number, unit: "应急管理局", reason: "不属本单位")
            try await store.reply(number, unit: "城管局", category: .a, text: "已办理")
            try await store.evaluate(number, member: "王委员", rating: .satisfied)
            try await store.evaluate(number, member: "李委员", rating: .satisfied)
            let s = try await store.fileSuggestion(member: "赵委员", title: "路灯", body: "").number
            let clean = try await store.verifyAuditDeeply()
            #expect(clean.differences == [] && clean.firstBroken == nil && clean.proposals == 1 && clean.suggestions == 1)

            // Edits behind the log's back, each named.
            let pool = store.pool
            try await pool.query("UPDATE county_leiyang.proposal SET status = 'assigned' WHERE number = \(number)")
            try await pool.query("DELETE FROM county_leiyang.evaluation WHERE member_id = (SELECT id FROM county_leiyang.member WHERE name = '李委员')")
            try await pool.query("UPDATE county_leiyang.reply SET category = 'B'")
            try await pool.query("UPDATE county_leiyang.assignment SET returned_at = NULL")
            try await pool.query("UPDATE county_leiyang.micro_suggestion SET status = 'closed' WHERE number = \(s)")
            let found = try await store.verifyAuditDeeply().differences
            #expect(found == [
                "proposal \(number): status is assigned in the table, closed by the audit log",
                "proposal \(number): assigned to 城管局 (lead), 应急管理局 (co), 林业局 (co) in the tables, 城管局 (lead), 林业局 (co) by the audit log",
                "proposal \(number): replies 城管局 1 B in the tables, 城管局 1 A by the audit log",
                "proposal \(number): ratings 王委员 1 satisfied in the tables, 李委员 1 satisfied, 王委员 1 satisfied by the audit log",
                "micro-suggestion \(s): status is closed in the table, filed by the audit log",
            ], "\(found)")
            // The chain itself still holds: only the deep check sees these.
            #expect(try await store.verifyAudit().firstBroken == nil)
        }
    }

    @Test func anEntryRecordedBeforeAnEarlierOneIsNamed() async throws {
        try await withCounty { store, _ in
            _ = try await store.file(NewProposal(title: "关于B的建议", category: .economy, kind: .individual, lead: "王委员"))
            _ = try await store.file(NewProposal(title: "关于C的建议", category: .economy, kind: .individual, lead: "王委员"))
            // An entry whose recorded time is set back (the chain then breaks too, but the deep
            // check names the time as well).
            let id = try await store.pool.query("SELECT max(id) FROM county_leiyang.audit_log").single().decode(Int64.self)
            try await store.pool.query("UPDATE county_leiyang.audit_log SET recorded_at = recorded_at - interval '1 day' WHERE id = \(id)")
            let report = try await store.verifyAuditDeeply()
            #expect(report.firstBroken == id)
            #expect(report.differences.first?.hasPrefix("audit entry \(id): recorded at ") == true, "\(report.differences)")
        }
    }
}
