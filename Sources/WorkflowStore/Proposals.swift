import Counties
import Foundation
import JobQueue
package import PostgresClient
public import Workflow
public import TongxinBase

/// A proposal to file.
public struct NewProposal: Sendable {
    public var title: String
    public var body: String
    public var category: ProposalCategory
    /// The county's own category name, mapped onto `category`.
    public var localCategory: String?
    public var kind: ProposalKind
    /// The lead author (a member's name).
    public var lead: String
    public var coAuthors: [String]
    /// The session's year (default: the year of the filing day).
    public var sessionYear: Int?
    /// Keep this number (imports); default: the next in the session.
    public var number: String?
    /// The units the member would like to handle it (a wish; the office assigns).
    public var preferredUnits: [String]
    /// The member agrees that it may be published (公开).
    public var publicationConsent: Bool

    public init(
        title: String, body: String = "", category: ProposalCategory, localCategory: String? = nil,
        kind: ProposalKind, lead: String, coAuthors: [String] = [], sessionYear: Int? = nil, number: String? = nil,
        preferredUnits: [String] = [], publicationConsent: Bool = false
    ) {
        self.preferredUnits = preferredUnits
        self.publicationConsent = publicationConsent
        self.title = title
        self.body = body
        self.category = category
        self.localCategory = localCategory
        self.kind = kind
        self.lead = lead
        self.coAuthors = coAuthors
        self.sessionYear = sessionYear
        self.number = number
    }
}

/// The office's review decision on a filed proposal.
public enum ReviewDecision: Sendable {
    case register
    case decline(DeclineReason, note: String?)
    case convert(note: String?)
    case mergeInto(String)
    case returnToAuthor(note: String?)
}

/// What a write did, for the CLI's one-line confirmation.
public struct Outcome: Sendable, Hashable {
    public var number: String
    public var status: String
    public var message: String
}

/// A proposal's fields, validated (no database needed).
struct CheckedProposal: Sendable {
    var title: String
    var body: String
    var category: ProposalCategory
    var localCategory: String?
    var kind: ProposalKind
    var lead: String
    var coAuthors: [String]
    var year: Int
    var number: String?
    var preferredUnits: [String]
    var publicationConsent: Bool

    init(_ new: NewProposal, today: CalendarDate) throws {
        preferredUnits = try CheckedProposal.units(new.preferredUnits)
        publicationConsent = new.publicationConsent
        title = try Text.required(new.title, field: "title", maximum: 300)
        body = try Text.optional(new.body, field: "body", maximum: 50_000, multiline: true) ?? ""
        localCategory = try Text.optional(new.localCategory, field: "local_category", maximum: 100)
        lead = try Text.required(new.lead, field: "lead", maximum: 100)
        coAuthors = try new.coAuthors.map { try Text.required($0, field: "co_authors", maximum: 100) }
        guard !coAuthors.contains(lead), Set(coAuthors).count == coAuthors.count else {
            throw WorkflowError("co_authors: each author is named once")
        }
        category = new.category
        kind = new.kind
        switch kind {
        case .individual where !coAuthors.isEmpty:
            throw WorkflowError("kind: an individual proposal has no co-authors (file it as joint)")
        case .joint where coAuthors.isEmpty:
            throw WorkflowError("kind: a joint proposal names at least one co-author")
        default: break
        }
        year = new.sessionYear ?? today.year
        guard (1949...9999).contains(year) else { throw WorkflowError("session: \(year) is not a year from 1949 to 9999") }
        number = try new.number.map { try ProposalNumber.validated($0, field: "number") }
        if let number, !number.hasPrefix("\(year)-") {
            throw WorkflowError("number: \(number) does not belong to the \(year) session")
        }
    }
}

extension CheckedProposal {
    /// Preferred units: at most 5, each named once.
    static func units(_ names: [String]) throws -> [String] {
        let units = try names.map { try Text.required($0, field: "preferred_units", maximum: 100) }
        guard units.count <= 5 else { throw WorkflowError("preferred_units: at most 5") }
        guard Set(units).count == units.count else { throw WorkflowError("preferred_units: each unit is named once") }
        return units
    }
}

/// Proposal numbers: `YYYY-NNN` (per session).
public enum ProposalNumber {
    public static func validated(_ text: String, field: String = "proposal") throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let bytes = Array(trimmed.utf8)
        let digits = { (slice: ArraySlice<UInt8>) in slice.allSatisfy { $0 >= 48 && $0 <= 57 } }
        // One spelling per number: three digits, four only from 1000 (2021-057, not 2021-0057).
        guard (8...9).contains(bytes.count), bytes.count > 4, bytes[4] == UInt8(ascii: "-"),
            digits(bytes[0..<4]), digits(bytes[5...]), bytes.count == 8 || bytes[5] != UInt8(ascii: "0")
        else {
            // The proposal addressed (a URL, `show`) is "not found"; a number given as a field of
            // a step (--merge-into) is that step's mistake.
            let message = "\(field): \"\(trimmed.prefix(40))\" is not a proposal number like 2021-057"
            throw field == "proposal" ? WorkflowError(notFound: message) : WorkflowError(message)
        }
        return trimmed
    }

    static func format(year: Int, sequence: Int) -> String {
        let digits = String(sequence)
        return "\(year)-" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}

/// The parts of a proposal's state a step reads (status, round, key flag and merge always).
package struct LoadParts: OptionSet, Sendable {
    package let rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }
    static let assignments = LoadParts(rawValue: 1)
    /// Authors (of merged proposals too) and ratings.
    static let raters = LoadParts(rawValue: 2)
    package static let all: LoadParts = [.assignments, .raters]
    static let status: LoadParts = []
}

/// A proposal as the rules see it, with the ids to write back.
struct LoadedProposal: Sendable {
    var id: Int64
    var number: String
    var state: ProposalState
    /// Assignment ids, parallel to `state.assignments`.
    var assignmentIDs: [Int64]
    /// The assigned units' ids, parallel to `state.assignments`.
    var unitIDs: [Int64] = []
    /// The authors' member ids (with those of proposals merged into it).
    var authorIDs: Set<Int64> = []
}

/// A member's rating or a unit's reply that staff enter from a paper form (代录): the paper's
/// day (the step takes effect then) and a note (the reason it is entered late).
public struct PaperEntry: Sendable, Hashable {
    /// The day on the paper; nil: the step's own day.
    public let day: CalendarDate?
    public let note: String

    public init(day: CalendarDate?, note: String) throws {
        self.day = day
        self.note = try Text.required(note, field: "--note", maximum: 500)
    }

    /// When a paper of another day than `today` takes effect (its day at noon, local time),
    /// or nil when it is today's.
    func time(otherThan today: CalendarDate) -> Date? {
        guard let day, day != today else { return nil }
        return LocalTime.time(on: day, seconds: 12 * 3600)
    }
}

/// A reply's letterhead (复文): its document number (文号), who signed it (签发人), and whom
/// the member may call about it. All optional.
public struct ReplyLetter: Sendable, Hashable {
    public var documentNumber: String?
    public var signer: String?
    public var contactPerson: String?
    public var contactPhone: String?

