public import Foundation
import PostgresClient
import TongxinBase
public import Workflow

/// A draft proposal (暂存) with its co-authors' answers (联名确认).
public struct DraftRecord: Codable, Sendable {
    public struct CoSigner: Codable, Sendable {
        public var member: String
        public var state: String
        public var answeredAt: Date?
        enum CodingKeys: String, CodingKey {
            case member, state
            case answeredAt = "answered_at"
        }
    }

    public var id: String
    public var lead: String
    public var title: String
    public var body: String
    public var category: String
    public var status: String
    public var coSigners: [CoSigner]
    public var createdAt: Date
    public var updatedAt: Date
    /// The proposal it became.
    public var proposal: String?
    public var preferredUnits: [String]
    public var publicationConsent: Bool

    enum CodingKeys: String, CodingKey {
        case id, lead, title, body, category, status, proposal
        case preferredUnits = "preferred_units"
        case publicationConsent = "publication_consent"
        case coSigners = "co_signers"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A draft's fields as the lead saves them.
public struct DraftFields: Sendable {
    public var title: String
    public var body: String
    public var category: ProposalCategory
    public var coAuthors: [String]
    /// The lead (a member's name): the member's own when a member saves it.
    public var lead: String?
    public var preferredUnits: [String]
    public var publicationConsent: Bool

    public init(title: String, body: String = "", category: ProposalCategory, coAuthors: [String] = [], lead: String? = nil,
                preferredUnits: [String] = [], publicationConsent: Bool = false) {
        self.preferredUnits = preferredUnits
        self.publicationConsent = publicationConsent
        self.title = title
        self.body = body
        self.category = category
        self.coAuthors = coAuthors
        self.lead = lead
    }
}

/// Draft numbers: `D` and the id (D1042), as lists and the CLI show them.
public enum DraftNumber {
    public static func parse(_ text: String, field: String = "draft") throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.hasPrefix("D") || trimmed.hasPrefix("d") ? String(trimmed.dropFirst()) : trimmed
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCII), let id = Int64(digits), id > 0 else {
            throw WorkflowError(notFound: "\(field): \"\(trimmed.prefix(40))\" is not a draft number like D1042")
        }
        return id
    }

    public static func format(_ id: Int64) -> String { "D\(id)" }
}

extension WorkflowStore {
    private static let draftColumns: PostgresQuery = """
        d.id, m.name, d.title, d.body, d.category, d.status, d.created_at, d.updated_at, p.number, d.lead_id,
        coalesce((SELECT array_agg(cm.name || '|' || c.state || '|' || coalesce(extract(epoch FROM c.answered_at)::text, '')
                                   ORDER BY c.invited_at, cm.name)
                  FROM draft_cosigner c JOIN member cm ON cm.id = c.member_id WHERE c.draft_id = d.id), '{}'),
        coalesce((SELECT array_agg(c.member_id) FROM draft_cosigner c WHERE c.draft_id = d.id), '{}'),
        d.preferred_units, d.publication_consent
        FROM proposal_draft d JOIN member m ON m.id = d.lead_id LEFT JOIN proposal p ON p.id = d.proposal_id
        """

    /// A draft row, with the members who may see it (the lead, then the invited).
    private func decodeDraft(_ row: PostgresRow) throws -> (record: DraftRecord, lead: Int64, invited: [Int64]) {
        let (id, lead, title, body, category, status, created, updated, number, leadID, signers, invited, preferred, consent) =
            try row.decode((Int64, String, String, String, String, String, Date, Date, String?, Int64, [String], [Int64], [String], Bool).self)
        let coSigners = signers.map { text -> DraftRecord.CoSigner in
            let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let at = parts.count > 2 ? Double(parts[2]).map { Date(timeIntervalSince1970: $0) } : nil
            return DraftRecord.CoSigner(member: parts.first ?? "", state: parts.count > 1 ? parts[1] : "", answeredAt: at)
        }
        return (DraftRecord(
            id: DraftNumber.format(id), lead: lead, title: title, body: body, category: category, status: status,
            coSigners: coSigners, createdAt: created, updatedAt: updated, proposal: number, preferredUnits: preferred,
            publicationConsent: consent), leadID, invited)
    }

    private func draftQuery(_ id: Int64, lock: Bool) -> PostgresQuery {
        lock ? "SELECT \(fragment: Self.draftColumns) WHERE d.id = \(id) FOR UPDATE OF d" : "SELECT \(fragment: Self.draftColumns) WHERE d.id = \(id)"
    }

