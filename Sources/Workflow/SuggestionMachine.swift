import TongxinBase
/// Where a micro-suggestion (微建议) stands: filed → routed to one unit → replied → closed once
/// the member rates the reply; the office may reject one that is not a concrete small issue.
public enum SuggestionStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case filed, routed, replied, closed, rejected
}

/// One step on a micro-suggestion.
public enum SuggestionEvent: Sendable, Hashable {
    case route(unit: String)
    case reject
    case reply(unit: String)
    case evaluate(Rating)

    public var name: String {
        switch self {
        case .route: "route"
        case .reject: "reject"
        case .reply: "reply"
        case .evaluate: "evaluate"
        }
    }
}

/// What the micro-suggestion rules need.
public struct SuggestionState: Sendable, Hashable {
    public var status: SuggestionStatus = .filed
    public var unit: String?
    public var rating: Rating?

    public init(status: SuggestionStatus = .filed, unit: String? = nil, rating: Rating? = nil) {
        self.status = status
        self.unit = unit
        self.rating = rating
    }
}

/// The micro-suggestion rules: pure, like `ProposalMachine`.
public enum SuggestionMachine {
    public static func apply(_ event: SuggestionEvent, to state: SuggestionState) throws -> SuggestionState {
        func refuse(_ why: String) -> WorkflowError { WorkflowError("cannot \(event.name) the micro-suggestion: \(why)") }
        func require(_ status: SuggestionStatus) throws {
            guard state.status == status else {
                throw refuse("it is \(state.status.rawValue), not \(status.rawValue)")
            }
        }
        var next = state
        switch event {
        case .route(let unit):
            try require(.filed)
            next.status = .routed
            next.unit = unit
        case .reject:
            try require(.filed)
            next.status = .rejected
        case .reply(let unit):
            try require(.routed)
            guard state.unit == unit else { throw refuse("it is routed to \(state.unit ?? "no unit"), not \(unit)") }
            next.status = .replied
        case .evaluate(let rating):
            try require(.replied)
            next.rating = rating
            next.status = .closed
        }
        return next
    }
}