    public init(documentNumber: String? = nil, signer: String? = nil, contactPerson: String? = nil, contactPhone: String? = nil) {
        self.documentNumber = documentNumber
        self.signer = signer
        self.contactPerson = contactPerson
        self.contactPhone = contactPhone
    }

    func checked() throws -> ReplyLetter {
        let phone = try Text.optional(contactPhone, field: "--phone", maximum: 40)
        if let phone, !phone.allSatisfy({ $0.isNumber || "-+ ()转".contains($0) }) {
            throw WorkflowError("--phone: \"\(phone.prefix(40))\" is not a telephone number")
        }
        return ReplyLetter(
            documentNumber: try Text.optional(documentNumber, field: "--document-number", maximum: 100),
            signer: try Text.optional(signer, field: "--signer", maximum: 100),
            contactPerson: try Text.optional(contactPerson, field: "--contact", maximum: 100),
            contactPhone: phone)
    }
}

extension WorkflowStore {
    // MARK: Loading

    /// Loads a proposal in one round trip; `lock` takes its row lock for the transaction.
    func load(_ context: Context, _ number: String, lock: Bool) async throws -> LoadedProposal {
        try loaded(try await context.tx.query(try loadQuery(number, lock: lock)), context, number)
    }

    /// The statement that reads a proposal as the rules see it (for a transaction's prelude).
    package func loadQuery(_ number: String, lock: Bool, parts: LoadParts = .all) throws -> PostgresQuery {
        let number = try ProposalNumber.validated(number)
        return loadQuery(where: "p.number = \(number)", lock: lock, parts: parts)
    }

    /// The same, for the proposal with this id (the worker's jobs carry ids).
    func loadQuery(id: Int64, lock: Bool, parts: LoadParts = .all) -> PostgresQuery {
        loadQuery(where: "p.id = \(id)", lock: lock, parts: parts)
    }

    private func loadQuery(where filter: PostgresQuery, lock: Bool, parts: LoadParts) -> PostgresQuery {
        // What a step does not need is not read (an empty array in its place). Each element
        // is `field|field|…|name`: names last (they may hold any character), no ORDER BY (no
        // sort; the order is made here). Every related row is a correlated lookup by key, never
        // a join: the plans are generic and cached per connection, and a join's plan made while
        // a county's tables were small (a new county, or before autovacuum's next ANALYZE)
        // scans whole tables once they have grown (a step took ~4× as long in the benchmark).
        let none = "'{}'::text[]"
        let assignments = parts.contains(.assignments) ? """
            ARRAY(SELECT concat_ws('|', a.id, a.unit_id, a.role, (a.assigned_at AT TIME ZONE '\(LocalTime.zoneName)')::date, a.due_on,
                                   a.extended::int, (a.returned_at IS NOT NULL)::int,
                                   coalesce((SELECT r.category || '|' || ((coalesce(r.reviewed_at, r.replied_at) AT TIME ZONE '\(LocalTime.zoneName)')::date)::text
                                             FROM reply r WHERE r.assignment_id = a.id AND r.round = p.round), '|'),
                                   (a.acknowledged_at IS NOT NULL)::int,
                                   coalesce((SELECT er.until::text FROM extension_request er
                                             WHERE er.assignment_id = a.id AND er.state = 'pending'), ''),
                                   EXISTS (SELECT 1 FROM reply_submission rs WHERE rs.assignment_id = a.id AND rs.state = 'pending')::int,
                                   (SELECT u.name FROM unit u WHERE u.id = a.unit_id))
                  FROM assignment a WHERE a.proposal_id = p.id)
            """ : none
        let raters = parts.contains(.raters) ? """
            ARRAY(SELECT (SELECT m.name FROM member m WHERE m.id = pa.member_id) FROM proposal_author pa WHERE pa.proposal_id = p.id
                  UNION ALL
                  SELECT (SELECT m.name FROM member m WHERE m.id = pa.member_id)
                  FROM proposal x, LATERAL (SELECT pa.member_id FROM proposal_author pa WHERE pa.proposal_id = x.id OFFSET 0) pa
                  WHERE x.merged_into = p.id)
            """ : none
        let ratings = parts.contains(.raters) ? """
            ARRAY(SELECT e.round || '|' || e.rating || '|' || (SELECT m.name FROM member m WHERE m.id = e.member_id)
                  FROM evaluation e WHERE e.proposal_id = p.id)
            """ : none
        return """
            SELECT p.id, p.number, p.status, p.round, p.is_key, p.needs_consultation,
                   (SELECT t.number FROM proposal t WHERE t.id = p.merged_into),
                   \(unescaped: assignments), \(unescaped: raters), \(unescaped: ratings),
                   ARRAY(SELECT pa.member_id FROM proposal_author pa WHERE pa.proposal_id = p.id
                         UNION ALL
                         SELECT pa.member_id
                         FROM proposal x, LATERAL (SELECT pa.member_id FROM proposal_author pa WHERE pa.proposal_id = x.id OFFSET 0) pa
                         WHERE x.merged_into = p.id)
            FROM proposal p WHERE \(fragment: filter)
            \(unescaped: lock ? "FOR UPDATE OF p" : "")
            """
    }

