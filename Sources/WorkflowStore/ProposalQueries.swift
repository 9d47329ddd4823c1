public import Foundation
import PostgresClient
public import Workflow
public import TongxinBase

/// Everything about one proposal, with its timeline (`proposal show`).
public struct ProposalDetail: Codable, Sendable {
    public struct Author: Codable, Sendable {
        public var member: String
        public var sector: String?
        public var lead: Bool
    }

    public struct Assignment: Codable, Sendable {
        public var unit: String
        public var role: String
        public var assignedAt: Date
        public var dueAt: CalendarDate
        public var extended: Bool
        public var returnedAt: Date?
        public var repliedAt: Date?
        public var replyCategory: String?
        public var overdue: Bool
        /// When the unit acknowledged receipt (签收), if it has.
        public var acknowledgedAt: Date?
        /// The deadline the unit asked for, while the office has not decided.
        public var extensionRequested: CalendarDate?
        /// The unit's reply waits for review (the county reviews replies).
        public var replyAwaitingReview = false

        enum CodingKeys: String, CodingKey {
            case unit, role, extended, overdue
            case replyAwaitingReview = "reply_awaiting_review"
            case acknowledgedAt = "acknowledged_at"
            case extensionRequested = "extension_requested"
            case assignedAt = "assigned_at"
            case dueAt = "due_at"
            case returnedAt = "returned_at"
            case repliedAt = "replied_at"
            case replyCategory = "reply_category"
        }
    }

    public struct Reply: Codable, Sendable {
        public var unit: String
        public var round: Int
        public var category: String
        public var text: String
        public var repliedAt: Date
        /// The letterhead (复文): 文号, 签发人, contact person and phone.
        public var documentNumber: String?
        public var signer: String?
        public var contactPerson: String?
        public var contactPhone: String?
        /// With reply review: who approved it, and the unit's own category when it was corrected.
        public var reviewedBy: String?
        public var correctedFrom: String?
        enum CodingKeys: String, CodingKey {
            case unit, round, category, text, signer
            case repliedAt = "replied_at"
            case documentNumber = "document_number"
            case contactPerson = "contact_person"
            case contactPhone = "contact_phone"
            case reviewedBy = "reviewed_by"
            case correctedFrom = "corrected_from"
        }
    }

    public struct Opinion: Codable, Sendable {
        public var unit: String
        public var text: String
        public var sentAt: Date
        enum CodingKeys: String, CodingKey {
            case unit, text
            case sentAt = "sent_at"
        }
    }

    public struct Evaluation: Codable, Sendable {
        public var member: String
        public var rating: String
        public var processRating: String?
        public var round: Int
        public var comment: String?
        public var evaluatedAt: Date
        enum CodingKeys: String, CodingKey {
            case member, rating, round, comment
            case processRating = "process_rating"
            case evaluatedAt = "evaluated_at"
        }
    }

    public struct Consultation: Codable, Sendable {
        public var heldOn: CalendarDate
        public var outcome: String
        enum CodingKeys: String, CodingKey {
            case outcome
            case heldOn = "held_on"
        }
    }

    public struct Supervision: Codable, Sendable {
        public var supervisor: String
        public var kind: String
        public var heldOn: CalendarDate
        public var note: String
        enum CodingKeys: String, CodingKey {
            case supervisor, kind, note
            case heldOn = "held_on"
        }
    }

    public struct Event: Codable, Sendable {
        public var at: Date
        public var actor: String
        public var action: String
        public var detail: [String: String]
    }

