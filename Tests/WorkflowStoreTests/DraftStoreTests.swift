import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase
import Workflow
import WorkflowStore

@Suite struct DraftStoreTests {
    @Test func aMembersJointProposalIsFiledOnlyAfterTheCoAuthorConfirmsAsThemselves() async throws {
        try await withLiveCounty { county in
            let wang = try county.store(county.member)
            let li = try county.store(county.otherMember)
            let staff = try county.store(county.staff)
            // Filing a joint proposal directly is refused to a member: co-authors confirm first.
            #expect(await refusal {
                try await wang.file(NewProposal(title: "关于联名的建议", category: .economy, kind: .joint, lead: "王委员", coAuthors: ["李委员"]))
            }?.hasPrefix("co_authors: each co-author confirms first") == true)
            let saved = try await wang.saveDraft(nil, DraftFields(title: "关于联名的建议", body: "正文", category: .economy, coAuthors: ["李委员"]))
            let id = try DraftNumber.parse(saved.number)
            #expect(saved.message.contains("waiting for 李委员 to confirm"))
            // Staff and units never see a member's draft; the invited co-author does.
            #expect(await refusal { _ = try await staff.draft(id) } == "no draft \(saved.number) in county live")
            #expect(await refusal { _ = try await county.store(county.unit).draft(id) } == "no draft \(saved.number) in county live")
            #expect(try await li.draft(id).coSigners.map(\.state) == ["invited"])
            #expect(try await li.drafts().invited.map(\.id) == [saved.number])
            #expect(await refusal { try await wang.submitDraft(id) } == "draft: waiting for co-authors to confirm: 李委员")
            #expect(await refusal { try await wang.answerDraft(id, confirm: true) }?.contains("may not proposal.co-sign") == true)
            #expect(await refusal { try await li.submitDraft(id) }?.contains("may not proposal.draft") == true)
            try await li.answerDraft(id, confirm: true)
            // A changed text asks again.
            try await wang.saveDraft(id, DraftFields(title: "关于联名的建议（修改）", body: "正文", category: .economy, coAuthors: ["李委员"]))
            #expect(try await wang.draft(id).coSigners.map(\.state) == ["invited"])
            try await li.answerDraft(id, confirm: true)
            let filed = try await wang.submitDraft(id)
            let shown = try await staff.show(filed.number)
            #expect(shown.kind == "joint")
            #expect(shown.authors.map(\.member) == ["王委员", "李委员"])
            #expect(shown.title == "关于联名的建议（修改）")
            #expect(try await wang.draft(id).proposal == filed.number)
            #expect(await refusal { try await wang.discardDraft(id) } == "draft: it is submitted; only an open draft changes")
            let actions = try await staff.auditLog().filter { $0.entity == "draft" }.map { "\($0.actor) \($0.action)" }
            #expect(actions == ["wang draft", "li co-sign", "wang edit", "li co-sign", "wang submit"])
            #expect(try await staff.verifyAuditDeeply().differences.isEmpty)
        }
    }
}
