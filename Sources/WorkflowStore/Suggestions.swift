import Counties
public import Foundation
import PostgresClient
public import Workflow
public import TongxinBase

/// A micro-suggestion (微建议) as shown and listed.
public struct SuggestionRecord: Codable, Sendable {
    public var number: String
    public var member: String
    public var title: String
    public var body: String
    public var status: String
    public var unit: String?
    public var filedAt: Date
    public var routedAt: Date?
    public var dueOn: CalendarDate?
    public var repliedAt: Date?
    public var replyText: String?
    public var rating: String?
    public var onTime: Bool?

    enum CodingKeys: String, CodingKey {
        case number, member, title, body, status, unit, rating
        case filedAt = "filed_at"
        case routedAt = "routed_at"
        case dueOn = "due_on"
        case repliedAt = "replied_at"
        case replyText = "reply_text"
        case onTime = "on_time"
    }
}

/// An activity counted in the year's figures.
public struct ActivityRecord: Codable, Sendable {
    public var kind: String
    public var on: CalendarDate
    public var member: String?
    public var unit: String?
    public var peerCommittee: String?
    public var days: Int
    public var note: String

    enum CodingKeys: String, CodingKey {
        case kind, on, member, unit, days, note
        case peerCommittee = "peer_committee"
    }
}

/// One audit log entry.
public struct AuditEntry: Codable, Sendable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var entity: String
    public var entityID: String
    public var action: String
    public var detail: [String: String]
    /// The server's clock when the entry was recorded (nil before clocks were kept).
    public var recordedAt: Date?
    /// Who typed it when not the actor (an operator acting for the account).
    public var enteredBy: String?

    enum CodingKeys: String, CodingKey {
        case id, at, actor, entity, action, detail
        case entityID = "entity_id"
        case recordedAt = "recorded_at"
        case enteredBy = "entered_by"
    }
}

extension WorkflowStore {
    // MARK: Micro-suggestions

    /// Files a micro-suggestion; numbered `W<year>-NNN`.
    @discardableResult
    public func fileSuggestion(member named: String?, title: String, body: String) async throws -> Outcome {
        let named = try Text.optional(named, field: "--member", maximum: 100)
        let title = try Text.required(title, field: "--title", maximum: 300)
        let body = try Text.optional(body, field: "--body", maximum: 20_000, multiline: true) ?? ""
        let year = today.year
        return try await step { context in
            let (memberID, member) = try await actingMember(context, named: named)
            try authorize(.fileSuggestion, Target(county: county.value, authors: [memberID], training: context.training))
            // One numbering per county and year, serialized.
            try await context.tx.query("SELECT pg_advisory_xact_lock(hashtextextended(\("tongxin.suggestion:" + context.schema.name), \(year)))")
            let next = try await context.tx.query("""
                SELECT coalesce(max(split_part(number, '-', 2)::int), 0) + 1 FROM micro_suggestion WHERE number LIKE \("W\(year)-%")
                """).single().decode(Int.self)
            let number = "W" + ProposalNumber.format(year: year, sequence: next)
            try await context.tx.query("""
                INSERT INTO micro_suggestion (number, member_id, title, body, filed_at, updated_at)
                VALUES (\(number), \(memberID), \(title), \(body), \(now), \(now))
                """)
            audit(context, entity: "suggestion", id: number, action: "file", detail: ["to": "filed", "member": member, "title": title])
            return Outcome(number: number, status: "filed", message: "filed micro-suggestion \(number) \(title)")
        }
    }

    /// The member a member's own act is by: the account's member (a named other one is
    /// refused), or the named member (staff entering a paper form).
    func actingMember(_ context: Context, named: String?, field: String = "--member") async throws -> (id: Int64, name: String) {
        if principal.role == .member {
            guard let id = principal.memberID,
                  let own = try await context.tx.query("SELECT name FROM member WHERE id = \(id)").first?.decode(String.self) else {
                throw WorkflowError("not allowed: \(principal.login) (member) is linked to no member of county \(county)")
            }
            if let named, named != own {
                throw WorkflowError("not allowed: \(principal.login) (member) may not act for \(named.prefix(60)): only for themself")
            }
            return (id, own)
        }
        guard let named else { throw WorkflowError("\(field): name the member") }
        return (try await memberID(context, named, field: field), named)
    }

    private struct LoadedSuggestion {
        let id: Int64
        let number: String
        let state: SuggestionState
        let dueOn: CalendarDate?
        let memberID: Int64
        let unitID: Int64?
    }

    private func authorize(_ action: Action, _ context: Context, _ s: LoadedSuggestion) throws {
        let target = Target(county: county.value, authors: [s.memberID], units: s.unitID.map { [$0: .lead] } ?? [:], training: context.training)
        if case .refused(let why) = Permissions.may(principal, action, target) { throw WorkflowError("\(s.number): \(why)") }
    }

