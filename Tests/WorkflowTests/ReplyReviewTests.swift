import Testing
import TongxinBase
import Workflow

@Suite struct ReplyReviewTests {
    func assigned() throws -> ProposalState {
        var state = ProposalState(raters: ["王委员"])
        state.status = .registered
        let day = try CalendarDate("2026-03-01")
        return try ProposalMachine.apply(.assign([("城管局", .lead), ("林业局", .co)], on: day, dueOn: try day.adding(days: 90)), to: state)
    }

    @Test func aReplyUnderReviewIsNotAReplyUntilApproved() throws {
        var state = try ProposalMachine.apply(.submitReply(unit: "城管局", category: .a), to: try assigned())
        #expect(state.status == .assigned && state.assignments[0].awaitingReview && !state.assignments[0].replied)
        #expect(throws: WorkflowError.self) { try ProposalMachine.apply(.reply(unit: "城管局", category: .a), to: state) }
        #expect(throws: WorkflowError.self) { try ProposalMachine.apply(.approveReply(unit: "林业局", category: .a), to: state) }
        let back = try ProposalMachine.apply(.sendBackReply(unit: "城管局"), to: state)
        #expect(!back.assignments[0].awaitingReview && back.status == .assigned)
        state = try ProposalMachine.apply(.approveReply(unit: "城管局", category: .b), to: state)
        #expect(state.status == .replied && state.assignments[0].replyCategory == .b && state.assignments[0].replied)
        #expect(throws: WorkflowError.self) { try ProposalMachine.apply(.sendBackReply(unit: "城管局"), to: state) }
    }

    @Test func aCoUnitSubmitsNoReply() throws {
        #expect(throws: WorkflowError.self) { try ProposalMachine.apply(.submitReply(unit: "林业局", category: .a), to: try assigned()) }
    }
}