    /// The proposal from `loadQuery`'s rows.
    func loaded(_ rows: PostgresRows?, _ context: Context, _ number: String) throws -> LoadedProposal {
        guard let row = rows?.first else { throw WorkflowError(notFound: "no proposal \(number.prefix(40)) in county \(county)") }
        let (id, storedNumber, status, round, key, consultation, mergedInto, assignments, raters, ratings, authorIDs) =
            try row.decode((Int64, String, String, Int, Bool, Bool, String?, [String], [String], [String], [Int64]).self)
        var state = ProposalState(raters: Set(raters))
        state.status = ProposalStatus(rawValue: status) ?? .filed
        state.round = round
        state.key = key
        state.needsConsultation = consultation
        state.mergedInto = mergedInto
        let malformed = WorkflowError("proposal \(storedNumber): unreadable assignment row")
        var rows: [(Int64, AssignmentState, CalendarDate?, Int64)] = []
        for text in assignments {
            let f = text.split(separator: "|", maxSplits: 12, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 13, let assignmentID = Int64(f[0]), let unitID = Int64(f[1]), let role = AssignmentRole(rawValue: f[2]) else {
                throw malformed
            }
            var assignment = AssignmentState(unit: f[12], role: role, assignedOn: try CalendarDate(f[3]), dueOn: try CalendarDate(f[4]))
            assignment.acknowledged = f[9] == "1"
            assignment.awaitingReview = f[11] == "1"
            assignment.extensionRequestedUntil = f[10].isEmpty ? nil : try CalendarDate(f[10])
            assignment.extended = f[5] == "1"
            assignment.returned = f[6] == "1"
            assignment.replyCategory = ReplyCategory(rawValue: f[7])
            assignment.replied = assignment.replyCategory != nil
            rows.append((assignmentID, assignment, f[8].isEmpty ? nil : try CalendarDate(f[8]), unitID))
        }
        rows.sort { $0.0 < $1.0 }
        var repliedOn: CalendarDate?
        for (_, assignment, replied, _) in rows {
            state.assignments.append(assignment)
            if !assignment.returned, assignment.role.replies, let replied { repliedOn = max(repliedOn ?? replied, replied) }
        }
        for text in ratings {
            let f = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3, let round = Int(f[0]), let rating = Rating(rawValue: String(f[1])) else { throw malformed }
            state.ratings[round, default: [:]][String(f[2])] = rating
        }
        if state.status == .replied, let repliedOn {
            state.evaluationWindowEnds = try repliedOn.adding(days: context.settings.evaluationWindowDays)
        }
        return LoadedProposal(
            id: id, number: storedNumber, state: state, assignmentIDs: rows.map(\.0), unitIDs: rows.map(\.3), authorIDs: Set(authorIDs))
    }

    /// The proposal as the permission check sees it: its county, authors and (not returned) units.
    func target(_ context: Context, _ proposal: LoadedProposal) -> Target {
        var units: [Int64: AssignmentRole] = [:]
        for (i, assignment) in proposal.state.assignments.enumerated() where !assignment.returned && i < proposal.unitIDs.count {
            units[proposal.unitIDs[i]] = assignment.role
        }
        return Target(county: county.value, authors: proposal.authorIDs, units: units, training: context.training)
    }

    /// Checks `action` on the proposal; a refusal names the proposal.
    func authorize(_ action: Action, _ context: Context, _ proposal: LoadedProposal) throws {
        if case .refused(let why) = Permissions.may(principal, action, target(context, proposal)) {
            throw WorkflowError("proposal \(proposal.number): \(why)")
        }
    }

    /// A unit account's own name among the proposal's (open) assignments.
    func ownUnitName(_ proposal: LoadedProposal) -> String? {
        guard principal.role == .unit else { return nil }
        return proposal.state.assignments.indices
            .first { !proposal.state.assignments[$0].returned && proposal.unitIDs[$0] == principal.unitID }
            .map { proposal.state.assignments[$0].unit }
    }

    /// A unit account naming another unit is refused.
    func refuseOtherUnit(_ proposal: LoadedProposal, named: String?, action: Action) throws {
        guard principal.role == .unit, let named, named != ownUnitName(proposal) else { return }
        throw WorkflowError("proposal \(proposal.number): not allowed: \(principal.login) (unit) may not \(action.rawValue) for \(named.prefix(60)): a unit answers for itself only")
    }

    /// The assignment a unit acts on: the named unit's (staff entering a paper reply), or the
    /// unit account's own; a unit account naming another unit is refused.
    func actingUnit(_ proposal: LoadedProposal, named: String?, action: Action) throws -> Int {
        let open = proposal.state.assignments.indices.filter { !proposal.state.assignments[$0].returned }
        if principal.role == .unit {
            guard let index = open.first(where: { proposal.unitIDs[$0] == principal.unitID }) else {
                throw WorkflowError("proposal \(proposal.number): not allowed: \(principal.login) (unit) may not \(action.rawValue): it is not assigned to the unit")
            }
            if let named, named != proposal.state.assignments[index].unit {
                throw WorkflowError("proposal \(proposal.number): not allowed: \(principal.login) (unit) may not \(action.rawValue) for \(named.prefix(60)): a unit answers for itself only")
            }
            return index
        }
        guard let named else { throw WorkflowError("--unit: name the handling unit") }
        guard let index = open.first(where: { proposal.state.assignments[$0].unit == named }) else {
            let step = action.rawValue.split(separator: ".").last.map(String.init) ?? action.rawValue
            throw WorkflowError("proposal \(proposal.number): cannot \(step): unit \(named.prefix(60)) is not assigned")
        }
        return index
    }

    /// Applies `event` by the rules, or throws the refusal with the proposal's number.
    func decide(_ event: ProposalEvent, _ proposal: LoadedProposal) throws -> ProposalState {
        do {
            return try ProposalMachine.apply(event, to: proposal.state)
        } catch let error as WorkflowError {
            throw WorkflowError("proposal \(proposal.number): \(error.description)")
        }
    }

    /// Sets the status; registering stamps registered_at, closing stamps closed_at (and ends a
    /// pending consultation).
    private func setStatus(_ context: Context, _ proposal: LoadedProposal, _ status: ProposalStatus) {
        context.later("""
            UPDATE proposal SET status = \(status.rawValue), updated_at = \(now),
                registered_at = CASE WHEN \(status == .registered) AND registered_at IS NULL THEN \(now) ELSE registered_at END,
                closed_at = CASE WHEN \(status == .closed) THEN \(now) ELSE closed_at END,
                needs_consultation = needs_consultation AND NOT \(status == .closed)
            WHERE id = \(proposal.id)
            """)
    }

    private func auditTransition(
        _ context: Context, _ proposal: LoadedProposal, _ event: ProposalEvent, to next: ProposalState,
        _ detail: [String: String] = [:]
    ) {
        var detail = detail
        detail["from"] = proposal.state.status.rawValue
        detail["to"] = next.status.rawValue
        audit(context, entity: "proposal", id: proposal.number, action: event.name, detail: detail)
    }

    // MARK: Filing and review

    /// Files a proposal in its session; returns its number.
    @discardableResult
    public func file(_ new: NewProposal) async throws -> Outcome {
        let checked = try CheckedProposal(new, today: today)
        if principal.role == .member, !checked.coAuthors.isEmpty {
            // 联名: co-authors confirm on their own page before the proposal is filed.
            throw WorkflowError("co_authors: each co-author confirms first: save a draft (`proposal draft save`), and submit it once they have")
        }
        do {
            return try await step(prelude: filingQueries(checked)) { context in
                let number = try insert(context, checked, filedAt: now, looked: context.prelude[...])
                return Outcome(number: number, status: "filed", message: "filed \(number) \(checked.title)")
            }
        } catch let error as PostgresError where error.sqlState == .uniqueViolation && error.constraint == "proposal_number_key" {
            throw WorkflowError("number: proposal \(checked.number ?? "") exists already")
        } catch let error as PostgresError where error.constraint == "session_last_number_check" {
            throw Self.numbersUsedUp(checked.year)
        }
    }

    /// Numbers run 0001–9999 in a session.
    static func numbersUsedUp(_ year: Int) -> WorkflowError {
        WorkflowError("number: session \(year) has no proposal numbers left (at most 9999 a session)")
    }

    /// Files a checked proposal inside the caller's transaction (imports); returns its number.
    func insert(_ context: Context, _ new: CheckedProposal, filedAt: Date) async throws -> String {
        let looked: [PostgresRows]
        do {
            looked = try await context.tx.pipeline(filingQueries(new))
        } catch let error as PostgresError where error.constraint == "session_last_number_check" {
            throw Self.numbersUsedUp(new.year)
        }
        let number = try insert(context, new, filedAt: filedAt, looked: looked[...])
        do {
            try await context.batch.flush(on: context.tx)
        } catch let error as PostgresError where error.sqlState == .uniqueViolation && error.constraint == "proposal_number_key" {
            throw WorkflowError("number: proposal \(number) exists already")
        }
        return number
    }

    /// What filing reads first: the session (locked: numbers are given one at a time), the
    /// authors, the next number.
    private func filingQueries(_ new: CheckedProposal) -> [PostgresQuery] {
        let wanted = new.number.flatMap { Int($0.split(separator: "-").last ?? "") }
        return [
            // The session's counter gives the next number (a kept number moves it on); its row
            // lock hands numbers out one at a time.
            """
            UPDATE session SET last_number = CASE WHEN \(wanted)::int IS NULL THEN last_number + 1
                                                  ELSE greatest(last_number, \(wanted)) END
            WHERE year = \(new.year) RETURNING id, closed_on, last_number
            """,
            memberQuery([new.lead] + new.coAuthors),
        ]
    }

    /// Queues the proposal's insert (with its authors) and its audit entry.
    private func insert(_ context: Context, _ new: CheckedProposal, filedAt: Date, looked: ArraySlice<PostgresRows>) throws -> String {
        let year = new.year
        let rows = Array(looked)
        guard rows.count == 2 else { throw WorkflowError("filing: expected 2 lookups, got \(rows.count)") }
        guard let session = rows[0].first else {
            throw WorkflowError("session: no \(year) session in county \(county); open it with `tongxin session open --year \(year)`")
        }
        let (sessionID, closedOn, last) = try session.decode((Int64, CalendarDate?, Int).self)
        // One lookup for all authors; a problem names the field of the first author it concerns.
        let members: [String: Int64]
        do {
            members = try memberIDs(rows[1], [new.lead] + new.coAuthors, field: "author", requireActive: true)
        } catch {
            _ = try memberIDs(rows[1], [new.lead], field: "lead", requireActive: true)
            _ = try memberIDs(rows[1], new.coAuthors, field: "co_authors", requireActive: true)
            throw error
        }
        let number = new.number ?? ProposalNumber.format(year: year, sequence: last)
        let filedOn = LocalTime.day(of: filedAt)
        let during = closedOn.map { filedOn > $0 } == true ? "between_sessions" : "session"
        let authorIDs = ([new.lead] + new.coAuthors).compactMap { members[$0] }
        try authorize(.fileProposal, Target(county: county.value, authors: Set(authorIDs), training: context.training))
        context.batch.append(.named("filed", """
            INSERT INTO proposal (session_id, number, title, body, category, local_category, kind, filed_during,
                                  filed_at, updated_at, preferred_units, publication_consent)
            VALUES (\(sessionID), \(number), \(new.title), \(new.body), \(new.category.rawValue), \(new.localCategory),
                    \(new.kind.rawValue), \(during), \(filedAt), \(filedAt), \(new.preferredUnits)::text[], \(new.publicationConsent))
            RETURNING id
            """))
        context.batch.append(.write("""
            INSERT INTO proposal_author (proposal_id, member_id, lead)
            SELECT filed.id, member, member = \(members[new.lead]) FROM filed, unnest(\(authorIDs)::bigint[]) AS member
            """))
        context.batch.append(.audit(Batch.AuditItem(
            schema: context.schema, actor: actor, enteredBy: principal.enteredBy, entity: "proposal", id: number, action: "file",
            detail: [
                "to": "filed", "title": new.title, "kind": new.kind.rawValue, "category": new.category.rawValue,
                "authors": ([new.lead] + new.coAuthors).joined(separator: "、"),
            ], at: filedAt)))
        return number
    }

    /// The office's review: register, decline, convert, merge or return.
    @discardableResult
    public func review(_ number: String, _ decision: ReviewDecision) async throws -> Outcome {
        // Merging needs the authors (they rate the lead proposal's reply); the rest, the status.
        let parts: LoadParts = if case .mergeInto = decision { .raters } else { .status }
        return try await step(prelude: [try loadQuery(number, lock: true, parts: parts)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.reviewProposal, context, proposal)
            switch decision {
            case .register:
                let next = try decide(.register, proposal)
                setStatus(context, proposal, .registered)
                auditTransition(context, proposal, .register, to: next)
            case .decline(let reason, let note):
                let note = try Text.optional(note, field: "note", maximum: 2000, multiline: true)
                let next = try decide(.decline(reason), proposal)
                context.later("""
                    UPDATE proposal SET status = 'declined', decline_reason = \(reason.rawValue), updated_at = \(now)
                    WHERE id = \(proposal.id)
                    """)
                var detail = ["reason": reason.rawValue]
                if let note { detail["note"] = note }
                auditTransition(context, proposal, .decline(reason), to: next, detail)
            case .convert(let note):
                let note = try Text.optional(note, field: "note", maximum: 2000, multiline: true)
                let next = try decide(.convert, proposal)
                setStatus(context, proposal, .converted)
                auditTransition(context, proposal, .convert, to: next, note.map { ["note": $0] } ?? [:])
            case .returnToAuthor(let note):
                let note = try Text.optional(note, field: "note", maximum: 2000, multiline: true)
                let next = try decide(.returnToAuthor, proposal)
                setStatus(context, proposal, .returned)
                auditTransition(context, proposal, .returnToAuthor, to: next, note.map { ["note": $0] } ?? [:])
            case .mergeInto(let targetNumber):
                let targetNumber = try ProposalNumber.validated(targetNumber, field: "--merge-into")
                guard targetNumber != proposal.number else {
                    throw WorkflowError("proposal \(proposal.number): cannot merge a proposal into itself")
                }
                let next = try decide(.mergeInto(proposal: targetNumber), proposal)
                let target: LoadedProposal
                do {
                    target = try await load(context, targetNumber, lock: true)
                } catch let error as WorkflowError where error.isNotFound {
                    // The proposal reviewed is there: a missing target is the step's mistake.
                    throw WorkflowError("--merge-into: \(error.description)")
                }
                let absorbing = try decide(.absorb(authors: proposal.state.raters), target)
                _ = absorbing
                context.later("""
                    UPDATE proposal SET status = 'merged', merged_into = \(target.id), updated_at = \(now) WHERE id = \(proposal.id)
                    """)
                auditTransition(context, proposal, .mergeInto(proposal: targetNumber), to: next, ["into": targetNumber])
                audit(context, entity: "proposal", id: target.number, action: "absorb", detail: [
                    "merged": proposal.number, "authors": proposal.state.raters.sorted().joined(separator: "、"),
                ])
            }
            let status: ProposalStatus = switch decision {
            case .register: .registered
            case .decline: .declined
            case .convert: .converted
            case .mergeInto: .merged
            case .returnToAuthor: .returned
            }
            return Outcome(number: proposal.number, status: status.rawValue, message: "\(proposal.number) is \(status.rawValue)")
        }
    }

    /// A returned proposal, revised by its author, goes back for review.
    @discardableResult
    public func resubmit(_ number: String) async throws -> Outcome {
        try await simpleTransition(number, .resubmit, to: .filed, action: .resubmitProposal)
    }

    /// The author withdraws the proposal (撤案).
    @discardableResult
    public func withdraw(_ number: String, reason: String? = nil) async throws -> Outcome {
        let reason = try Text.optional(reason, field: "reason", maximum: 2000, multiline: true)
        return try await simpleTransition(number, .withdraw, to: .withdrawn, action: .withdrawProposal, detail: reason.map { ["reason": $0] } ?? [:])
    }

    private func simpleTransition(
        _ number: String, _ event: ProposalEvent, to status: ProposalStatus, action: Action, detail: [String: String] = [:]
    ) async throws -> Outcome {
        try await step(prelude: [try loadQuery(number, lock: true, parts: .status)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(action, context, proposal)
            let next = try decide(event, proposal)
            setStatus(context, proposal, status)
            auditTransition(context, proposal, event, to: next, detail)
            return Outcome(number: proposal.number, status: status.rawValue, message: "\(proposal.number) is \(status.rawValue)")
        }
    }

    // MARK: Handling

    /// Assigns handling units; each deadline is the county's handling period from today.
    @discardableResult
    public func assign(_ number: String, lead: String?, co: [String] = [], parallel: [String] = []) async throws -> Outcome {
        var units: [(unit: String, role: AssignmentRole)] = []
        if let lead { units.append((try Text.required(lead, field: "--lead", maximum: 100), .lead)) }
        for name in co { units.append((try Text.required(name, field: "--co", maximum: 100), .co)) }
        for name in parallel { units.append((try Text.required(name, field: "--parallel", maximum: 100), .parallel)) }
        guard Set(units.map(\.unit)).count == units.count else { throw WorkflowError("assign: each unit is named once") }
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments), unitQuery(units.map(\.unit))]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.assignProposal, context, proposal)
            let calendar = try await calendar(context)
            let due = try calendar.adding(months: context.settings.handlingMonths, to: today)
            let next = try decide(.assign(units, on: today, dueOn: due), proposal)
            let ids = try unitIDs(context.prelude[1], units.map(\.unit), field: "unit")
            // One INSERT: its rows take their ids in the order given (lead first).
            let unitIDs = units.compactMap { ids[$0.unit] }
            context.later("""
                INSERT INTO assignment (proposal_id, unit_id, role, assigned_at, due_on)
                SELECT \(proposal.id), unit, role, \(now), \(due)
                FROM unnest(\(unitIDs)::bigint[], \(units.map(\.role.rawValue))::text[]) WITH ORDINALITY AS u(unit, role, n)
                ORDER BY n
                """)
            // The clocks: each replying unit's deadline, each co-handling unit's view.
            let viewDue = try calendar.adding(months: context.settings.coHandlingViewMonths, to: today)
            var jobs: [NewJob] = []
            for unit in units {
                guard let unitID = ids[unit.unit] else { continue }
                let job = unit.role == .co
                    ? try opinionJob(context, proposal: proposal.id, unit: unitID, due: viewDue)
                    : try deadlineJob(context, proposal: proposal.id, unit: unitID, round: proposal.state.round, due: due)
                if let job { jobs.append(job) }
            }
            try schedule(context, jobs)
            setStatus(context, proposal, .assigned)
            auditTransition(context, proposal, .assign(units, on: today, dueOn: due), to: next, [
                "units": units.map { "\($0.unit):\($0.role.rawValue)" }.joined(separator: ","), "due_on": due.description,
            ])
            return Outcome(
                number: proposal.number, status: "assigned",
                message: "\(proposal.number) assigned to \(units.map { "\($0.unit) (\($0.role.rawValue))" }.joined(separator: ", ")), due \(due)")
        }
    }

    /// A unit returns a wrongly assigned proposal within the county's window.
    @discardableResult
    public func unitReturn(_ number: String, unit named: String?, reason: String?) async throws -> Outcome {
        let named = try Text.optional(named, field: "--unit", maximum: 100)
        let reason = try Text.optional(reason, field: "--reason", maximum: 2000, multiline: true)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.returnAssignment, context, proposal)
            let index = try actingUnit(proposal, named: named, action: .returnAssignment)
            let unit = proposal.state.assignments[index].unit
            let calendar = try await calendar(context)
            let windowEnds = try calendar.adding(days: context.settings.unitReturnDays, to: proposal.state.assignments[index].assignedOn)
            let event = ProposalEvent.unitReturn(unit: unit, on: today, windowEnds: windowEnds)
            let next = try decide(event, proposal)
            context.later("UPDATE assignment SET returned_at = \(now) WHERE id = \(proposal.assignmentIDs[index])")
            let returned = proposal.state.assignments[index]
            cancelJobs(context, [deadlineKey(proposal: proposal.id, unit: proposal.unitIDs[index], round: proposal.state.round, due: returned.dueOn)])
            setStatus(context, proposal, next.status)
            var detail = ["unit": unit]
            if let reason { detail["reason"] = reason }
            auditTransition(context, proposal, event, to: next, detail)
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "\(unit) returned \(proposal.number); it is \(next.status.rawValue)")
        }
    }

    /// Extends a unit's deadline (to `until`, default the longest the county allows).
    @discardableResult
    public func extend(_ number: String, unit: String, until: CalendarDate?) async throws -> Outcome {
        let unit = try Text.required(unit, field: "--unit", maximum: 100)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.extendDeadline, context, proposal)
            guard let index = proposal.state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw WorkflowError("proposal \(proposal.number): cannot extend: unit \(unit) is not assigned")
            }
            let maximum = try await longestExtension(context, proposal, index)
            // Approving a unit's request: its deadline, unless the office gives another.
            let requested = proposal.state.assignments[index].extensionRequestedUntil
            let newDue = until ?? requested ?? maximum
            let event = ProposalEvent.extend(unit: unit, newDue: newDue, maximum: maximum)
            let next = try decide(event, proposal)
            context.later("""
                UPDATE assignment SET due_on = \(newDue), extended = true WHERE id = \(proposal.assignmentIDs[index])
                """)
            if requested != nil {
                context.later("""
                    UPDATE extension_request SET state = 'approved', decided_at = \(now)
                    WHERE assignment_id = \(proposal.assignmentIDs[index]) AND state = 'pending'
                    """)
            }
            context.later("UPDATE proposal SET updated_at = \(now) WHERE id = \(proposal.id)")
            let unitID = proposal.unitIDs[index]
            let old = proposal.state.assignments[index].dueOn
            if proposal.state.assignments[index].role.replies {
                cancelJobs(context, [deadlineKey(proposal: proposal.id, unit: unitID, round: proposal.state.round, due: old)])
                try schedule(context, [try deadlineJob(context, proposal: proposal.id, unit: unitID, round: proposal.state.round, due: newDue)].compactMap { $0 })
            }
            var detail = ["unit": unit, "due_on": newDue.description, "was": proposal.state.assignments[index].dueOn.description]
            if let requested { detail["requested"] = requested.description }
            auditTransition(context, proposal, event, to: next, detail)
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "\(unit) now has until \(newDue) for \(proposal.number)")
        }
    }

    /// The latest deadline an extension may give: `extended_handling_months` after the round
    /// began (the assignment, or when re-handling began).
    private func longestExtension(_ context: Context, _ proposal: LoadedProposal, _ index: Int) async throws -> CalendarDate {
        var start = proposal.state.assignments[index].assignedOn
        if proposal.state.round == 2 {
            let began = try await context.tx.query("""
                SELECT (min(evaluated_at) AT TIME ZONE \(LocalTime.zoneName))::date FROM evaluation
                WHERE proposal_id = \(proposal.id) AND round = 1 AND rating = 'unsatisfied'
                """).single().decode(CalendarDate?.self)
            start = began ?? start
        }
        return try await calendar(context).adding(months: context.settings.extendedHandlingMonths, to: start)
    }

    /// A replying unit asks the office for a later deadline, with its reason (the office then
    /// approves with `extend` or refuses with `refuseExtension`).
    @discardableResult
    public func requestExtension(_ number: String, unit named: String?, until: CalendarDate, reason: String) async throws -> Outcome {
        let named = try Text.optional(named, field: "--unit", maximum: 100)
        let reason = try Text.required(reason, field: "--reason", maximum: 2000, multiline: true)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.requestExtension, context, proposal)
            try refuseOtherUnit(proposal, named: named, action: .requestExtension)
            let index = try actingUnit(proposal, named: named, action: .requestExtension)
            let unit = proposal.state.assignments[index].unit
            let maximum = try await longestExtension(context, proposal, index)
            let event = ProposalEvent.requestExtension(unit: unit, until: until, maximum: maximum)
            let next = try decide(event, proposal)
            context.later("""
                INSERT INTO extension_request (assignment_id, until, reason, requested_at)
                VALUES (\(proposal.assignmentIDs[index]), \(until), \(reason), \(now))
                """)
            auditTransition(context, proposal, event, to: next, ["unit": unit, "until": until.description, "reason": reason])
            return Outcome(number: proposal.number, status: next.status.rawValue,
                           message: "\(unit) asked for an extension of \(proposal.number) until \(until); the office decides")
        }
    }

    /// The office refuses a unit's pending extension request.
    @discardableResult
    public func refuseExtension(_ number: String, unit: String, note: String?) async throws -> Outcome {
        let unit = try Text.required(unit, field: "--unit", maximum: 100)
        let note = try Text.optional(note, field: "--note", maximum: 2000, multiline: true)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.extendDeadline, context, proposal)
            let event = ProposalEvent.refuseExtension(unit: unit)
            let next = try decide(event, proposal)
            guard let index = proposal.state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw WorkflowError("proposal \(proposal.number): cannot refuse-extension: unit \(unit) is not assigned")
            }
            context.later("""
                UPDATE extension_request SET state = 'refused', decided_at = \(now), note = \(note)
                WHERE assignment_id = \(proposal.assignmentIDs[index]) AND state = 'pending'
                """)
            var detail = ["unit": unit]
            if let note { detail["note"] = note }
            auditTransition(context, proposal, event, to: next, detail)
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "\(unit)'s extension request for \(proposal.number) refused")
        }
    }

    /// A unit acknowledges receipt of its assignment (签收): once, while the proposal is being
    /// handled; recorded with the server's clock like every step.
    @discardableResult
    public func acknowledge(_ number: String, unit named: String?) async throws -> Outcome {
        let named = try Text.optional(named, field: "--unit", maximum: 100)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.acknowledgeAssignment, context, proposal)
            try refuseOtherUnit(proposal, named: named, action: .acknowledgeAssignment)
            let next = try decide(.acknowledge(unit: named ?? ownUnitName(proposal) ?? ""), proposal)
            let index = try actingUnit(proposal, named: named, action: .acknowledgeAssignment)
            let unit = proposal.state.assignments[index].unit
            context.later("UPDATE assignment SET acknowledged_at = \(now) WHERE id = \(proposal.assignmentIDs[index])")
            auditTransition(context, proposal, .acknowledge(unit: unit), to: next, ["unit": unit])
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "\(unit) acknowledged \(proposal.number)")
        }
    }

    /// A co-handling unit's view, sent to the lead unit.
    @discardableResult
    public func opinion(_ number: String, unit named: String?, text: String) async throws -> Outcome {
        let named = try Text.optional(named, field: "--unit", maximum: 100)
        let text = try Text.required(text, field: "--text", maximum: 20_000, multiline: true)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.giveOpinion, context, proposal)
            try refuseOtherUnit(proposal, named: named, action: .giveOpinion)
            // The rules speak first (the proposal's state), then whose assignment it is.
            let next = try decide(.coOpinion(unit: named ?? ownUnitName(proposal) ?? ""), proposal)
            let index = try actingUnit(proposal, named: named, action: .giveOpinion)
            let unit = proposal.state.assignments[index].unit
            context.later("""
                INSERT INTO co_opinion (assignment_id, text, sent_at) VALUES (\(proposal.assignmentIDs[index]), \(text), \(now))
                """)
            auditTransition(context, proposal, .coOpinion(unit: unit), to: next, ["unit": unit])
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "\(unit) sent its opinion on \(proposal.number) to the lead unit")
        }
    }

    /// A unit's written reply, with its category.
    @discardableResult
    public func reply(
        _ number: String, unit named: String?, category: ReplyCategory, text: String, letter: ReplyLetter = ReplyLetter(),
        paper: PaperEntry? = nil
    ) async throws -> Outcome {
        if let paper, let time = paper.time(otherThan: today) {
            return try await at(time, reason: paper.note).reply(number, unit: named, category: category, text: text, letter: letter, paper: paper)
        }
        let named = try Text.optional(named, field: "--unit", maximum: 100)
        let text = try Text.required(text, field: "--text", maximum: 50_000, multiline: true)
        let letter = try letter.checked()
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(paper == nil ? .replyProposal : .replyOnBehalf, context, proposal)
            try refuseOtherUnit(proposal, named: named, action: .replyProposal)
            if context.settings.reviewsReplies, paper == nil {
                return try submitForReview(context, proposal, named: named, category: category, text: text, letter: letter)
            }
            // The rules speak first (the proposal's state), then whose assignment it is.
            let event = ProposalEvent.reply(unit: named ?? ownUnitName(proposal) ?? "", category: category)
            let next = try decide(event, proposal)
            let index = try actingUnit(proposal, named: named, action: .replyProposal)
            let unit = proposal.state.assignments[index].unit
            let assignment = proposal.assignmentIDs[index]
            context.later("""
                INSERT INTO reply (assignment_id, round, category, text, replied_at, due_on, entered_by,
                                   document_number, signer, contact_person, contact_phone)
                VALUES (\(assignment), \(proposal.state.round), \(category.rawValue), \(text), \(now),
                        \(proposal.state.assignments[index].dueOn), \(paper != nil ? principal.login : principal.enteredBy),
                        \(letter.documentNumber), \(letter.signer), \(letter.contactPerson), \(letter.contactPhone))
                """)
            context.later("UPDATE assignment SET replied_at = \(now) WHERE id = \(assignment)")
            cancelJobs(context, [deadlineKey(proposal: proposal.id, unit: proposal.unitIDs[index], round: proposal.state.round,
                                             due: proposal.state.assignments[index].dueOn)])
            if next.status == .replied {
                let ends = try today.adding(days: context.settings.evaluationWindowDays)
                try schedule(context, [try evaluationJob(context, proposal: proposal.id, round: proposal.state.round, ends: ends)].compactMap { $0 })
            }
            setStatus(context, proposal, next.status)
            let due = proposal.state.assignments[index].dueOn
            var detail = [
                "unit": unit, "category": category.rawValue, "round": String(proposal.state.round), "on_time": String(today <= due),
            ]
            if let paper {
                detail["on_behalf_of"] = unit
                detail["paper_date"] = (paper.day ?? today).description
                detail["note"] = paper.note
            }
            auditTransition(context, proposal, event, to: next, detail)
            return Outcome(
                number: proposal.number, status: next.status.rawValue,
                message: "\(unit) replied to \(proposal.number) (\(category.rawValue))\(today <= due ? "" : ", \(today.daysSinceEpoch - due.daysSinceEpoch) days late")")
        }
    }

    /// With reply review on: the unit's reply waits for the reviewer; its deadline is met (the
    /// unit answered), the member does not see it yet.
    private func submitForReview(
        _ context: Context, _ proposal: LoadedProposal, named: String?, category: ReplyCategory, text: String, letter: ReplyLetter
    ) throws -> Outcome {
        let event = ProposalEvent.submitReply(unit: named ?? ownUnitName(proposal) ?? "", category: category)
        let next = try decide(event, proposal)
        let index = try actingUnit(proposal, named: named, action: .replyProposal)
        let unit = proposal.state.assignments[index].unit
        let due = proposal.state.assignments[index].dueOn
        context.later("""
            INSERT INTO reply_submission (assignment_id, round, category, text, document_number, signer, contact_person, contact_phone,
                                          submitted_at, due_on, entered_by)
            VALUES (\(proposal.assignmentIDs[index]), \(proposal.state.round), \(category.rawValue), \(text), \(letter.documentNumber),
                    \(letter.signer), \(letter.contactPerson), \(letter.contactPhone), \(now), \(due), \(principal.enteredBy))
            """)
        context.later("UPDATE assignment SET replied_at = \(now) WHERE id = \(proposal.assignmentIDs[index])")
        cancelJobs(context, [deadlineKey(proposal: proposal.id, unit: proposal.unitIDs[index], round: proposal.state.round, due: due)])
        auditTransition(context, proposal, event, to: next, [
            "unit": unit, "category": category.rawValue, "round": String(proposal.state.round), "on_time": String(today <= due),
        ])
        return Outcome(number: proposal.number, status: next.status.rawValue, message: "\(unit)'s reply to \(proposal.number) awaits review")
    }

    /// The waiting reply of `unit`: its row.
    private func submissionQuery(_ number: String, unit: String) -> PostgresQuery {
        """
        SELECT s.id, s.category, s.text, s.document_number, s.signer, s.contact_person, s.contact_phone, s.submitted_at, s.due_on, s.entered_by
        FROM reply_submission s JOIN assignment a ON a.id = s.assignment_id JOIN proposal p ON p.id = a.proposal_id
        JOIN unit u ON u.id = a.unit_id
        WHERE p.number = \(number) AND u.name = \(unit) AND s.state = 'pending'
        """
    }

    /// The reviewer approves a unit's waiting reply, with its category or a corrected one
    /// (recorded with the unit's): it becomes the unit's reply, as of when the unit sent it.
    @discardableResult
    public func approveReply(_ number: String, unit: String, category corrected: ReplyCategory? = nil, note: String? = nil) async throws -> Outcome {
        let unit = try Text.required(unit, field: "--unit", maximum: 100)
        let note = try Text.optional(note, field: "--note", maximum: 2000, multiline: true)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments), submissionQuery(number, unit: unit)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.reviewReply, context, proposal)
            let pending: PostgresRow? = context.prelude[1].first
            guard let row = pending else {
                throw WorkflowError("proposal \(proposal.number): no reply of unit \(unit.prefix(60)) awaits review")
            }
            let (submission, sent, text, documentNumber, signer, contactPerson, contactPhone, submittedAt, due, enteredBy) =
                try row.decode((Int64, String, String, String?, String?, String?, String?, Date, CalendarDate, String?).self)
            let category = corrected ?? ReplyCategory(rawValue: sent) ?? .d
            let event = ProposalEvent.approveReply(unit: unit, category: category)
            let next = try decide(event, proposal)
            guard let index = proposal.state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw WorkflowError("proposal \(proposal.number): unit \(unit.prefix(60)) is not assigned to it")
            }
            context.later("""
                INSERT INTO reply (assignment_id, round, category, text, replied_at, due_on, entered_by,
                                   document_number, signer, contact_person, contact_phone, reviewed_by, reviewed_at, original_category)
                VALUES (\(proposal.assignmentIDs[index]), \(proposal.state.round), \(category.rawValue), \(text), \(submittedAt), \(due), \(enteredBy),
                        \(documentNumber), \(signer), \(contactPerson), \(contactPhone), \(principal.login), \(now),
                        \(category.rawValue != sent ? sent : nil))
                """)
            context.later("""
                UPDATE reply_submission SET state = 'approved', decided_at = \(now), decided_by = \(principal.login), note = \(note)
                WHERE id = \(submission)
                """)
            if next.status == .replied {
                let ends = try today.adding(days: context.settings.evaluationWindowDays)
                try schedule(context, [try evaluationJob(context, proposal: proposal.id, round: proposal.state.round, ends: ends)].compactMap { $0 })
            }
            setStatus(context, proposal, next.status)
            let submittedOn = LocalTime.day(of: submittedAt)
            var detail = [
                "unit": unit, "category": category.rawValue, "round": String(proposal.state.round), "on_time": String(submittedOn <= due),
            ]
            if category.rawValue != sent { detail["corrected_from"] = sent }
            if let note { detail["note"] = note }
            auditTransition(context, proposal, event, to: next, detail)
            return Outcome(
                number: proposal.number, status: next.status.rawValue,
                message: "approved \(unit)'s reply to \(proposal.number) (\(category.rawValue)\(category.rawValue != sent ? ", corrected from \(sent)" : ""))")
        }
    }

    /// The reviewer sends a unit's waiting reply back with the reason: the unit replies again
    /// (its deadline's clock runs again).
    @discardableResult
    public func sendBackReply(_ number: String, unit: String, note: String) async throws -> Outcome {
        let unit = try Text.required(unit, field: "--unit", maximum: 100)
        let note = try Text.required(note, field: "--note", maximum: 2000, multiline: true)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .assignments), submissionQuery(number, unit: unit)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.reviewReply, context, proposal)
            let pending: PostgresRow? = context.prelude[1].first
            guard let pending else {
                throw WorkflowError("proposal \(proposal.number): no reply of unit \(unit.prefix(60)) awaits review")
            }
            let submission = try pending.decode((Int64, String, String, String?, String?, String?, String?, Date, CalendarDate, String?).self).0
            let event = ProposalEvent.sendBackReply(unit: unit)
            let next = try decide(event, proposal)
            guard let index = proposal.state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw WorkflowError("proposal \(proposal.number): unit \(unit.prefix(60)) is not assigned to it")
            }
            context.later("""
                UPDATE reply_submission SET state = 'returned', decided_at = \(now), decided_by = \(principal.login), note = \(note)
                WHERE id = \(submission)
                """)
            context.later("UPDATE assignment SET replied_at = NULL WHERE id = \(proposal.assignmentIDs[index])")
            let due = proposal.state.assignments[index].dueOn
            if let job = try deadlineJob(context, proposal: proposal.id, unit: proposal.unitIDs[index], round: proposal.state.round, due: due) {
                try schedule(context, [job])
            }
            auditTransition(context, proposal, event, to: next, ["unit": unit, "note": note, "round": String(proposal.state.round)])
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "sent \(unit)'s reply to \(proposal.number) back: \(note)")
        }
    }

    /// An author rates the reply; a merged proposal's authors rate the proposal it was merged into.
    @discardableResult
    public func evaluate(
        _ number: String, member named: String?, rating: Rating, processRating: Rating? = nil, comment: String? = nil,
        paper: PaperEntry? = nil
    ) async throws -> Outcome {
        if let paper, let time = paper.time(otherThan: today) {
            return try await at(time, reason: paper.note).evaluate(
                number, member: named, rating: rating, processRating: processRating, comment: comment, paper: paper)
        }
        let named = try Text.optional(named, field: "--member", maximum: 100)
        let comment = try Text.optional(comment, field: "--comment", maximum: 5000, multiline: true)
        var prelude = [try loadQuery(number, lock: true)]
        if principal.role == .member, let query = ownNameQuery { prelude.append(query) }
        return try await step(prelude: prelude) { context in
            var proposal = try loaded(context.prelude.first, context, number)
            if proposal.state.status == .merged, let lead = proposal.state.mergedInto {
                proposal = try await load(context, lead, lock: true)
            }
            try authorize(paper == nil ? .evaluateProposal : .evaluateOnBehalf, context, proposal)
            let member: String
            if principal.role == .member {
                guard let own = try context.prelude.dropFirst().first?.first?.decode(String.self) else {
                    throw WorkflowError("not allowed: \(principal.login) (member) is linked to no member of county \(county)")
                }
                if let named, named != own {
                    throw WorkflowError("proposal \(proposal.number): not allowed: \(principal.login) (member) may not rate for \(named.prefix(60)): a rating is the member's own")
                }
                member = own
            } else {
                guard let named else { throw WorkflowError("--member: name the member whose rating this is") }
                member = named
            }
            let event = ProposalEvent.evaluate(member: member, rating: rating, on: today)
            var next = try decide(event, proposal)
            // The rules checked that the member is an author, so the member exists.
            context.later("""
                INSERT INTO evaluation (proposal_id, member_id, round, rating, process_rating, comment, evaluated_at, entered_by)
                SELECT \(proposal.id), m.id, \(proposal.state.round), \(rating.rawValue), \(processRating?.rawValue), \(comment), \(now),
                       \(paper != nil ? principal.login : principal.enteredBy)
                FROM member m WHERE m.name = \(member)
                """)
            var detail = ["member": member, "rating": rating.rawValue, "round": String(proposal.state.round)]
            if let paper {
                detail["on_behalf_of"] = member
                detail["paper_date"] = (paper.day ?? today).description
                detail["note"] = paper.note
            }
            switch next.status {
            case .rehandling:
                let calendar = try await calendar(context)
                let due = try calendar.adding(months: context.settings.handlingMonths, to: today)
                next = try ProposalMachine.apply(.rehandleDue(due), to: next)
                context.later("""
                    UPDATE assignment SET due_on = \(due), extended = false, replied_at = NULL
                    WHERE proposal_id = \(proposal.id) AND returned_at IS NULL AND role <> 'co'
                    """)
                context.later("""
                    UPDATE proposal SET status = 'rehandling', round = 2, updated_at = \(now) WHERE id = \(proposal.id)
                    """)
                detail["due_on"] = due.description
                var jobs: [NewJob] = []
                for (i, assignment) in proposal.state.assignments.enumerated() where assignment.role.replies && !assignment.returned {
                    if let job = try deadlineJob(context, proposal: proposal.id, unit: proposal.unitIDs[i], round: 2, due: due) { jobs.append(job) }
                }
                try schedule(context, jobs)
            case .closed:
                setStatus(context, proposal, .closed)
            default:
                if next.needsConsultation {
                    context.later("""
                        UPDATE proposal SET needs_consultation = true, updated_at = \(now) WHERE id = \(proposal.id)
                        """)
                }
            }
            if next.status != .replied || next.needsConsultation {
                // Rated: the evaluation window's clock is pointless.
                cancelJobs(context, [WorkflowJobs.evaluationKey(county, .init(proposal: proposal.id, round: proposal.state.round, ends: ""))])
            }
            auditTransition(context, proposal, event, to: next, detail)
            let message: String
            if next.status == .rehandling {
                message = "\(member) is unsatisfied: \(proposal.number) is re-handled, due \(detail["due_on"] ?? "")"
            } else if next.needsConsultation {
                message = "\(member) is unsatisfied again: record the consultation with `proposal consult \(proposal.number)`"
            } else {
                message = "\(member) rated \(proposal.number) \(rating.rawValue); it is \(next.status.rawValue)"
            }
            return Outcome(number: proposal.number, status: next.status.rawValue, message: message)
        }
    }

    /// The face-to-face consultation after an unsatisfied second round; closes the proposal.
    @discardableResult
    public func consult(_ number: String, outcome: String, heldOn: CalendarDate?) async throws -> Outcome {
        let outcome = try Text.required(outcome, field: "--outcome", maximum: 5000, multiline: true)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .status)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.consult, context, proposal)
            let next = try decide(.consult, proposal)
            let held = heldOn ?? today
            context.later("""
                INSERT INTO consultation (proposal_id, held_on, outcome) VALUES (\(proposal.id), \(held), \(outcome))
                """)
            setStatus(context, proposal, .closed)
            auditTransition(context, proposal, .consult, to: next, ["held_on": held.description])
            return Outcome(number: proposal.number, status: "closed", message: "consultation recorded; \(proposal.number) is closed")
        }
    }

    /// Marks a key proposal (重点提案) with its supervising leader.
    @discardableResult
    public func markKey(_ number: String, supervisor: String) async throws -> Outcome {
        let supervisor = try Text.required(supervisor, field: "--supervisor", maximum: 100)
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .status)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.markKey, context, proposal)
            let next = try decide(.markKey, proposal)
            context.later("""
                UPDATE proposal SET is_key = true, supervisor = \(supervisor), updated_at = \(now) WHERE id = \(proposal.id)
                """)
            try schedule(context, [try keyJob(context, proposal: proposal.id)])
            auditTransition(context, proposal, .markKey, to: next, ["supervisor": supervisor])
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "\(proposal.number) is a key proposal, supervised by \(supervisor)")
        }
    }

    /// A supervision activity on a key proposal (督办).
    @discardableResult
    public func supervise(
        _ number: String, supervisor: String?, kind: SupervisionKind, note: String?, heldOn: CalendarDate?
    ) async throws -> Outcome {
        let named = try Text.optional(supervisor, field: "--supervisor", maximum: 100)
        let note = try Text.optional(note, field: "--note", maximum: 5000, multiline: true) ?? ""
        return try await step(prelude: [try loadQuery(number, lock: true, parts: .status)]) { context in
            let proposal = try loaded(context.prelude.first, context, number)
            try authorize(.supervise, context, proposal)
            let next = try decide(.supervise, proposal)
            let held = heldOn ?? today
            context.later("""
                INSERT INTO supervision (proposal_id, supervisor, kind, held_on, note)
                SELECT \(proposal.id), coalesce(\(named), supervisor), \(kind.rawValue), \(held), \(note)
                FROM proposal WHERE id = \(proposal.id)
                """)
            auditTransition(context, proposal, .supervise, to: next, ["kind": kind.rawValue, "held_on": held.description])
            return Outcome(number: proposal.number, status: next.status.rawValue, message: "supervision (\(kind.rawValue)) recorded on \(proposal.number)")
        }
    }
}