    public var number: String
    public var title: String
    public var body: String
    public var status: String
    public var round: Int
    public var category: String
    public var localCategory: String?
    public var kind: String
    public var filedDuring: String
    public var session: Int
    public var key: Bool
    public var supervisor: String?
    public var declineReason: String?
    public var mergedInto: String?
    public var merged: [String]
    public var needsConsultation: Bool
    public var filedAt: Date
    public var registeredAt: Date?
    public var closedAt: Date?
    public var authors: [Author]
    public var assignments: [Assignment]
    public var replies: [Reply]
    /// Replies waiting for the reviewer: shown to the office, the reviewer and the unit, never
    /// to the member (who sees a reply once it is approved).
    public var repliesAwaitingReview: [Reply] = []
    public var opinions: [Opinion]
    public var evaluations: [Evaluation]
    public var consultations: [Consultation]
    public var supervisions: [Supervision]
    public var timeline: [Event]
    /// The units the member would like (a wish), and the member's consent to publication.
    public var preferredUnits: [String] = []
    public var publicationConsent = false

    enum CodingKeys: String, CodingKey {
        case preferredUnits = "preferred_units"
        case publicationConsent = "publication_consent"
        case number, title, body, status, round, category, kind, session, key, supervisor, merged, authors, assignments
        case replies, opinions, evaluations, consultations, supervisions, timeline
        case repliesAwaitingReview = "replies_awaiting_review"
        case localCategory = "local_category"
        case filedDuring = "filed_during"
        case declineReason = "decline_reason"
        case mergedInto = "merged_into"
        case needsConsultation = "needs_consultation"
        case filedAt = "filed_at"
        case registeredAt = "registered_at"
        case closedAt = "closed_at"
    }
}

/// One line of `proposal list`.
public struct ProposalSummary: Codable, Sendable {
    public var number: String
    public var title: String
    public var status: String
    public var category: String
    public var kind: String
    public var lead: String
    public var units: String
    public var dueOn: CalendarDate?
    public var overdue: Bool
    public var key: Bool

    enum CodingKeys: String, CodingKey {
        case number, title, status, category, kind, lead, units, overdue, key
        case dueOn = "due_on"
    }
}

/// Filters of `proposal list`; nil means any.
public struct ProposalFilter: Sendable {
    public var status: ProposalStatus?
    public var unit: String?
    public var category: ProposalCategory?
    public var session: Int?
    public var overdue = false
    public var key = false
    public var limit = 10_000

    public init(
        status: ProposalStatus? = nil, unit: String? = nil, category: ProposalCategory? = nil, session: Int? = nil,
        overdue: Bool = false, key: Bool = false
    ) {
        self.status = status
        self.unit = unit
        self.category = category
        self.session = session
        self.overdue = overdue
        self.key = key
    }
}

