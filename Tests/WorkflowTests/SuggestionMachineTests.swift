import Testing
import Workflow

/// The micro-suggestion rules, pure: filed → routed to one unit → replied → closed once rated;
/// the office may reject one while it is filed.
@Suite struct SuggestionMachineTests {
    func apply(_ events: [SuggestionEvent], from state: SuggestionState = SuggestionState()) throws -> SuggestionState {
        try events.reduce(state) { try SuggestionMachine.apply($1, to: $0) }
    }

    func refusal(_ event: SuggestionEvent, _ state: SuggestionState) -> String? {
        do {
            _ = try SuggestionMachine.apply(event, to: state)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aSuggestionIsRoutedRepliedAndClosedByItsRating() throws {
        let routed = try apply([.route(unit: "城管局")])
        #expect(routed == SuggestionState(status: .routed, unit: "城管局"))
        let replied = try apply([.reply(unit: "城管局")], from: routed)
        #expect(replied == SuggestionState(status: .replied, unit: "城管局"))
        for rating in Rating.allCases {
            let closed = try apply([.evaluate(rating)], from: replied)
            #expect(closed == SuggestionState(status: .closed, unit: "城管局", rating: rating))
        }
    }

    @Test func onlyAFiledSuggestionIsRejectedAndARejectedOneTakesNoStep() throws {
        let rejected = try apply([.reject])
        #expect(rejected == SuggestionState(status: .rejected))
        #expect(refusal(.route(unit: "城管局"), rejected) == "cannot route the micro-suggestion: it is rejected, not filed")
        #expect(refusal(.reply(unit: "城管局"), rejected) == "cannot reply the micro-suggestion: it is rejected, not routed")
        #expect(refusal(.evaluate(.satisfied), rejected) == "cannot evaluate the micro-suggestion: it is rejected, not replied")
        let routed = try apply([.route(unit: "城管局")])
        #expect(refusal(.reject, routed) == "cannot reject the micro-suggestion: it is routed, not filed")
    }

    @Test func onlyTheUnitItIsRoutedToReplies() throws {
        let routed = try apply([.route(unit: "城管局")])
        #expect(refusal(.reply(unit: "林业局"), routed) == "cannot reply the micro-suggestion: it is routed to 城管局, not 林业局")
        #expect(refusal(.route(unit: "林业局"), routed) == "cannot route the micro-suggestion: it is routed, not filed")
        #expect(refusal(.reply(unit: "城管局"), SuggestionState()) == "cannot reply the micro-suggestion: it is filed, not routed")
    }

    @Test func aRatingComesOnlyAfterTheReplyAndOnlyOnce() throws {
        #expect(refusal(.evaluate(.satisfied), SuggestionState()) == "cannot evaluate the micro-suggestion: it is filed, not replied")
        let routed = try apply([.route(unit: "城管局")])
        #expect(refusal(.evaluate(.basic), routed) == "cannot evaluate the micro-suggestion: it is routed, not replied")
        let closed = try apply([.reply(unit: "城管局"), .evaluate(.unsatisfied)], from: routed)
        #expect(refusal(.evaluate(.satisfied), closed) == "cannot evaluate the micro-suggestion: it is closed, not replied")
        #expect(refusal(.reply(unit: "城管局"), closed) == "cannot reply the micro-suggestion: it is closed, not routed")
    }

    /// Every event from every status: exactly the four documented transitions are allowed, and a
    /// refusal leaves nothing changed (the machine returns a new state or throws).
    @Test func everyStatusAllowsExactlyItsTransitions() {
        let events: [SuggestionEvent] = [.route(unit: "城管局"), .reject, .reply(unit: "城管局"), .evaluate(.satisfied)]
        var allowed: [String] = []
        for status in SuggestionStatus.allCases {
            let state = SuggestionState(status: status, unit: status == .filed ? nil : "城管局")
            for event in events where refusal(event, state) == nil {
                allowed.append("\(status.rawValue) \(event.name)")
            }
        }
        #expect(allowed == ["filed route", "filed reject", "routed reply", "replied evaluate"])
    }
}
