import Testing
import TongxinBase
import Workflow

@Suite struct DraftMachineTests {
    func refusal(_ event: DraftEvent, _ state: DraftState) -> String? {
        do {
            _ = try DraftMachine.apply(event, to: state)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func filingWaitsForEveryCoAuthorAndLeavesOutThoseWhoDecline() throws {
        var draft = try DraftMachine.apply(.edit(coAuthors: ["周委员", "王委员"], textChanged: false), to: DraftState(lead: "李委员"))
        #expect(draft.pending == ["周委员", "王委员"])
        #expect(refusal(.submit, draft) == "draft: waiting for co-authors to confirm: 周委员、王委员")
        draft = try DraftMachine.apply(.confirm(member: "周委员"), to: draft)
        #expect(refusal(.submit, draft) == "draft: waiting for co-authors to confirm: 王委员")
        draft = try DraftMachine.apply(.decline(member: "王委员"), to: draft)
        let filed = try DraftMachine.apply(.submit, to: draft)
        #expect(filed.status == .submitted)
        #expect(filed.confirmed == ["周委员"])
        #expect(refusal(.confirm(member: "王委员"), filed) == "draft: it is submitted; only an open draft changes")
    }

    @Test func aChangedTextAsksEveryoneAgainAndOnlyTheInvitedAnswer() throws {
        var draft = try DraftMachine.apply(.edit(coAuthors: ["周委员"], textChanged: false), to: DraftState(lead: "李委员"))
        draft = try DraftMachine.apply(.confirm(member: "周委员"), to: draft)
        let sameText = try DraftMachine.apply(.edit(coAuthors: ["周委员", "王委员"], textChanged: false), to: draft)
        #expect(sameText.coSigners.map(\.state) == [.confirmed, .invited])
        let newText = try DraftMachine.apply(.edit(coAuthors: ["周委员"], textChanged: true), to: draft)
        #expect(newText.coSigners.map(\.state) == [.invited])
        #expect(refusal(.confirm(member: "赵委员"), draft) == "draft: 赵委员 is not invited to co-sign it")
        #expect(refusal(.edit(coAuthors: ["李委员"], textChanged: false), draft) == "co_authors: the lead is not a co-author of their own proposal")
        #expect(refusal(.edit(coAuthors: ["周委员", "周委员"], textChanged: false), draft) == "co_authors: each author is named once")
        let dropped = try DraftMachine.apply(.discard, to: draft)
        #expect(dropped.status == .discarded)
        #expect(refusal(.submit, dropped) == "draft: it is discarded; only an open draft changes")
    }
}
