import TongxinBase

/// What kind of person an account is (docs/operations.md, "Accounts"). `system` is no account:
/// it is the worker acting on the workflow's clocks.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// 委员: files, co-signs, withdraws and rates their own proposals.
    case member
    /// 承办单位: sees and answers its own assignments.
    case unit
    /// 提案委/办公室: runs the county's workflow.
    case staff
    /// 督办: supervises key proposals.
    case supervisor
    /// Reads one county, or several (a city's or a province's committee comparing them).
    case leader
    /// Runs the deployment: counties, migrations, jobs, accounts.
    case `operator`
    /// The worker's clocks (reminders, overdue, escalation, the evaluation window).
    case system

    /// The roles an account may have.
    public static let accountRoles: [Role] = [.member, .unit, .staff, .supervisor, .leader, .operator]

    public static func parse(_ text: String, field: String = "role") throws -> Role {
        guard let role = Role(rawValue: text.lowercased()), role != .system else {
            throw WorkflowError("\(field): \"\(text.prefix(40))\" is not a role (member, unit, staff, supervisor, leader, operator)")
        }
        return role
    }
}

/// Who acts: an authenticated account (or the worker), never free text.
public struct Principal: Sendable, Hashable {
    /// The account's login (recorded in the audit log as the actor).
    public let login: String
    public let role: Role
    /// The counties it belongs to (member, unit, staff, supervisor: one) or may read (leader);
    /// none for an operator and the worker.
    public let counties: [String]
    /// The member it is (role member): the member's id in its county.
    public let memberID: Int64?
    /// The handling unit it answers for (role unit): the unit's id in its county.
    public let unitID: Int64?
    /// Who typed the act when not the account itself: the operator acting for it (`--as`).
    public let enteredBy: String?

    public init(login: String, role: Role, counties: [String], memberID: Int64? = nil, unitID: Int64? = nil, enteredBy: String? = nil) {
        self.login = login
        self.role = role
        self.counties = counties
        self.memberID = memberID
        self.unitID = unitID
        self.enteredBy = enteredBy
    }

    /// The worker acting on the workflow's clocks.
    public static let worker = Principal(login: "tongxin-worker", role: .system, counties: [])

    /// An operator replaying a year in a demo or training county (the demo, the bench, tests).
    public static func replaying(_ login: String) -> Principal {
        Principal(login: login, role: .operator, counties: [])
    }

    /// The same account, typed by `operatorLogin` acting for it.
    public func actedFor(by operatorLogin: String) -> Principal {
        Principal(login: login, role: role, counties: counties, memberID: memberID, unitID: unitID, enteredBy: operatorLogin)
    }

    /// "login (role)", and who typed it for it.
    public var described: String {
        "\(login) (\(role.rawValue))" + (enteredBy.map { ", entered by \($0)" } ?? "")
    }
}

/// What a principal asks to do. The raw value is the operation's name in refusals and in the
/// matrix of docs/operations.md.
public enum Action: String, Sendable, Hashable, CaseIterable {
    // A proposal's steps.
    case fileProposal = "proposal.file"
    /// A member's own draft (暂存): save, file, discard.
    case draftProposal = "proposal.draft"
    /// A co-author confirms or declines a 联名 invitation.
    case coSign = "proposal.co-sign"
    case withdrawProposal = "proposal.withdraw"
    case resubmitProposal = "proposal.resubmit"
    case reviewProposal = "proposal.review"
    case assignProposal = "proposal.assign"
    case returnAssignment = "proposal.unit-return"
    case extendDeadline = "proposal.extend"
    case giveOpinion = "proposal.opinion"
    case acknowledgeAssignment = "proposal.acknowledge"
    case requestExtension = "proposal.request-extension"
    case replyProposal = "proposal.reply"
    case replyOnBehalf = "proposal.reply --on-behalf"
    /// Approving or sending back a unit's reply when the county reviews replies.
    case reviewReply = "proposal.review-reply"
    case evaluateProposal = "proposal.evaluate"
    case evaluateOnBehalf = "proposal.evaluate --on-behalf"
    case consult = "proposal.consult"
    case markKey = "proposal.mark-key"
    case supervise = "proposal.supervise"
    case readProposal = "proposal.show"
    case listProposals = "proposal.list"
    // Micro-suggestions.
    case fileSuggestion = "suggestion.file"
    case routeSuggestion = "suggestion.route"
    case rejectSuggestion = "suggestion.reject"
    case replySuggestion = "suggestion.reply"
    case evaluateSuggestion = "suggestion.evaluate"
    case evaluateSuggestionOnBehalf = "suggestion.evaluate --on-behalf"
    case readSuggestion = "suggestion.show"
    // The county's records.
    case recordActivity = "activity.add"
    case manageReference = "reference.manage"
    case readReference = "reference.list"
    case importData = "import"
    /// A county's own settings (deadlines, reminders, reply review …).
    case configureCounty = "county.settings"
    /// A step whose effective time lies in the past (补录).
    case backdate = "step.backdate"
    case readReports = "report.annual"
    case compareCounties = "report.compare"
    case readAudit = "audit.log"
    case verifyAudit = "audit.verify"
    /// What the workflow's clocks do when they wake (reminders, overdue, escalation).
    case clockStep = "clock"
    // The deployment.
    case manageCounties = "county.manage"
    case runMigrations = "migrate"
    case manageJobs = "jobs"
    case manageAccounts = "account.manage"
    case exchange = "exchange"
    /// Playing a year through a county's clock (`demo fill --replay`, `--as-of` freely).
    case replay = "demo.replay"