    private func loadSuggestion(_ context: Context, _ number: String) async throws -> LoadedSuggestion {
        let number = number.trimmingCharacters(in: .whitespaces)
        guard number.hasPrefix("W"), (try? ProposalNumber.validated(String(number.dropFirst()))) != nil else {
            throw WorkflowError("micro-suggestion: \"\(number.prefix(40))\" is not a number like W2021-007")
        }
        let rows = try await context.tx.query("""
            SELECT s.id, s.status, u.name, s.rating, s.due_on, s.member_id, s.unit_id
            FROM micro_suggestion s LEFT JOIN unit u ON u.id = s.unit_id
            WHERE s.number = \(number) FOR UPDATE OF s
            """)
        guard let row = rows.first else { throw WorkflowError(notFound: "no micro-suggestion \(number) in county \(county)") }
        let (id, status, unit, rating, due, memberID, unitID) = try row.decode((Int64, String, String?, String?, CalendarDate?, Int64, Int64?).self)
        let state = SuggestionState(
            status: SuggestionStatus(rawValue: status) ?? .filed, unit: unit, rating: rating.flatMap(Rating.init(rawValue:)))
        return LoadedSuggestion(id: id, number: number, state: state, dueOn: due, memberID: memberID, unitID: unitID)
    }

    private func decide(_ event: SuggestionEvent, _ number: String, _ state: SuggestionState) throws -> SuggestionState {
        do {
            return try SuggestionMachine.apply(event, to: state)
        } catch let error as WorkflowError {
            throw WorkflowError("\(number): \(error.description)")
        }
    }

    /// Routes a micro-suggestion to one unit; due in the county's working days.
    @discardableResult
    public func routeSuggestion(_ number: String, unit: String) async throws -> Outcome {
        let unit = try Text.required(unit, field: "--unit", maximum: 100)
        return try await step { context in
            let s = try await loadSuggestion(context, number)
            try authorize(.routeSuggestion, context, s)
            let next = try decide(.route(unit: unit), s.number, s.state)
            let unitID = try await unitID(context, unit, field: "--unit")
            let due = try await workingCalendar(context).adding(workingDays: context.settings.microSuggestionReplyDays, to: today)
            try await context.tx.query("""
                UPDATE micro_suggestion SET status = 'routed', unit_id = \(unitID), routed_at = \(now), due_on = \(due),
                       updated_at = \(now) WHERE id = \(s.id)
                """)
            try schedule(context, [try suggestionJob(context, suggestion: s.id, due: due)].compactMap { $0 })
            audit(context, entity: "suggestion", id: s.number, action: "route", detail: [
                "from": s.state.status.rawValue, "to": next.status.rawValue, "unit": unit, "due_on": due.description,
            ])
            return Outcome(number: s.number, status: "routed", message: "\(s.number) routed to \(unit), due \(due)")
        }
    }

    /// The office rejects a micro-suggestion that is not a concrete small issue.
    @discardableResult
    public func rejectSuggestion(_ number: String, reason: String) async throws -> Outcome {
        let reason = try Text.required(reason, field: "--reason", maximum: 2000, multiline: true)
        return try await step { context in
            let s = try await loadSuggestion(context, number)
            try authorize(.rejectSuggestion, context, s)
            let next = try decide(.reject, s.number, s.state)
            try await context.tx.query("UPDATE micro_suggestion SET status = 'rejected', updated_at = \(now) WHERE id = \(s.id)")
            audit(context, entity: "suggestion", id: s.number, action: "reject", detail: [
                "from": s.state.status.rawValue, "to": next.status.rawValue, "reason": reason,
            ])
            return Outcome(number: s.number, status: "rejected", message: "\(s.number) rejected")
        }
    }

    @discardableResult
    public func replySuggestion(_ number: String, unit named: String?, text: String) async throws -> Outcome {
        let named = try Text.optional(named, field: "--unit", maximum: 100)
        let text = try Text.required(text, field: "--text", maximum: 20_000, multiline: true)
        return try await step { context in
            let s = try await loadSuggestion(context, number)
            try authorize(.replySuggestion, context, s)
            guard let unit = named ?? s.state.unit else { throw WorkflowError("\(s.number): it is not routed to a unit") }
            if principal.role == .unit, unit != s.state.unit {
                throw WorkflowError("\(s.number): not allowed: \(principal.login) (unit) may not reply for \(unit.prefix(60)): a unit answers for itself only")
            }
            let next = try decide(.reply(unit: unit), s.number, s.state)
            try await context.tx.query("""
                UPDATE micro_suggestion SET status = 'replied', replied_at = \(now), reply_text = \(text), updated_at = \(now)
                WHERE id = \(s.id)
                """)
            if let due = s.dueOn {
                cancelJobs(context, [WorkflowJobs.suggestionKey(county, .init(suggestion: s.id, due: due.description))])
            }
            let onTime = s.dueOn.map { today <= $0 } ?? true
            audit(context, entity: "suggestion", id: s.number, action: "reply", detail: [
                "from": s.state.status.rawValue, "to": next.status.rawValue, "unit": unit, "on_time": String(onTime),
            ])
            return Outcome(number: s.number, status: "replied", message: "\(unit) replied to \(s.number)\(onTime ? "" : " late")")
        }
    }