    /// The draft as the rules see it, refused (as "no draft") to anyone who may not `action` it.
    private func loadedDraft(_ rows: PostgresRows?, _ context: Context, _ id: Int64, _ action: Action, coSigner: Bool = false)
        throws -> (record: DraftRecord, state: DraftState, lead: Int64)
    {
        guard let row = rows?.first else { throw WorkflowError(notFound: "no draft \(DraftNumber.format(id)) in county \(county)") }
        let (record, lead, invited) = try decodeDraft(row)
        let owners: Set<Int64> = coSigner ? Set(invited) : [lead]
        let readers: Set<Int64> = Set([lead] + invited)
        // Someone who may not even read it sees no draft.
        if case .refused = Permissions.may(principal, action, Target(county: county.value, authors: readers, training: context.training)) {
            throw WorkflowError(notFound: "no draft \(DraftNumber.format(id)) in county \(county)")
        }
        try authorize(action, Target(county: county.value, authors: owners, training: context.training))
        let state = DraftState(
            status: DraftStatus(rawValue: record.status) ?? .open, lead: record.lead,
            coSigners: record.coSigners.map { ($0.member, CoSignState(rawValue: $0.state) ?? .invited) })
        return (record, state, lead)
    }

    /// Saves a new draft (`id` nil) or changes an open one: co-authors added are invited,
    /// those removed are dropped; a changed title, body or category asks everyone again.
    @discardableResult
    public func saveDraft(_ id: Int64?, _ fields: DraftFields) async throws -> Outcome {
        let title = try Text.required(fields.title, field: "title", maximum: 300)
        let body = try Text.optional(fields.body, field: "body", maximum: 50_000, multiline: true) ?? ""
        let coAuthors = try fields.coAuthors.map { try Text.required($0, field: "co_authors", maximum: 100) }
        let named = try Text.optional(fields.lead, field: "--lead", maximum: 100)
        let preferred = try CheckedProposal.units(fields.preferredUnits)
        let consent = fields.publicationConsent
        let prelude: [PostgresQuery] = id.map { [draftQuery($0, lock: true)] } ?? []
        return try await step(prelude: prelude) { context in
            if principal.role != .member {
                // Drafts are members' own (an operator replays them in a training county).
                try authorize(.draftProposal, Target(county: county.value, training: context.training))
            }
            // A member's draft is their own; anyone else (an operator replaying) names its lead.
            let lead = try await actingMember(context, named: named, field: "--lead").name
            let members = try await memberIDs(context, [lead] + coAuthors, field: "co_authors")
            guard let leadID = members[lead] else { throw WorkflowError("--lead: no member \(lead)") }
            var state = DraftState(lead: lead)
            var draftID: Int64
            if let id {
                let loaded = try loadedDraft(context.prelude.first, context, id, .draftProposal)
                let changed = loaded.record.title != title || loaded.record.body != body || loaded.record.category != fields.category.rawValue
                state = try DraftMachine.apply(.edit(coAuthors: coAuthors, textChanged: changed), to: loaded.state)
                draftID = id
                try await context.tx.query("""
                    UPDATE proposal_draft SET title = \(title), body = \(body), category = \(fields.category.rawValue), updated_at = \(now),
                        preferred_units = \(preferred)::text[], publication_consent = \(consent)
                    WHERE id = \(id)
                    """)
                try await context.tx.query("DELETE FROM draft_cosigner WHERE draft_id = \(id)")
            } else {
                try authorize(.draftProposal, Target(county: county.value, authors: [leadID], training: context.training))
                state = try DraftMachine.apply(.edit(coAuthors: coAuthors, textChanged: false), to: state)
                draftID = try await context.tx.query("""
                    INSERT INTO proposal_draft (lead_id, title, body, category, created_at, updated_at, preferred_units, publication_consent)
                    VALUES (\(leadID), \(title), \(body), \(fields.category.rawValue), \(now), \(now), \(preferred)::text[], \(consent))
                    RETURNING id
                    """).single().decode(Int64.self)
            }
            let ids = state.coSigners.compactMap { members[$0.member] }
            let states = state.coSigners.map(\.state.rawValue)
            if !ids.isEmpty {
                try await context.tx.query("""
                    INSERT INTO draft_cosigner (draft_id, member_id, state, invited_at, answered_at)
                    SELECT \(draftID), m, s, \(now) + make_interval(secs => n::float8 / 1000), CASE WHEN s = 'invited' THEN NULL ELSE \(now) END
                    FROM unnest(\(ids)::bigint[], \(states)::text[]) WITH ORDINALITY AS x(m, s, n)
                    """)
            }
            let number = DraftNumber.format(draftID)
            audit(context, entity: "draft", id: number, action: id == nil ? "draft" : "edit", detail: [
                "title": title, "co_authors": coAuthors.joined(separator: "、"),
            ])
            let message = state.pending.isEmpty
                ? "saved draft \(number); file it with `proposal draft submit \(number)`"
                : "saved draft \(number); waiting for \(state.pending.joined(separator: "、")) to confirm"
            return Outcome(number: number, status: "open", message: message)
        }
    }

