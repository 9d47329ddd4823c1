public import TongxinBase

/// Where a proposal stands.
public enum ProposalStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case filed, returned, withdrawn, declined, converted, merged, registered, assigned, replied, rehandling, closed
}

/// Why the office declines to register a proposal (不予立案).
public enum DeclineReason: String, Sendable, Hashable, CaseIterable, Codable {
    case stateSecret = "state_secret"
    case personalMatter = "personal_matter"
    case inLitigation = "in_litigation"
    case productPromotion = "product_promotion"
    case accusation = "accusation"
    case noConcreteProposal = "no_concrete_proposal"
    case outsideCompetence = "outside_competence"
    case other = "other"
}

/// A unit's part in handling: lead (主办), co-handling (会办/协办) or parallel (分办).
public enum AssignmentRole: String, Sendable, Hashable, CaseIterable, Codable {
    case lead, co, parallel

    /// Lead and parallel units answer the proposer; co units send their view to the lead.
    public var replies: Bool { self != .co }
}

/// A reply's category: A solved or adopted, B being solved or planned, C cannot be solved for
/// now, D kept for reference.
public enum ReplyCategory: String, Sendable, Hashable, CaseIterable, Codable {
    case a = "A", b = "B", c = "C", d = "D"
}

/// The proposer's rating of a reply.
public enum Rating: String, Sendable, Hashable, CaseIterable, Codable {
    case satisfied
    case basic
    case unsatisfied
}

/// One unit's assignment as the state machine sees it.
public struct AssignmentState: Sendable, Hashable {
    public var unit: String
    public var role: AssignmentRole
    public var assignedOn: CalendarDate
    public var dueOn: CalendarDate
    public var extended = false
    public var returned = false
    public var replied = false
    /// The unit acknowledged receipt (签收).
    public var acknowledged = false
    /// The unit's reply waits for the reviewer (the county reviews replies).
    public var awaitingReview = false
    /// The deadline the unit asked for, while its request awaits the office.
    public var extensionRequestedUntil: CalendarDate?
    /// Replies of this round (reset when re-handling starts).
    public var replyCategory: ReplyCategory?

    public init(unit: String, role: AssignmentRole, assignedOn: CalendarDate, dueOn: CalendarDate) {
        self.unit = unit
        self.role = role
        self.assignedOn = assignedOn
        self.dueOn = dueOn
    }
}

/// Everything the rules need to decide the next step; no SQL here.
public struct ProposalState: Sendable, Hashable {
    public var status: ProposalStatus = .filed
    /// 1, or 2 after an unsatisfied first round.
    public var round = 1
    public var assignments: [AssignmentState] = []
    /// Members who rate the reply: the authors of this proposal and of every proposal merged
    /// into it.
    public var raters: Set<String>
    /// Ratings by round, then by member.
    public var ratings: [Int: [String: Rating]] = [:]
    /// Round 2 ended unsatisfied: a face-to-face consultation must be recorded to close.
    public var needsConsultation = false
    public var key = false
    public var mergedInto: String?
    /// The last day the proposer may rate the current round's reply (set once it is replied).
    public var evaluationWindowEnds: CalendarDate?

    public init(raters: Set<String>) {
        self.raters = raters
    }

    /// Assignments still in force (not returned).
    public var activeAssignments: [AssignmentState] { assignments.filter { !$0.returned } }
}

/// One step a user asks for.
public enum ProposalEvent: Sendable {
    case register
    case decline(DeclineReason)
    case convert
    case mergeInto(proposal: String)
    case returnToAuthor
    case resubmit
    case withdraw
    /// Units and roles, assigned on `date`, due `dueOn`.
    case assign([(unit: String, role: AssignmentRole)], on: CalendarDate, dueOn: CalendarDate)
    case unitReturn(unit: String, on: CalendarDate, windowEnds: CalendarDate)
    case extend(unit: String, newDue: CalendarDate, maximum: CalendarDate)
    case reply(unit: String, category: ReplyCategory)
    /// With reply review on: the unit's reply waits for approval; the proposal is still handled.
    case submitReply(unit: String, category: ReplyCategory)
    /// The reviewer approves the waiting reply with its category (the unit's, or corrected):
    /// from now it is the unit's reply.
    case approveReply(unit: String, category: ReplyCategory)
    /// The reviewer sends the waiting reply back: the unit replies again.
    case sendBackReply(unit: String)
    /// A rating given on `on` (checked against the evaluation window when both are known).
    case evaluate(member: String, rating: Rating, on: CalendarDate? = nil)
    /// A co-handling unit sends its view to the lead unit.
    case coOpinion(unit: String)
    /// A unit acknowledges receipt of its assignment (签收), once.
    case acknowledge(unit: String)
    /// A replying unit asks the office for a later deadline (one request at a time).
    case requestExtension(unit: String, until: CalendarDate, maximum: CalendarDate)
    /// The office refuses a unit's pending request (approving it is `extend`).
    case refuseExtension(unit: String)
    /// A supervision activity on a key proposal.
    case supervise
    /// Re-handling starts with new deadlines for the answering units.
    case rehandleDue(CalendarDate)
    case consult
    case markKey
    /// The evaluation window ended on `on` without every rating: the proposal closes; with
    /// `deemSatisfied` (the county's setting) the missing ratings count as satisfied, else as
    /// not evaluated (no rating).
    case closeEvaluation(on: CalendarDate, deemSatisfied: Bool)
    /// Another proposal was merged into this one: its authors rate this one's reply.
    case absorb(authors: Set<String>)

    /// The event's name in messages and the audit log.
    public var name: String {
        switch self {
        case .register: "register"
        case .decline: "decline"
        case .convert: "convert"
        case .mergeInto: "merge"
        case .returnToAuthor: "return"
        case .resubmit: "resubmit"
        case .withdraw: "withdraw"
        case .assign: "assign"
        case .unitReturn: "unit-return"
        case .extend: "extend"
        case .reply: "reply"
        case .submitReply: "submit-reply"
        case .approveReply: "approve-reply"
        case .sendBackReply: "send-back-reply"
        case .evaluate: "evaluate"
        case .coOpinion: "opinion"
        case .acknowledge: "acknowledge"
        case .requestExtension: "request-extension"
        case .refuseExtension: "refuse-extension"
        case .supervise: "supervise"
        case .rehandleDue: "rehandle"
        case .consult: "consult"
        case .markKey: "mark-key"
        case .closeEvaluation: "close-evaluation"
        case .absorb: "absorb"
        }
    }
}
