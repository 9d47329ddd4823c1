public import Foundation
import PostgresClient
public import TongxinBase
import Workflow

/// One assignment in a handling unit's inbox (the web's unit home page).
public struct InboxItem: Codable, Sendable {
    public var number: String
    public var title: String
    public var status: String
    /// lead, co or parallel.
    public var role: String
    public var assignedAt: Date
    public var dueOn: CalendarDate
    public var acknowledged: Bool
    public var replied: Bool
    /// A co-handling unit's view sent to the lead unit.
    public var opinionSent: Bool
    public var extensionRequested: CalendarDate?

    /// The inbox's columns: 未签收, 在办, 即将到期 (due within `soonDays`), 逾期, 已答复.
    public enum Bucket: String, Sendable, CaseIterable {
        case unacknowledged, inProgress = "in_progress", dueSoon = "due_soon", overdue, replied
    }

    /// Where the item counts on `today` (one bucket: an unacknowledged overdue item is overdue).
    public func bucket(today: CalendarDate, soonDays: Int = 14) -> Bucket {
        let done = role == "co" ? opinionSent : replied
        if done { return .replied }
        if dueOn < today { return .overdue }
        if !acknowledged { return .unacknowledged }
        if dueOn.daysSinceEpoch - today.daysSinceEpoch <= soonDays { return .dueSoon }
        return .inProgress
    }
}

extension WorkflowStore {
    /// The principal's unit's assignments (not returned), soonest deadline first: the unit's
    /// inbox. Only a unit account has one. Its current work: every assignment not yet replied to
    /// (of any year), and the replied ones whose proposal is still open or that were replied to
    /// this year; `all` adds the proposals of earlier years that are closed.
    public func inbox(all: Bool = false) async throws -> [InboxItem] {
        guard principal.role == .unit, let unit = principal.unitID else {
            throw WorkflowError("inbox: \(principal.login) (\(principal.role.rawValue)) is not a handling unit's account")
        }
        let thisYear = try CalendarDate(year: today.year, month: 1, day: 1)
        let since: Date? = all ? nil : LocalTime.time(on: thisYear)
        // The list goes with BEGIN and the county check (one round trip); the permission check
        // decides before anything of it is returned.
        let query: PostgresQuery = """
            SELECT p.number, p.title, p.status, a.role, a.assigned_at, a.due_on, a.acknowledged_at IS NOT NULL,
                   a.replied_at IS NOT NULL, EXISTS (SELECT 1 FROM co_opinion o WHERE o.assignment_id = a.id),
                   (SELECT r.until FROM extension_request r WHERE r.assignment_id = a.id AND r.state = 'pending')
            FROM assignment a JOIN proposal p ON p.id = a.proposal_id
            WHERE a.unit_id = \(unit) AND a.returned_at IS NULL
              AND (\(since)::timestamptz IS NULL OR a.replied_at IS NULL OR p.status <> 'closed' OR a.replied_at >= \(since))
            ORDER BY a.replied_at IS NOT NULL, a.due_on, p.number
            """
        return try await readAll([query]) { context in
            try authorize(.listProposals, countyTarget(context))
            guard let rows = context.prelude.first else { return [] }
            return try rows.decode((String, String, String, String, Date, CalendarDate, Bool, Bool, Bool, CalendarDate?).self).map {
                InboxItem(
                    number: $0.0, title: $0.1, status: $0.2, role: $0.3, assignedAt: $0.4, dueOn: $0.5, acknowledged: $0.6,
                    replied: $0.7, opinionSent: $0.8, extensionRequested: $0.9)
            }
        }
    }

    /// The deadline an assignment made today would get (the county's handling period on its
    /// working calendar): shown to the office before it confirms an assignment.
    public func assignmentDeadline() async throws -> CalendarDate {
        try await read { context in
            try authorize(.assignProposal, countyTarget(context))
            let calendar = try await calendar(context)
            return try calendar.adding(months: context.settings.handlingMonths, to: today)
        }
    }

    public typealias PendingExtension = (number: String, unit: String, dueOn: CalendarDate, until: CalendarDate, reason: String)

    /// Extension requests the office has not decided, oldest first.
    public func pendingExtensions() async throws -> [PendingExtension] {
        try await readAll([Self.pendingExtensionsQuery]) { context in
            try authorize(.extendDeadline, countyTarget(context))
            return try Self.decodeExtensions(context.prelude.first)
        }
    }