    /// Whether the operation only reads.
    public var reads: Bool {
        switch self {
        case .readProposal, .listProposals, .readSuggestion, .readReference, .readReports, .compareCounties, .readAudit, .verifyAudit:
            return true
        default:
            return false
        }
    }
}

/// What an operation acts on, as far as the check needs it: the county and who owns the record.
public struct Target: Sendable, Hashable {
    /// The county (nil: the deployment).
    public var county: String?
    /// The members who authored the proposal (a suggestion: its member).
    public var authors: Set<Int64>
    /// The units assigned to the proposal and how (a suggestion: its unit, as lead).
    public var units: [Int64: AssignmentRole]
    /// The county is marked demo or training (replay is allowed there).
    public var training: Bool

    public init(county: String?, authors: Set<Int64> = [], units: [Int64: AssignmentRole] = [:], training: Bool = false) {
        self.county = county
        self.authors = authors
        self.units = units
        self.training = training
    }

    /// The deployment itself.
    public static let deployment = Target(county: nil)
}

/// The answer of `may`: allowed, or refused with the reason (one line).
public enum Decision: Sendable, Hashable {
    case allowed
    case refused(String)

    public var isAllowed: Bool { self == .allowed }
}

/// The one permission check. Pure: it decides from the role, the county and ownership, and
/// every front end (CLI, web, worker) and the store call it before anything reaches SQL.
public enum Permissions {
    public static func may(_ principal: Principal, _ operation: Action, _ target: Target) -> Decision {
        let role = principal.role
        func refuse(_ why: String) -> Decision {
            .refused("not allowed: \(principal.login) (\(role.rawValue)) may not \(operation.rawValue): \(why)")
        }
        // The deployment's operations are the operator's alone; an operator's workflow acts go
        // through an account (`--as`).
        switch operation {
        case .manageCounties, .runMigrations, .manageJobs, .manageAccounts, .exchange:
            return role == .operator ? .allowed : refuse("it is the operator's")
        case .replay:
            guard role == .operator else { return refuse("it is the operator's") }
            return target.training ? .allowed : refuse("the county is not marked demo or training")
        case .clockStep:
            return role == .system ? .allowed : refuse("only the worker's clocks do it")
        default:
            break
        }
        if operation == .configureCounty {
            // The county's office sets its own rules; the operator any county's.
            if role == .operator { return .allowed }
            guard role == .staff else { return refuse("it is the office's") }
            guard let county = target.county, principal.counties.contains(county) else {
                return refuse("the account does not belong to county \(target.county ?? "")")
            }
            return .allowed
        }
        if operation == .compareCounties {
            // Comparing counties is a feature for every office; a leader compares the counties
            // it may read.
            switch role {
            case .staff, .supervisor, .operator: return .allowed
            case .leader:
                return target.county.map { principal.counties.contains($0) } ?? true
                    ? .allowed : refuse("the account may not read county \(target.county ?? "")")
            default: return refuse("the comparison is for offices and leaders")
            }
        }
        switch role {
        case .operator:
            // Integrity and the comparison are the deployment's; a county's workflow is not,
            // but in a demo or training county the operator replays a year (every role's acts).
            // The figures (counts and rates) feed the comparison and the exchange, which are the
            // operator's too.
            if operation == .verifyAudit || operation == .compareCounties || operation == .readReports { return .allowed }
            if target.training, target.county != nil { return .allowed }
            return refuse("an operator acts in a county's workflow only as an account (--as LOGIN)")
        case .system:
            // The worker runs the clocks and keeps the rollups (the annual figures) fresh.
            return operation == .readReports ? .allowed : refuse("the worker only runs the clocks and the rollups")
        default:
            break
        }
        guard let county = target.county else { return refuse("it needs a county") }
        guard principal.counties.contains(county) else {
            return refuse("the account does not belong to county \(county)")
        }
        switch role {
        case .leader:
            switch operation {
            case .readProposal, .listProposals, .readSuggestion, .readReference, .readReports, .compareCounties:
                return .allowed
            default:
                return refuse("a leader only reads")
            }
        case .staff:
            switch operation {
            case .evaluateProposal, .evaluateSuggestion:
                return refuse("a rating is the member's own; enter a paper form with --on-behalf")
            case .replyProposal, .giveOpinion, .returnAssignment, .acknowledgeAssignment, .requestExtension, .replySuggestion:
                return operation == .replyProposal || operation == .replySuggestion
                    ? refuse("a reply is the unit's own; enter a paper reply with --on-behalf")
                    : refuse("it is the unit's own")
            case .withdrawProposal, .resubmitProposal, .draftProposal, .coSign:
                return refuse("it is the member's own")
            case .fileSuggestion:
                return .allowed  // taken from paper, as committees do; the audit says who entered it
            default:
                return .allowed
            }
        case .supervisor:
            switch operation {
            case .supervise, .markKey, .reviewReply:
                return .allowed
            case let op where op.reads && op != .verifyAudit:
                return .allowed
            default:
                return refuse("a supervisor supervises key proposals and reads")
            }
        case .member:
            guard let member = principal.memberID else { return refuse("the account is linked to no member") }
            let own = target.authors.contains(member)
            switch operation {
            case .fileProposal, .withdrawProposal, .resubmitProposal, .evaluateProposal, .readProposal,
                 .fileSuggestion, .evaluateSuggestion, .readSuggestion, .draftProposal, .coSign:
                return own ? .allowed : refuse("it is not the member's own")
            case .listProposals, .readReference:
                return .allowed  // a list shows the member's own only
            case .evaluateOnBehalf, .evaluateSuggestionOnBehalf, .replyOnBehalf:
                return refuse("only staff enter another person's act from paper")
            default:
                return refuse("a member files, withdraws and rates their own proposals")
            }
        case .unit:
            guard let unit = principal.unitID else { return refuse("the account is linked to no unit") }
            let assigned = target.units[unit]
            switch operation {
            case .evaluateProposal, .evaluateSuggestion, .evaluateOnBehalf, .evaluateSuggestionOnBehalf:
                return refuse("a handling unit never rates")
            case .replyProposal, .replySuggestion:
                guard let assigned else { return refuse("it is not assigned to the unit") }
                return assigned == .co ? refuse("a co-unit gives its opinion; the lead unit replies") : .allowed
            case .requestExtension:
                guard let assigned else { return refuse("it is not assigned to the unit") }
                return assigned == .co ? refuse("a co-unit's view has no extension") : .allowed
            case .giveOpinion:
                guard let assigned else { return refuse("it is not assigned to the unit") }
                return assigned == .co ? .allowed : refuse("only a co-unit gives an opinion")
            case .returnAssignment, .acknowledgeAssignment, .readProposal, .readSuggestion:
                return assigned != nil ? .allowed : refuse("it is not assigned to the unit")
            case .listProposals, .readReference:
                return .allowed  // a list shows the unit's own assignments only
            default:
                return refuse("a handling unit answers its own assignments")
            }
        case .operator, .system:
            return refuse("unreachable")
        }
    }