extension WorkflowStore {
    /// Everything about a proposal (a merged one shows its own record; its handling is the
    /// lead proposal's).
    public func show(_ number: String) async throws -> ProposalDetail {
        let number = try ProposalNumber.validated(number)
        // Every part in the first round trip: the proposal by number, its handling by the
        // proposal it was merged into, if any.
        let parts: [PostgresQuery] = [
            """
                SELECT p.id, p.number, p.title, p.body, p.status, p.round, p.category, p.local_category, p.kind,
                       p.filed_during, s.year, p.is_key, p.supervisor, p.decline_reason,
                       (SELECT t.number FROM proposal t WHERE t.id = p.merged_into),
                       ARRAY(SELECT x.number FROM proposal x WHERE x.merged_into = p.id ORDER BY x.number),
                       p.needs_consultation, p.filed_at, p.registered_at, p.closed_at,
                       ARRAY(SELECT pa.member_id FROM proposal_author pa WHERE pa.proposal_id = p.id),
                       ARRAY(SELECT a.unit_id || ':' || a.role FROM assignment a
                             WHERE a.proposal_id = coalesce(p.merged_into, p.id) AND a.returned_at IS NULL),
                       p.preferred_units, p.publication_consent
                FROM proposal p JOIN session s ON s.id = p.session_id WHERE p.number = \(number)
                """,
            """
                SELECT m.name, s.name, pa.lead FROM proposal_author pa JOIN member m ON m.id = pa.member_id
                LEFT JOIN sector s ON s.id = m.sector_id WHERE pa.proposal_id = (SELECT id FROM proposal WHERE number = \(number)) ORDER BY pa.lead DESC, m.name
                """,
            """
                SELECT u.name, a.role, a.assigned_at, a.due_on, a.extended, a.returned_at, a.replied_at,
                       (SELECT r.category FROM reply r WHERE r.assignment_id = a.id ORDER BY r.round DESC LIMIT 1),
                       a.returned_at IS NULL AND a.replied_at IS NULL AND a.role <> 'co' AND a.due_on < \(today),
                       a.acknowledged_at,
                       (SELECT er.until FROM extension_request er WHERE er.assignment_id = a.id AND er.state = 'pending'),
                       EXISTS (SELECT 1 FROM reply_submission rs WHERE rs.assignment_id = a.id AND rs.state = 'pending')
                FROM assignment a JOIN unit u ON u.id = a.unit_id WHERE a.proposal_id = (SELECT coalesce(merged_into, id) FROM proposal WHERE number = \(number)) ORDER BY a.id
                """,
            """
                SELECT u.name, r.round, r.category, r.text, r.replied_at, r.document_number, r.signer, r.contact_person, r.contact_phone,
                       r.reviewed_by, r.original_category FROM reply r
                JOIN assignment a ON a.id = r.assignment_id JOIN unit u ON u.id = a.unit_id
                WHERE a.proposal_id = (SELECT coalesce(merged_into, id) FROM proposal WHERE number = \(number)) ORDER BY r.replied_at, r.id
                """,
            """
                SELECT u.name, o.text, o.sent_at FROM co_opinion o
                JOIN assignment a ON a.id = o.assignment_id JOIN unit u ON u.id = a.unit_id
                WHERE a.proposal_id = (SELECT coalesce(merged_into, id) FROM proposal WHERE number = \(number)) ORDER BY o.sent_at, o.id
                """,
            """
                SELECT m.name, e.rating, e.process_rating, e.round, e.comment, e.evaluated_at FROM evaluation e
                JOIN member m ON m.id = e.member_id WHERE e.proposal_id = (SELECT coalesce(merged_into, id) FROM proposal WHERE number = \(number)) ORDER BY e.round, e.evaluated_at, e.id
                """,
            "SELECT held_on, outcome FROM consultation WHERE proposal_id = (SELECT coalesce(merged_into, id) FROM proposal WHERE number = \(number)) ORDER BY held_on, id",
            "SELECT supervisor, kind, held_on, note FROM supervision WHERE proposal_id = (SELECT coalesce(merged_into, id) FROM proposal WHERE number = \(number)) ORDER BY held_on, id",
            """
                SELECT at, actor, action, detail FROM audit_log
                WHERE entity = 'proposal' AND entity_id = \(number) ORDER BY id
                """,
            """
                SELECT u.name, rs.round, rs.category, rs.text, rs.submitted_at, rs.document_number, rs.signer, rs.contact_person,
                       rs.contact_phone, NULL::text, NULL::text FROM reply_submission rs
                JOIN assignment a ON a.id = rs.assignment_id JOIN unit u ON u.id = a.unit_id
                WHERE a.proposal_id = (SELECT coalesce(merged_into, id) FROM proposal WHERE number = \(number)) AND rs.state = 'pending'
                ORDER BY rs.submitted_at, rs.id
                """,
        ]
        // A unit's own name (the replies under review it may see) in the same round trip.
        let ownNamePart = principal.role == .unit ? ownNameQuery : nil
        return try await readAll(parts + (ownNamePart.map { [$0] } ?? [])) { context in
            let results = context.prelude
            let expected = parts.count + (ownNamePart == nil ? 0 : 1)
            guard results.count == expected else { throw WorkflowError("show: expected \(expected) results, got \(results.count)") }
            let rows = results[0]
            guard let row = rows.first else { throw WorkflowError(notFound: "no proposal \(number) in county \(county)") }
            func column<T: PostgresDecodable>(_ index: Int, _: T.Type = T.self) throws -> T { try row.decode(T.self, at: index) }
            // Another member's or unit's proposal reads as no proposal at all.
            var units: [Int64: AssignmentRole] = [:]
            for text in try column(21, [String].self) {
                let f = text.split(separator: ":")
                if f.count == 2, let id = Int64(f[0]), let role = AssignmentRole(rawValue: String(f[1])) { units[id] = role }
            }
            let target = Target(county: county.value, authors: Set(try column(20, [Int64].self)), units: units, training: context.training)
            guard Permissions.may(principal, .readProposal, target).isAllowed else {
                throw WorkflowError(notFound: "no proposal \(number) in county \(county)")
            }
            let storedNumber: String = try column(1)
            let mergedInto: String? = try column(14)
            var detail = ProposalDetail(
                number: storedNumber, title: try column(2), body: try column(3), status: try column(4), round: try column(5),
                category: try column(6), localCategory: try column(7), kind: try column(8), filedDuring: try column(9),
                session: try column(10), key: try column(11), supervisor: try column(12), declineReason: try column(13),
                mergedInto: mergedInto, merged: try column(15), needsConsultation: try column(16), filedAt: try column(17),
                registeredAt: try column(18), closedAt: try column(19), authors: [], assignments: [], replies: [],
                opinions: [], evaluations: [], consultations: [], supervisions: [], timeline: [])
            detail.preferredUnits = try column(22)
            detail.publicationConsent = try column(23)
            detail.authors = try results[1].decode((String, String?, Bool).self).map { ProposalDetail.Author(member: $0.0, sector: $0.1, lead: $0.2) }
            detail.assignments = try results[2].decode((String, String, Date, CalendarDate, Bool, Date?, Date?, String?, Bool, Date?, CalendarDate?, Bool).self).map {
                ProposalDetail.Assignment(
                    unit: $0.0, role: $0.1, assignedAt: $0.2, dueAt: $0.3, extended: $0.4, returnedAt: $0.5, repliedAt: $0.6,
                    replyCategory: $0.7, overdue: $0.8, acknowledgedAt: $0.9, extensionRequested: $0.10, replyAwaitingReview: $0.11)
            }
            func replies(_ rows: PostgresRows) throws -> [ProposalDetail.Reply] {
                try rows.decode((String, Int, String, String, Date, String?, String?, String?, String?, String?, String?).self).map {
                    ProposalDetail.Reply(
                        unit: $0.0, round: $0.1, category: $0.2, text: $0.3, repliedAt: $0.4, documentNumber: $0.5, signer: $0.6,
                        contactPerson: $0.7, contactPhone: $0.8, reviewedBy: $0.9, correctedFrom: $0.10)
                }
            }
            detail.replies = try replies(results[3])
            // A reply under review is the unit's and the reviewers', not yet the member's.
            if principal.role != .member {
                let own = ownNamePart == nil ? nil : try results[parts.count].first?.decode(String.self)
                detail.repliesAwaitingReview = try replies(results[9]).filter { own == nil || $0.unit == own }
            }
            detail.opinions = try results[4].decode((String, String, Date).self).map { ProposalDetail.Opinion(unit: $0.0, text: $0.1, sentAt: $0.2) }
            detail.evaluations = try results[5].decode((String, String, String?, Int, String?, Date).self).map {
                ProposalDetail.Evaluation(member: $0.0, rating: $0.1, processRating: $0.2, round: $0.3, comment: $0.4, evaluatedAt: $0.5)
            }
            detail.consultations = try results[6].decode((CalendarDate, String).self).map { ProposalDetail.Consultation(heldOn: $0.0, outcome: $0.1) }
            detail.supervisions = try results[7].decode((String, String, CalendarDate, String).self).map {
                ProposalDetail.Supervision(supervisor: $0.0, kind: $0.1, heldOn: $0.2, note: $0.3)
            }
            detail.timeline = try results[8].decode((Date, String, String, JSONB<[String: String]>).self).map {
                // The member learns that a reply is under review, not what it says.
                let hidden = principal.role == .member && ($0.2 == "submit-reply" || $0.2 == "send-back-reply")
                return ProposalDetail.Event(at: $0.0, actor: $0.1, action: $0.2, detail: hidden ? [:] : $0.3.value)
            }
            return detail
        }
    }


