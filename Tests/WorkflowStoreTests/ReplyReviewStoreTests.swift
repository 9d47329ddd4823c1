import Counties
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase
import Workflow
import WorkflowStore

@Suite struct ReplyReviewStoreTests {
    @Test func withReviewOnTheMemberSeesTheReplyOnlyOnceApprovedWithItsCorrectedCategory() async throws {
        try await withLiveCounty { county in
            let staff = try county.store(county.staff)
            let unit = try county.store(county.unit)
            let member = try county.store(county.member)
            let supervisor = try county.store(Principal(login: "sup.zhao", role: .supervisor, counties: ["live"]))
            // The office turns review on: audited, one key written; a member may not, a bad value is one line.
            #expect(await refusal { try await member.changeSetting("reply_review", to: "on") }?.contains("may not county.settings") == true)
            #expect(await refusal { try await staff.changeSetting("reply_review", to: "yes") } == "setting reply_review: \"yes\" is not one of off, on")
            try await staff.changeSetting("evaluation_window_days", to: "40")
            try await staff.changeSetting("reply_review", to: "on")
            let settings = try await staff.settings()
            #expect((settings.reviewsReplies, settings.evaluationWindowDays) == (true, 40))
            #expect(try await staff.auditLog(entityID: "live").map { $0.detail["key"] ?? "" } == ["evaluation_window_days", "reply_review"])
            let number = try await member.file(NewProposal(title: "关于复文审核的建议", category: .economy, kind: .individual, lead: "王委员")).number
            try await staff.review(number, .register)
            try await staff.assign(number, lead: "城管局", co: ["林业局"])
            let letter = ReplyLetter(documentNumber: "城管函〔2026〕12号", signer: "赵局长", contactPerson: "钱科长", contactPhone: "0734-1234567")
            let sent = try await unit.reply(number, unit: nil, category: .a, text: "已解决", letter: letter)
            #expect(sent.message.contains("awaits review"))
            #expect(sent.status == "assigned")
            // The member sees no reply, nor its category; the unit and the office see it waiting.
            let asMember = try await member.show(number)
            #expect(asMember.replies.isEmpty && asMember.repliesAwaitingReview.isEmpty && asMember.status == "assigned")
            #expect(asMember.timeline.last.map { ($0.action, $0.detail) }! == ("submit-reply", [:]))
            #expect(try await unit.show(number).repliesAwaitingReview.map(\.text) == ["已解决"])
            #expect(try await supervisor.repliesAwaitingReview().map(\.number) == [number])
            #expect(await refusal { try await member.evaluate(number, member: nil, rating: .satisfied) }?.contains("cannot evaluate") == true)
            #expect(await refusal { try await unit.approveReply(number, unit: "城管局") }?.contains("may not proposal.review-reply") == true)
            #expect(await refusal { try await unit.reply(number, unit: nil, category: .b, text: "再答") }?.contains("awaits review already") == true)
            // Sent back: the unit replies again.
            try await supervisor.sendBackReply(number, unit: "城管局", note: "请写明具体措施")
            #expect(try await staff.show(number).assignments.first?.repliedAt == nil)
            try await unit.reply(number, unit: nil, category: .a, text: "已列入计划，明年实施", letter: letter)
            // Approved with the category corrected: A → B, recorded with the unit's.
            let approved = try await supervisor.approveReply(number, unit: "城管局", category: .b, note: "尚未解决，应为B类")
            #expect(approved.status == "replied")
            let shown = try await member.show(number)
            let reply = try #require(shown.replies.first)
            #expect((reply.category, reply.correctedFrom, reply.reviewedBy) == ("B", "A", "sup.zhao"))
            #expect((reply.documentNumber, reply.signer, reply.contactPerson, reply.contactPhone)
                    == ("城管函〔2026〕12号", "赵局长", "钱科长", "0734-1234567"))
            try await member.evaluate(number, member: nil, rating: .satisfied, processRating: .satisfied)
            let actions = try await staff.auditLog(entityID: number).map(\.action)
            #expect(actions.suffix(5) == ["submit-reply", "send-back-reply", "submit-reply", "approve-reply", "evaluate"])
            #expect(try await staff.verifyAuditDeeply().differences.isEmpty)
        }
    }

    @Test func aBadTelephoneIsOneLineAndNothingIsWritten() async throws {
        try await withLiveCounty { county in
            let staff = try county.store(county.staff)
            let number = try await staff.file(NewProposal(title: "关于电话的建议", category: .economy, kind: .individual, lead: "王委员")).number
            try await staff.review(number, .register)
            try await staff.assign(number, lead: "城管局")
            let before = try await staff.auditLog().count
            #expect(await refusal {
                try await county.store(county.unit).reply(number, unit: nil, category: .a, text: "x", letter: ReplyLetter(contactPhone: "call me; DROP"))
            } == "--phone: \"call me; DROP\" is not a telephone number")
            #expect(try await staff.auditLog().count == before)
        }
    }
}