    /// Throws the refusal as a one-line `WorkflowError`.
    public static func require(_ principal: Principal, _ operation: Action, _ target: Target) throws {
        if case .refused(let why) = may(principal, operation, target) { throw WorkflowError(why) }
    }
}

extension Permissions {
    /// What each role may do, as the check decides it (docs/operations.md prints it, generated by
    /// `tongxin account roles --format markdown`): per action and role, `yes` (anything in its
    /// counties), `own` (only its own records: a member's proposals and suggestions, a unit's
    /// assignments) or `—`. The operator's column is for live counties; in demo and training
    /// counties it replays every action.
    public static func matrix() -> (roles: [Role], rows: [(action: Action, cells: [String])]) {
        let roles: [Role] = Role.accountRoles + [.system]
        let county = "c"
        func principal(_ role: Role) -> Principal {
            Principal(login: role.rawValue, role: role, counties: role == .operator || role == .system ? [] : [county],
                      memberID: role == .member ? 1 : nil, unitID: role == .unit ? 1 : nil)
        }
        let other = Target(county: county, authors: [2], units: [2: .lead])
        let owned = [Target(county: county, authors: [1], units: [1: .lead]), Target(county: county, authors: [1], units: [1: .co])]
        let rows = Action.allCases.map { action -> (action: Action, cells: [String]) in
            let deployment: Bool = switch action {
            case .manageCounties, .runMigrations, .manageJobs, .manageAccounts, .exchange: true
            default: false
            }
            let cells = roles.map { role -> String in
                let p = principal(role)
                if action == .replay {
                    return may(p, action, Target(county: county, training: true)).isAllowed ? "training" : "—"
                }
                if deployment { return may(p, action, .deployment).isAllowed ? "yes" : "—" }
                if may(p, action, other).isAllowed { return "yes" }
                return owned.contains { may(p, action, $0).isAllowed } ? "own" : "—"
            }
            return (action, cells)
        }
        return (roles, rows)
    }
}