    /// A co-author's answer to the invitation: confirm (co-sign) or decline.
    @discardableResult
    public func answerDraft(_ id: Int64, confirm: Bool) async throws -> Outcome {
        try await step(prelude: [draftQuery(id, lock: true)]) { context in
            let loaded = try loadedDraft(context.prelude.first, context, id, .coSign, coSigner: true)
            guard principal.role == .member else {
                throw WorkflowError("not allowed: \(principal.login) (\(principal.role.rawValue)) may not proposal.co-sign: only the invited member answers")
            }
            let (member, own) = try await actingMember(context, named: nil)
            _ = try DraftMachine.apply(confirm ? .confirm(member: own) : .decline(member: own), to: loaded.state)
            try await context.tx.query("""
                UPDATE draft_cosigner SET state = \(confirm ? "confirmed" : "declined"), answered_at = \(now)
                WHERE draft_id = \(id) AND member_id = \(member)
                """)
            let number = DraftNumber.format(id)
            audit(context, entity: "draft", id: number, action: confirm ? "co-sign" : "decline", detail: ["member": own])
            return Outcome(number: number, status: "open", message: confirm ? "\(own) co-signs draft \(number)" : "\(own) declines to co-sign draft \(number)")
        }
    }

    /// The lead files the draft once every co-author has answered: a proposal with its number,
    /// those who confirmed as co-authors (joint), in one transaction.
    @discardableResult
    public func submitDraft(_ id: Int64, sessionYear: Int? = nil) async throws -> Outcome {
        do {
            return try await step(prelude: [draftQuery(id, lock: true)]) { context in
                let loaded = try loadedDraft(context.prelude.first, context, id, .draftProposal)
                let next = try DraftMachine.apply(.submit, to: loaded.state)
                let category = ProposalCategory(rawValue: loaded.record.category) ?? .other
                let coAuthors = next.confirmed
                let checked = try CheckedProposal(NewProposal(
                    title: loaded.record.title, body: loaded.record.body, category: category,
                    kind: coAuthors.isEmpty ? .individual : .joint, lead: loaded.record.lead, coAuthors: coAuthors,
                    sessionYear: sessionYear, preferredUnits: loaded.record.preferredUnits,
                    publicationConsent: loaded.record.publicationConsent), today: today)
                let number = try await insert(context, checked, filedAt: now)
                context.later("""
                    UPDATE proposal_draft SET status = 'submitted', updated_at = \(now),
                        proposal_id = (SELECT id FROM proposal WHERE number = \(number))
                    WHERE id = \(id)
                    """)
                audit(context, entity: "draft", id: DraftNumber.format(id), action: "submit", detail: ["proposal": number])
                return Outcome(number: number, status: "filed", message: "filed \(number) \(loaded.record.title) (from draft \(DraftNumber.format(id)))")
            }
        } catch let error as PostgresError where error.constraint == "session_last_number_check" {
            throw Self.numbersUsedUp(sessionYear ?? today.year)
        }
    }

    /// The lead drops an open draft.
    @discardableResult
    public func discardDraft(_ id: Int64) async throws -> Outcome {
        try await step(prelude: [draftQuery(id, lock: true)]) { context in
            let loaded = try loadedDraft(context.prelude.first, context, id, .draftProposal)
            _ = try DraftMachine.apply(.discard, to: loaded.state)
            context.later("UPDATE proposal_draft SET status = 'discarded', updated_at = \(now) WHERE id = \(id)")
            let number = DraftNumber.format(id)
            audit(context, entity: "draft", id: number, action: "discard")
            return Outcome(number: number, status: "discarded", message: "discarded draft \(number)")
        }
    }

    /// One draft, for its lead and its invited co-authors.
    public func draft(_ id: Int64) async throws -> DraftRecord {
        try await read(prelude: [draftQuery(id, lock: false)]) { context in
            let (record, lead, invited) = try decodeDraft(try context.prelude.first?.first ?? { throw WorkflowError(notFound: "no draft \(DraftNumber.format(id)) in county \(county)") }())
            let readers = Set([lead] + invited)
            if case .refused = Permissions.may(principal, .draftProposal, Target(county: county.value, authors: readers, training: context.training)) {
                throw WorkflowError(notFound: "no draft \(DraftNumber.format(id)) in county \(county)")
            }
            return record
        }
    }

    /// The member's drafts: open ones they lead, and open ones they are invited to co-sign
    /// (`invited`); newest first.
    public func drafts() async throws -> (mine: [DraftRecord], invited: [DraftRecord]) {
        try await read { context in
            try authorize(.draftProposal, Target(county: county.value, authors: principal.memberID.map { [$0] } ?? [], training: context.training))
            let member = principal.memberID ?? -1
            let all = principal.role == .member ? false : true
            let rows = try await context.tx.query("""
                SELECT \(fragment: Self.draftColumns)
                WHERE d.status = 'open' AND (\(all) OR d.lead_id = \(member)
                      OR EXISTS (SELECT 1 FROM draft_cosigner c WHERE c.draft_id = d.id AND c.member_id = \(member)))
                ORDER BY d.updated_at DESC LIMIT 500
                """)
            var mine: [DraftRecord] = []
            var invited: [DraftRecord] = []
            for row in rows {
                let (record, lead, _) = try decodeDraft(row)
                if all || lead == member { mine.append(record) } else { invited.append(record) }
            }
            return (mine, invited)
        }
    }
}
