import TongxinBase

/// A co-author's answer to a 联名 invitation.
public enum CoSignState: String, Sendable, Hashable, CaseIterable, Codable {
    case invited, confirmed, declined
}

/// Where a draft is.
public enum DraftStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case open, submitted, discarded
}

/// A draft proposal (暂存) as the rules see it: its lead, the invited co-authors and their answers.
public struct DraftState: Sendable, Hashable {
    public var status: DraftStatus
    public var lead: String
    /// In the order invited.
    public var coSigners: [(member: String, state: CoSignState)]

    public init(status: DraftStatus = .open, lead: String, coSigners: [(member: String, state: CoSignState)] = []) {
        self.status = status
        self.lead = lead
        self.coSigners = coSigners
    }

    public static func == (a: DraftState, b: DraftState) -> Bool {
        a.status == b.status && a.lead == b.lead && a.coSigners.map(\.member) == b.coSigners.map(\.member)
            && a.coSigners.map(\.state) == b.coSigners.map(\.state)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(status)
        hasher.combine(lead)
        for c in coSigners { hasher.combine(c.member); hasher.combine(c.state) }
    }

    /// The co-authors the filed proposal names: those who confirmed.
    public var confirmed: [String] { coSigners.filter { $0.state == .confirmed }.map(\.member) }
    /// Those who have not answered yet.
    public var pending: [String] { coSigners.filter { $0.state == .invited }.map(\.member) }
}

/// What happens to a draft.
public enum DraftEvent: Sendable, Hashable {
    /// The lead saves it with these co-authors; `textChanged`: the title, body or category
    /// changed, so every co-author is asked again (they confirm the text they sign).
    case edit(coAuthors: [String], textChanged: Bool)
    case confirm(member: String)
    case decline(member: String)
    /// The lead files it: every co-author has answered (those who declined are left out).
    case submit
    case discard
}

/// The rules of drafts and 联名 confirmation, pure (no SQL): the store asks before it writes.
public enum DraftMachine {
    public static func apply(_ event: DraftEvent, to state: DraftState) throws -> DraftState {
        guard state.status == .open else {
            throw WorkflowError("draft: it is \(state.status.rawValue); only an open draft changes")
        }
        var next = state
        switch event {
        case .edit(let coAuthors, let textChanged):
            guard !coAuthors.contains(state.lead) else { throw WorkflowError("co_authors: the lead is not a co-author of their own proposal") }
            guard Set(coAuthors).count == coAuthors.count else { throw WorkflowError("co_authors: each author is named once") }
            let known = Dictionary(state.coSigners.map { ($0.member, $0.state) }, uniquingKeysWith: { a, _ in a })
            next.coSigners = coAuthors.map { member in
                (member, textChanged ? .invited : known[member] ?? .invited)
            }
        case .confirm(let member), .decline(let member):
            guard let index = state.coSigners.firstIndex(where: { $0.member == member }) else {
                throw WorkflowError("draft: \(member.prefix(60)) is not invited to co-sign it")
            }
            if case .confirm = event { next.coSigners[index].state = .confirmed } else { next.coSigners[index].state = .declined }
        case .submit:
            let pending = state.pending
            guard pending.isEmpty else {
                throw WorkflowError("draft: waiting for co-authors to confirm: \(pending.joined(separator: "、"))")
            }
            next.status = .submitted
        case .discard:
            next.status = .discarded
        }
        return next
    }
}