    static let pendingExtensionsQuery: PostgresQuery = """
        SELECT p.number, u.name, a.due_on, r.until, r.reason
        FROM extension_request r JOIN assignment a ON a.id = r.assignment_id
        JOIN proposal p ON p.id = a.proposal_id JOIN unit u ON u.id = a.unit_id
        WHERE r.state = 'pending' ORDER BY r.requested_at
        """

    static func decodeExtensions(_ rows: PostgresRows?) throws -> [PendingExtension] {
        try (rows?.decode((String, String, CalendarDate, CalendarDate, String).self) ?? []).map {
            (number: $0.0, unit: $0.1, dueOn: $0.2, until: $0.3, reason: $0.4)
        }
    }

    /// The office's queues, in one read: proposals to review and to assign, the overdue and
    /// the key ones, and, for a principal who may decide them, the extension requests and the
    /// replies awaiting review (nil otherwise).
    public func officeQueues() async throws -> OfficeQueues {
        let lists = [
            ProposalFilter(status: .filed), ProposalFilter(status: .registered), ProposalFilter(overdue: true), ProposalFilter(key: true),
        ]
        return try await readAll(lists.map(listQuery) + [Self.pendingExtensionsQuery, Self.repliesAwaitingReviewQuery]) { context in
            let target = countyTarget(context)
            try authorize(.listProposals, target)
            let rows = context.prelude
            guard rows.count == lists.count + 2 else { throw WorkflowError("office queues: expected \(lists.count + 2) results, got \(rows.count)") }
            return OfficeQueues(
                toReview: try Self.decodeList(rows[0]), toAssign: try Self.decodeList(rows[1]),
                overdue: try Self.decodeList(rows[2]), key: try Self.decodeList(rows[3]),
                extensions: Permissions.may(principal, .extendDeadline, target).isAllowed ? try Self.decodeExtensions(rows[4]) : nil,
                repliesAwaitingReview: Permissions.may(principal, .reviewReply, target).isAllowed ? try Self.decodeReplies(rows[5]) : nil)
        }
    }
}

extension WorkflowStore {
    /// The name of the member or handling unit the principal is (nil for other roles).
    public func ownName() async throws -> String? {
        guard let query = ownNameQuery else { return nil }
        return try await read(prelude: [query]) { context in
            try context.prelude.first?.first?.decode(String.self)
        }
    }
}

extension WorkflowStore {
    /// Replies waiting for review, oldest first (the reviewer's queue).
    public func repliesAwaitingReview() async throws -> [ReplyAwaitingReview] {
        try await readAll([Self.repliesAwaitingReviewQuery]) { context in
            try authorize(.reviewReply, countyTarget(context))
            return try Self.decodeReplies(context.prelude.first)
        }
    }

    public typealias ReplyAwaitingReview = (number: String, title: String, unit: String, category: String, submittedAt: Date)

    static let repliesAwaitingReviewQuery: PostgresQuery = """
        SELECT p.number, p.title, u.name, rs.category, rs.submitted_at
        FROM reply_submission rs JOIN assignment a ON a.id = rs.assignment_id
        JOIN proposal p ON p.id = a.proposal_id JOIN unit u ON u.id = a.unit_id
        WHERE rs.state = 'pending' ORDER BY rs.submitted_at
        """

    static func decodeReplies(_ rows: PostgresRows?) throws -> [ReplyAwaitingReview] {
        try (rows?.decode((String, String, String, String, Date).self) ?? []).map {
            (number: $0.0, title: $0.1, unit: $0.2, category: $0.3, submittedAt: $0.4)
        }
    }
}

/// The office's home page's queues (`WorkflowStore.officeQueues`).
public struct OfficeQueues: Sendable {
    public var toReview: [ProposalSummary]
    public var toAssign: [ProposalSummary]
    public var overdue: [ProposalSummary]
    public var key: [ProposalSummary]
    /// nil: the principal does not decide extension requests.
    public var extensions: [WorkflowStore.PendingExtension]?
    /// nil: the principal does not review replies.
    public var repliesAwaitingReview: [WorkflowStore.ReplyAwaitingReview]?
}
