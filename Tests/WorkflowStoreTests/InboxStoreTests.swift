import Foundation
import PostgresClient
import Testing
import TongxinBase
import Workflow
import WorkflowStore

@Suite struct InboxStoreTests {
    /// A unit's inbox is its current work: whatever is not replied to, of any year, and what was
    /// replied to while its proposal is open or this year. `all` adds the closed proposals of
    /// earlier years, which would otherwise fill the inbox as the years pile up.
    @Test func theInboxIsTheCurrentWorkAndAllAddsTheClosedProposalsOfEarlierYears() async throws {
        try await withLiveCounty { county in
            let staff = try county.store(county.staff)
            let unit = try county.store(county.unit)
            let member = try county.store(county.member)
            var numbers: [String] = []
            for title in ["关于甲的建议", "关于乙的建议", "关于丙的建议", "关于丁的建议"] {
                let number = try await member.file(NewProposal(title: title, category: .economy, kind: .individual, lead: "王委员")).number
                try await staff.review(number, .register)
                try await staff.assign(number, lead: "城管局")
                numbers.append(number)
            }
            // 甲 not replied to; 乙 replied to, awaiting its rating; 丙 and 丁 replied to and closed.
            for number in numbers.dropFirst() { _ = try await unit.reply(number, unit: nil, category: .a, text: "已解决") }
            for number in numbers.suffix(2) { _ = try await member.evaluate(number, member: nil, rating: .satisfied) }
            #expect(try await staff.show(numbers[3]).status == "closed")
            #expect(Set(try await unit.inbox().map(\.number)) == Set(numbers))
            // 甲's assignment, 乙's and 丁's replies moved to last year by hand: 甲 waits for its
            // reply and 乙 for its rating, so both stay; 丁 is done and of an earlier year.
            for number in [numbers[0], numbers[1], numbers[3]] {
                try await county.pool.query("""
                    UPDATE county_live.assignment SET assigned_at = assigned_at - interval '1 year',
                        replied_at = replied_at - interval '1 year'
                    WHERE proposal_id = (SELECT id FROM county_live.proposal WHERE number = \(number))
                    """)
            }
            #expect(try await unit.inbox().map(\.number).sorted() == Array(numbers.prefix(3)).sorted())
            #expect(try await unit.inbox(all: true).map(\.number).sorted() == numbers.sorted())
            // Another unit's inbox has none of them.
            #expect(try await county.store(county.otherUnit).inbox(all: true).isEmpty)
        }
    }
}