    @discardableResult
    public func evaluateSuggestion(_ number: String, rating: Rating, paper: PaperEntry? = nil) async throws -> Outcome {
        if let paper, let time = paper.time(otherThan: today) {
            return try await at(time, reason: paper.note).evaluateSuggestion(number, rating: rating, paper: paper)
        }
        return try await step { context in
            let s = try await loadSuggestion(context, number)
            try authorize(paper == nil ? .evaluateSuggestion : .evaluateSuggestionOnBehalf, context, s)
            let next = try decide(.evaluate(rating), s.number, s.state)
            try await context.tx.query("""
                UPDATE micro_suggestion SET status = 'closed', rating = \(rating.rawValue), updated_at = \(now),
                       rating_entered_by = \(paper != nil ? principal.login : principal.enteredBy)
                WHERE id = \(s.id)
                """)
            var detail = ["from": s.state.status.rawValue, "to": next.status.rawValue, "rating": rating.rawValue]
            if let paper {
                detail["paper_date"] = (paper.day ?? today).description
                detail["note"] = paper.note
                detail["on_behalf"] = "member"
            }
            audit(context, entity: "suggestion", id: s.number, action: "evaluate", detail: detail)
            return Outcome(number: s.number, status: "closed", message: "\(s.number) rated \(rating.rawValue); it is closed")
        }
    }

    private static let suggestionColumns = """
        s.number, m.name, s.title, s.body, s.status, u.name, s.filed_at, s.routed_at, s.due_on, s.replied_at, s.reply_text, s.rating
        """

    private func suggestionRecords(_ rows: PostgresRows) throws -> [SuggestionRecord] {
        try rows.decode((String, String, String, String, String, String?, Date, Date?, CalendarDate?, Date?, String?, String?).self).map {
            let (repliedAt, dueOn) = ($0.9, $0.8)
            var onTime: Bool?
            if let repliedAt, let dueOn { onTime = LocalTime.day(of: repliedAt) <= dueOn }
            return SuggestionRecord(
                number: $0.0, member: $0.1, title: $0.2, body: $0.3, status: $0.4, unit: $0.5, filedAt: $0.6, routedAt: $0.7,
                dueOn: $0.8, repliedAt: $0.9, replyText: $0.10, rating: $0.11, onTime: onTime)
        }
    }

    public func suggestions(status: SuggestionStatus? = nil, year: Int? = nil) async throws -> [SuggestionRecord] {
        try await read { context in
            try authorize(.listProposals, countyTarget(context))
            let ownMember = principal.role == .member ? principal.memberID ?? -1 : nil
            let ownUnit = principal.role == .unit ? principal.unitID ?? -1 : nil
            return try suggestionRecords(try await context.tx.query("""
                SELECT \(unescaped: Self.suggestionColumns)
                FROM micro_suggestion s JOIN member m ON m.id = s.member_id LEFT JOIN unit u ON u.id = s.unit_id
                WHERE (\(status?.rawValue)::text IS NULL OR s.status = \(status?.rawValue))
                  AND (\(ownMember)::bigint IS NULL OR s.member_id = \(ownMember))
                  AND (\(ownUnit)::bigint IS NULL OR s.unit_id = \(ownUnit))
                  AND (\(year)::int IS NULL OR s.number LIKE 'W' || \(year) || '-%')
                ORDER BY s.number
                """))
        }
    }

    public func suggestion(_ number: String) async throws -> SuggestionRecord {
        let number = number.trimmingCharacters(in: .whitespaces)
        return try await read { context in
            let found = try suggestionRecords(try await context.tx.query("""
                SELECT \(unescaped: Self.suggestionColumns)
                FROM micro_suggestion s JOIN member m ON m.id = s.member_id LEFT JOIN unit u ON u.id = s.unit_id
                WHERE s.number = \(number)
                """))
            let owners = try await context.tx.query("SELECT member_id, unit_id FROM micro_suggestion WHERE number = \(number)")
                .first?.decode((Int64, Int64?).self)
            let target = Target(county: county.value, authors: owners.map { [$0.0] } ?? [], units: owners?.1.map { [$0: .lead] } ?? [:],
                                training: context.training)
            guard let record = found.first, Permissions.may(principal, .readSuggestion, target).isAllowed else {
                throw WorkflowError(notFound: "no micro-suggestion \(number.prefix(40)) in county \(county)")
            }
            return record
        }
    }

