import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

enum DemoReview: Sendable {
    case register
    case decline(DeclineReason, String)
    case convert(String)
    case mergeInto(Int)
    case returnToAuthor(String)
}

/// One store operation; proposals and micro-suggestions by their index in the plan (their
/// numbers are known once filed).
enum DemoAction: Sendable {
    case file(Int, NewProposal)
    case review(Int, DemoReview)
    case resubmit(Int)
    case withdraw(Int, String)
    case assign(Int, lead: String?, co: [String], parallel: [String])
    case unitReturn(Int, unit: String, reason: String)
    case extend(Int, unit: String)
    case opinion(Int, unit: String, text: String)
    case reply(Int, unit: String, category: ReplyCategory, text: String)
    case evaluate(Int, member: String, rating: Rating, process: Rating?, comment: String?)
    case consult(Int, outcome: String)
    case markKey(Int, supervisor: String)
    case supervise(Int, kind: SupervisionKind, note: String)
    case fileSuggestion(Int, member: String, title: String, body: String)
    case routeSuggestion(Int, unit: String)
    case rejectSuggestion(Int, reason: String)
    case replySuggestion(Int, unit: String, text: String)
    case evaluateSuggestion(Int, rating: Rating)
    case activity(ActivityKind, on: CalendarDate, member: String?, unit: String?, peer: String?, days: Int, note: String)

    var label: String {
        switch self {
        case .file(let p, _): "file proposal #\(p + 1)"
        case .review(let p, _): "review proposal #\(p + 1)"
        case .resubmit(let p): "resubmit proposal #\(p + 1)"
        case .withdraw(let p, _): "withdraw proposal #\(p + 1)"
        case .assign(let p, _, _, _): "assign proposal #\(p + 1)"
        case .unitReturn(let p, _, _): "unit-return proposal #\(p + 1)"
        case .extend(let p, _): "extend proposal #\(p + 1)"
        case .opinion(let p, _, _): "opinion on proposal #\(p + 1)"
        case .reply(let p, _, _, _): "reply to proposal #\(p + 1)"
        case .evaluate(let p, _, _, _, _): "evaluate proposal #\(p + 1)"
        case .consult(let p, _): "consult on proposal #\(p + 1)"
        case .markKey(let p, _): "mark proposal #\(p + 1) key"
        case .supervise(let p, _, _): "supervise proposal #\(p + 1)"
        case .fileSuggestion(let s, _, _, _): "file micro-suggestion #\(s + 1)"
        case .routeSuggestion(let s, _): "route micro-suggestion #\(s + 1)"
        case .rejectSuggestion(let s, _): "reject micro-suggestion #\(s + 1)"
        case .replySuggestion(let s, _, _): "reply to micro-suggestion #\(s + 1)"
        case .evaluateSuggestion(let s, _): "evaluate micro-suggestion #\(s + 1)"
        case .activity(let kind, _, _, _, _, _, _): "activity \(kind.rawValue)"
        }
    }
}

struct DemoStep: Sendable {
    var at: Moment
    var sequence: Int
    var action: DemoAction
}

/// Runs steps, remembering the numbers the store gave.
struct DemoRunner {
    private var proposals: [Int: String] = [:]
    private var suggestions: [Int: String] = [:]

    private func proposal(_ index: Int) throws -> String {
        guard let number = proposals[index] else { throw WorkflowError("proposal #\(index + 1) is not filed yet") }
        return number
    }

    private func suggestion(_ index: Int) throws -> String {
        guard let number = suggestions[index] else { throw WorkflowError("micro-suggestion #\(index + 1) is not filed yet") }
        return number
    }

    mutating func run(_ action: DemoAction, on store: WorkflowStore) async throws {
        switch action {
        case .file(let p, let new):
            proposals[p] = try await store.file(new).number
        case .review(let p, let review):
            let decision: ReviewDecision
            switch review {
            case .register: decision = .register
            case .decline(let reason, let note): decision = .decline(reason, note: note)
            case .convert(let note): decision = .convert(note: note)
            case .mergeInto(let target): decision = .mergeInto(try proposal(target))
            case .returnToAuthor(let note): decision = .returnToAuthor(note: note)
            }
            try await store.review(try proposal(p), decision)
        case .resubmit(let p):
            try await store.resubmit(try proposal(p))
        case .withdraw(let p, let reason):
            try await store.withdraw(try proposal(p), reason: reason)
        case .assign(let p, let lead, let co, let parallel):
            try await store.assign(try proposal(p), lead: lead, co: co, parallel: parallel)
        case .unitReturn(let p, let unit, let reason):
            try await store.unitReturn(try proposal(p), unit: unit, reason: reason)
        case .extend(let p, let unit):
            try await store.extend(try proposal(p), unit: unit, until: nil)
        case .opinion(let p, let unit, let text):
            try await store.opinion(try proposal(p), unit: unit, text: text)
        case .reply(let p, let unit, let category, let text):
            try await store.reply(try proposal(p), unit: unit, category: category, text: text)
        case .evaluate(let p, let member, let rating, let process, let comment):
            try await store.evaluate(try proposal(p), member: member, rating: rating, processRating: process, comment: comment)
        case .consult(let p, let outcome):
            try await store.consult(try proposal(p), outcome: outcome, heldOn: nil)
        case .markKey(let p, let supervisor):
            try await store.markKey(try proposal(p), supervisor: supervisor)
        case .supervise(let p, let kind, let note):
            try await store.supervise(try proposal(p), supervisor: nil, kind: kind, note: note, heldOn: nil)
        case .fileSuggestion(let s, let member, let title, let body):
            suggestions[s] = try await store.fileSuggestion(member: member, title: title, body: body).number
        case .routeSuggestion(let s, let unit):
            try await store.routeSuggestion(try suggestion(s), unit: unit)
        case .rejectSuggestion(let s, let reason):
            try await store.rejectSuggestion(try suggestion(s), reason: reason)
        case .replySuggestion(let s, let unit, let text):
            try await store.replySuggestion(try suggestion(s), unit: unit, text: text)
        case .evaluateSuggestion(let s, let rating):
            try await store.evaluateSuggestion(try suggestion(s), rating: rating)
        case .activity(let kind, let day, let member, let unit, let peer, let days, let note):
            try await store.addActivity(kind, on: day, member: member, unit: unit, peer: peer, days: days, note: note)
        }
    }
}

// MARK: - The plan

/// A proposal as planned: what happens to it and when.
struct DemoDraft: Sendable {
    enum Fate: Sendable { case registered, declined, converted, merged, withdrawn }
    enum Timing: Sendable { case onTime, late, extended }

    var index: Int
    var filed: Moment
    var atSession: Bool
    var fate: Fate
    var phrase = ""
    var title = ""
    var category: ProposalCategory = .other
    var kind: ProposalKind = .individual
    var lead = ""
    var co: [String] = []
    /// Handling units, the lead first.
    var units: [String] = []
    var featured = false
    var returned = false
    var unitReturn = false
    var key = false
    var timing = Timing.onTime
    var rating: Rating?
    var consult = false
    var mergeTarget: Int?
    var mergedAuthors: [String] = []
    var registeredAt: Moment?
    var firstRating: Moment?
}