    /// Proposals matching `filter`, by number.
    public func list(_ filter: ProposalFilter = ProposalFilter()) async throws -> [ProposalSummary] {
        try await readAll([listQuery(filter)]) { context in
            try authorize(.listProposals, countyTarget(context))
            guard let rows = context.prelude.first else { return [] }
            return try Self.decodeList(rows)
        }
    }

    /// The proposals `filter` asks for, as `list` reads them: a member sees their own, a unit
    /// those assigned to it.
    func listQuery(_ filter: ProposalFilter) -> PostgresQuery {
        let ownMember = principal.role == .member ? principal.memberID ?? -1 : nil
        let ownUnit = principal.role == .unit ? principal.unitID ?? -1 : nil
        return """
            SELECT p.number, p.title, p.status, p.category, p.kind,
                   coalesce((SELECT m.name FROM proposal_author pa JOIN member m ON m.id = pa.member_id
                             WHERE pa.proposal_id = p.id AND pa.lead), ''),
                   coalesce((SELECT string_agg(u.name, '、' ORDER BY a.id) FROM assignment a JOIN unit u ON u.id = a.unit_id
                             WHERE a.proposal_id = p.id AND a.returned_at IS NULL), ''),
                   (SELECT min(a.due_on) FROM assignment a WHERE a.proposal_id = p.id AND a.returned_at IS NULL
                          AND a.replied_at IS NULL AND a.role <> 'co'),
                   EXISTS (SELECT 1 FROM assignment a WHERE a.proposal_id = p.id AND a.returned_at IS NULL
                           AND a.replied_at IS NULL AND a.role <> 'co' AND a.due_on < \(today)),
                   p.is_key
            FROM proposal p JOIN session s ON s.id = p.session_id
            WHERE (\(filter.status?.rawValue)::text IS NULL OR p.status = \(filter.status?.rawValue))
              AND (\(filter.category?.rawValue)::text IS NULL OR p.category = \(filter.category?.rawValue))
              AND (\(filter.session)::int IS NULL OR s.year = \(filter.session))
              AND (NOT \(filter.key) OR p.is_key)
              AND (\(ownMember)::bigint IS NULL OR EXISTS (
                    SELECT 1 FROM proposal_author pa WHERE pa.proposal_id = p.id AND pa.member_id = \(ownMember)))
              AND (\(ownUnit)::bigint IS NULL OR EXISTS (
                    SELECT 1 FROM assignment a WHERE a.proposal_id = p.id AND a.returned_at IS NULL AND a.unit_id = \(ownUnit)))
              AND (\(filter.unit)::text IS NULL OR EXISTS (
                    SELECT 1 FROM assignment a JOIN unit u ON u.id = a.unit_id
                    WHERE a.proposal_id = p.id AND a.returned_at IS NULL AND u.name = \(filter.unit)))
              AND (NOT \(filter.overdue) OR EXISTS (
                    SELECT 1 FROM assignment a WHERE a.proposal_id = p.id AND a.returned_at IS NULL
                    AND a.replied_at IS NULL AND a.role <> 'co' AND a.due_on < \(today)))
            ORDER BY p.number LIMIT \(filter.limit)
            """
    }

    static func decodeList(_ rows: PostgresRows) throws -> [ProposalSummary] {
        try rows.decode((String, String, String, String, String, String, String, CalendarDate?, Bool, Bool).self).map {
            ProposalSummary(
                number: $0.0, title: $0.1, status: $0.2, category: $0.3, kind: $0.4, lead: $0.5, units: $0.6,
                dueOn: $0.7, overdue: $0.8, key: $0.9)
        }
    }
}