    // MARK: Activities

    /// Records an activity: online events, duty days, studios opened, supervision groups on
    /// units, exchange visits hosted or made (with the peer committee's name).
    @discardableResult
    public func addActivity(
        _ kind: ActivityKind, on day: CalendarDate?, member: String? = nil, unit: String? = nil, peer: String? = nil,
        days: Int = 1, note: String? = nil
    ) async throws -> ActivityRecord {
        let member = try Text.optional(member, field: "--member", maximum: 100)
        let unit = try Text.optional(unit, field: "--unit", maximum: 100)
        let peer = try Text.optional(peer, field: "--peer", maximum: 100)
        let note = try Text.optional(note, field: "--note", maximum: 2000, multiline: true) ?? ""
        guard (1...366).contains(days) else { throw WorkflowError("--days: \(days) is not from 1 to 366") }
        switch kind {
        case .visitHosted where peer == nil, .visitMade where peer == nil:
            throw WorkflowError("--peer: name the peer committee of the visit")
        case .supervisionGroup where unit == nil:
            throw WorkflowError("--unit: name the unit the supervision group watches")
        case .dutyDay where member == nil:
            throw WorkflowError("--member: name the member on duty")
        default: break
        }
        let day = day ?? today
        return try await step { context in
            try authorize(.recordActivity, countyTarget(context))
            var memberKey: Int64?
            if let member { memberKey = try await memberID(context, member, field: "--member") }
            var unitKey: Int64?
            if let unit { unitKey = try await unitID(context, unit, field: "--unit") }
            let id = try await context.tx.query("""
                INSERT INTO activity (kind, happened_on, member_id, unit_id, peer_committee, days, note)
                VALUES (\(kind.rawValue), \(day), \(memberKey), \(unitKey), \(peer), \(days), \(note)) RETURNING id
                """).single().decode(Int64.self)
            var detail = ["kind": kind.rawValue, "on": day.description, "days": String(days)]
            if let member { detail["member"] = member }
            if let unit { detail["unit"] = unit }
            if let peer { detail["peer"] = peer }
            audit(context, entity: "activity", id: String(id), action: "add", detail: detail)
            return ActivityRecord(kind: kind.rawValue, on: day, member: member, unit: unit, peerCommittee: peer, days: days, note: note)
        }
    }

    public func activities(kind: ActivityKind? = nil, year: Int? = nil) async throws -> [ActivityRecord] {
        try await read { context in
            try authorize(.readReference, countyTarget(context))
            return try await context.tx.query("""
                SELECT a.kind, a.happened_on, m.name, u.name, a.peer_committee, a.days, a.note
                FROM activity a LEFT JOIN member m ON m.id = a.member_id LEFT JOIN unit u ON u.id = a.unit_id
                WHERE (\(kind?.rawValue)::text IS NULL OR a.kind = \(kind?.rawValue))
                  AND (\(year)::int IS NULL OR extract(year FROM a.happened_on) = \(year))
                ORDER BY a.happened_on, a.id
                """).decode((String, CalendarDate, String?, String?, String?, Int, String).self).map {
                ActivityRecord(kind: $0.0, on: $0.1, member: $0.2, unit: $0.3, peerCommittee: $0.4, days: $0.5, note: $0.6)
            }
        }
    }

    // MARK: Audit

    /// The audit log, oldest first (of one proposal or micro-suggestion when `entityID` is given).
    public func auditLog(entityID: String? = nil, limit: Int = 100_000) async throws -> [AuditEntry] {
        try await read { context in
            try authorize(.readAudit, countyTarget(context))
            return try await context.tx.query("""
                SELECT id, at, actor, entity, entity_id, action, detail, recorded_at, entered_by FROM audit_log
                WHERE \(entityID)::text IS NULL OR entity_id = \(entityID)
                ORDER BY id LIMIT \(limit)
                """).decode((Int64, Date, String, String, String, String, JSONB<[String: String]>, Date?, String?).self).map {
                AuditEntry(id: $0.0, at: $0.1, actor: $0.2, entity: $0.3, entityID: $0.4, action: $0.5, detail: $0.6.value,
                           recordedAt: $0.7, enteredBy: $0.8)
            }
        }
    }

    /// The number of entries checked and the first broken one (nil when the chain holds).
    public func verifyAudit() async throws -> (entries: Int, firstBroken: Int64?) {
        try await read { context in
            try authorize(.verifyAudit, countyTarget(context))
            let count = try await context.tx.query("SELECT count(*) FROM audit_log").single().decode(Int.self)
            return (count, try await AuditLog.firstBrokenEntry(on: context.tx, schema: context.schema))
        }
    }
}
