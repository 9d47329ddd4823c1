import ArgumentParser
import Foundation
import Workflow
import WorkflowStore
import TongxinBase

/// `tongxin proposal …`: the proposal workflow (提案).
struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal",
        abstract: "File, review, assign, reply, evaluate and supervise proposals (提案).",
        subcommands: [
            File.self, DraftCommand.self, Review.self, Resubmit.self, Withdraw.self, Assign.self, Acknowledge.self, UnitReturn.self, RequestExtension.self, Extend.self, RefuseExtension.self, Opinion.self,
            Reply.self, ApproveReply.self, SendBackReply.self, Evaluate.self, Consult.self, MarkKey.self, Supervise.self, Show.self, List.self,
        ])

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "File a proposal; prints its number (e.g. 2021-057).")
        @OptionGroup var staff: StaffOptions
        @Option(help: "Title, e.g. 关于……的建议.") var title: String
        @Option(help: "The text.") var body = ""
        @Option(help: "economy, urban-rural, livelihood, education-culture, ecology, agriculture, politics-law, other (or 经济建设 …).")
        var category: String
        @Option(name: .customLong("local-category"), help: "The county's own category.") var localCategory: String?
        @Option(help: "individual, joint, sector or committee.") var kind = "individual"
        @Option(help: "The lead author (a member).") var lead: String
        @Option(help: "A co-author (repeat for several).") var co: [String] = []
        @Option(help: "The session's year (default: the year of --as-of).", transform: parseYear) var session: Int?
        @Option(help: "Keep this number (default: the next in the session).") var number: String?
        @Option(name: .customLong("prefer-unit"), help: "A unit the author would like to handle it (repeat; at most 5).") var preferUnit: [String] = []
        @Flag(help: "The author agrees that it may be published (公开).") var publish = false
        func run() async throws {
            let (title, body, category, localCategory, kind, lead, co, session, number) =
                (title, body, category, localCategory, kind, lead, co, session, number)
            let (preferred, publish) = (preferUnit, publish)
            try await runWrite(staff) { store in
                try await store.file(NewProposal(
                    title: title, body: body, category: try vocabulary(category, "--category"), localCategory: localCategory,
                    kind: try vocabulary(kind, "--kind"), lead: lead, coAuthors: co, sessionYear: session, number: number,
                    preferredUnits: preferred, publicationConsent: publish))
            }
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Review a filed proposal: --register, --decline REASON, --convert, --merge-into ID or --return.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The proposal's number.") var id: String
        @Flag(help: "Register it (立案).") var register = false
        @Option(help: "Decline it (不予立案): state-secret, personal-matter, in-litigation, product-promotion, accusation, no-concrete-proposal, outside-competence, other.")
        var decline: String?
        @Flag(help: "Convert it to an opinion (转为意见建议).") var convert = false
        @Option(name: .customLong("merge-into"), help: "Merge it into this registered proposal (并案).") var mergeInto: String?
        @Flag(name: .customLong("return"), help: "Return it to the author for revision (退回).") var returnToAuthor = false
        @Option(help: "A note for the author (the notice).") var note: String?

        func validate() throws {
            let chosen = [register, decline != nil, convert, mergeInto != nil, returnToAuthor].filter { $0 }.count
            guard chosen == 1 else {
                throw ValidationError("give exactly one of --register, --decline, --convert, --merge-into, --return")
            }
            // A note goes to the author with a decline, conversion or return; never dropped silently.
            if note != nil && (register || mergeInto != nil) {
                throw ValidationError("--note: only with --decline, --convert or --return (the notice to the author)")
            }
        }

        func run() async throws {
            let (id, register, decline, convert, mergeInto, note) = (id, register, decline, convert, mergeInto, note)
            try await runWrite(staff) { store in
                let decision: ReviewDecision
                if register {
                    decision = .register
                } else if let decline {
                    decision = .decline(try vocabulary(decline, "--decline"), note: note)
                } else if convert {
                    decision = .convert(note: note)
                } else if let mergeInto {
                    decision = .mergeInto(mergeInto)
                } else {
                    decision = .returnToAuthor(note: note)
                }
                return try await store.review(id, decision)
            }
        }
    }

    struct Resubmit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a returned, revised proposal back for review.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        func run() async throws {
            let id = id
            try await runWrite(staff) { try await $0.resubmit(id) }
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The author withdraws the proposal (撤案).")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var reason: String?
        func run() async throws {
            let (id, reason) = (id, reason)
            try await runWrite(staff) { try await $0.withdraw(id, reason: reason) }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign handling units (交办): one lead with optional co-handling units, or parallel units.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The lead unit (主办).") var lead: String?
        @Option(help: "A co-handling unit (会办; repeat for several).") var co: [String] = []
        @Option(help: "A parallel unit (分办; repeat for several).") var parallel: [String] = []
        func run() async throws {
            let (id, lead, co, parallel) = (id, lead, co, parallel)
            try await runWrite(staff) { try await $0.assign(id, lead: lead, co: co, parallel: parallel) }
        }
    }

    struct UnitReturn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unit-return", abstract: "A unit returns a wrongly assigned proposal within the county's window.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit (a unit's own account: its own, by default).") var unit: String?
        @Option var reason: String?
        func run() async throws {
            let (id, unit, reason) = (id, unit, reason)
            try await runWrite(staff) { try await $0.unitReturn(id, unit: unit, reason: reason) }
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A unit acknowledges receipt of its assignment (签收).")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit (a unit's own account: its own, by default).") var unit: String?
        func run() async throws {
            let (id, unit) = (id, unit)
            try await runWrite(staff) { try await $0.acknowledge(id, unit: unit) }
        }
    }

    struct RequestExtension: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request-extension", abstract: "A replying unit asks the office for a later deadline; the office approves (extend) or refuses.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit (a unit's own account: its own, by default).") var unit: String?
        @Option(help: "The deadline asked for, e.g. 2021-09-10.") var until: String
        @Option(help: "Why more time is needed.") var reason: String
        func run() async throws {
            let (id, unit, until, reason) = (id, unit, until, reason)
            try await runWrite(staff) { store in
                guard let day = try parseDay(until, "--until") else { throw CommandFailure(message: "--until: give a date") }
                return try await store.requestExtension(id, unit: unit, until: day, reason: reason)
            }
        }
    }

    struct RefuseExtension: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "refuse-extension", abstract: "The office refuses a unit's pending extension request.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var unit: String
        @Option(help: "Why (recorded).") var note: String?
        func run() async throws {
            let (id, unit, note) = (id, unit, note)
            try await runWrite(staff) { try await $0.refuseExtension(id, unit: unit, note: note) }
        }
    }

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Extend a unit's deadline, approving its pending request if any (default: the date it asked for, else the longest allowed).")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var unit: String
        @Option(help: "The new deadline, e.g. 2021-09-10.") var until: String?
        func run() async throws {
            let (id, unit, until) = (id, unit, until)
            try await runWrite(staff) { try await $0.extend(id, unit: unit, until: try parseDay(until, "--until")) }
        }
    }

    struct Opinion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A co-handling unit sends its opinion to the lead unit.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit (a unit's own account: its own, by default).") var unit: String?
        @Option var text: String
        func run() async throws {
            let (id, unit, text) = (id, unit, text)
            try await runWrite(staff) { try await $0.opinion(id, unit: unit, text: text) }
        }
    }

    struct Reply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A unit's written reply (答复) with its category A, B, C or D.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit (a unit's own account: its own, by default).") var unit: String?
        @Option(help: "A solved or adopted, B being solved or planned, C cannot be solved for now, D kept for reference.")
        var category: String
        @Option var text: String
        @Option(name: .customLong("document-number"), help: "The reply's document number (文号).") var documentNumber: String?
        @Option(help: "Who signed it (签发人).") var signer: String?
        @Option(help: "Whom the member may call about it.") var contact: String?
        @Option(help: "The contact's telephone.") var phone: String?
        @OptionGroup var paper: PaperOptions
        func run() async throws {
            let (id, unit, category, text) = (id, unit, category, text)
            let letter = ReplyLetter(documentNumber: documentNumber, signer: signer, contactPerson: contact, contactPhone: phone)
            let paper = paper
            try await runWrite(staff) {
                try await $0.reply(id, unit: unit, category: try vocabulary(category, "--category"), text: text, letter: letter, paper: try paper.entry())
            }
        }
    }

    struct ApproveReply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-reply",
            abstract: "Approve a unit's reply waiting for review (county setting reply_review=on), optionally correcting its category.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit whose reply it is.") var unit: String
        @Option(help: "The corrected category A–D (default: the unit's).") var category: String?
        @Option(help: "A note for the record.") var note: String?
        func run() async throws {
            let (id, unit, category, note) = (id, unit, category, note)
            try await runWrite(staff) { store in
                let corrected: ReplyCategory? = try category.map { try vocabulary($0, "--category") }
                return try await store.approveReply(id, unit: unit, category: corrected, note: note)
            }
        }
    }

    struct SendBackReply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send-back-reply", abstract: "Send a unit's reply waiting for review back, with the reason; the unit replies again.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit whose reply it is.") var unit: String
        @Option(help: "Why it goes back.") var note: String
        func run() async throws {
            let (id, unit, note) = (id, unit, note)
            try await runWrite(staff) { try await $0.sendBackReply(id, unit: unit, note: note) }
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An author rates the reply (评价).")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The member (a member's own account: themself, by default).") var member: String?
        @Option(help: "satisfied, basic or unsatisfied (满意, 基本满意, 不满意).") var rating: String
        @Option(name: .customLong("process-rating"), help: "The rating of the handling process.") var processRating: String?
        @Option var comment: String?
        @OptionGroup var paper: PaperOptions
        func run() async throws {
            let (id, member, rating, processRating, comment) = (id, member, rating, processRating, comment)
            let paper = paper
            try await runWrite(staff) { store in
                let entry = try paper.entry()
                return try await store.evaluate(
                    id, member: member, rating: try vocabulary(rating, "--rating"),
                    processRating: try processRating.map { try vocabulary($0, "--process-rating") }, comment: comment, paper: entry)
            }
        }
    }

    struct Consult: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the consultation after an unsatisfied second round; closes it.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var outcome: String
        @Option(name: .customLong("held-on")) var heldOn: String?
        func run() async throws {
            let (id, outcome, heldOn) = (id, outcome, heldOn)
            try await runWrite(staff) { try await $0.consult(id, outcome: outcome, heldOn: try parseDay(heldOn, "--held-on")) }
        }
    }

    struct MarkKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mark-key", abstract: "Mark a key proposal (重点提案) and its supervising leader.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var supervisor: String
        func run() async throws {
            let (id, supervisor) = (id, supervisor)
            try await runWrite(staff) { try await $0.markKey(id, supervisor: supervisor) }
        }
    }

    struct Supervise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a supervision activity (督办) on a key proposal.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "meeting, site-visit or other.") var kind = "meeting"
        @Option(help: "Who led it (default: the proposal's supervisor).") var supervisor: String?
        @Option var note: String?
        @Option(name: .customLong("held-on")) var heldOn: String?
        func run() async throws {
            let (id, kind, supervisor, note, heldOn) = (id, kind, supervisor, note, heldOn)
            try await runWrite(staff) { store in
                try await store.supervise(
                    id, supervisor: supervisor, kind: try vocabulary(kind, "--kind"), note: note, heldOn: try parseDay(heldOn, "--held-on"))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything about a proposal, with its timeline.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Argument var id: String
        func run() async throws {
            try await reportingFailures {
                let detail = try await staff.withStore { try await $0.show(id) }
                switch output.format {
                case .json: print(try JSONOutput.render(detail))
                case .csv:
                    try output.emit(detail, columns: ["number", "title", "status", "category", "kind", "authors", "units"], rows: [[
                        detail.number, detail.title, detail.status, detail.category, detail.kind,
                        detail.authors.map(\.member).joined(separator: "、"), detail.assignments.map(\.unit).joined(separator: "、"),
                    ]])
                case .table: print(ProposalText.lines(detail).joined(separator: "\n"))
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List proposals (filters combine).")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option var status: String?
        @Option(help: "Assigned to this unit.") var unit: String?
        @Option var category: String?
        @Option(help: "The session's year.", transform: parseYear) var session: Int?
        @Flag(help: "Only proposals with an unanswered deadline passed.") var overdue = false
        @Flag(help: "Only key proposals.") var key = false
        func run() async throws {
            try await reportingFailures {
                let filter = ProposalFilter(
                    status: try status.map { try vocabulary($0, "--status") }, unit: unit,
                    category: try category.map { try vocabulary($0, "--category") }, session: session, overdue: overdue, key: key)
                let rows = try await staff.withStore { try await $0.list(filter) }
                try output.emit(rows, columns: ["number", "title", "status", "category", "lead", "units", "due_on", "overdue", "key"], rows: rows.map {
                    [$0.number, $0.title, $0.status, $0.category, $0.lead, $0.units, $0.dueOn?.description ?? "",
                     $0.overdue ? "yes" : "", $0.key ? "yes" : ""]
                })
            }
        }
    }
}

/// `proposal show` as text for people.
enum ProposalText {
    static func lines(_ d: ProposalDetail) -> [String] {
        var out = ["\(d.number)  \(d.title)"]
        var facts = "status \(d.status)"
        if d.round > 1 { facts += " (round \(d.round))" }
        facts += " · \(ProposalCategory(rawValue: d.category)?.chinese ?? d.category) · \(ProposalKind(rawValue: d.kind)?.chinese ?? d.kind)"
        facts += " · session \(d.session)\(d.filedDuring == "between_sessions" ? " (between sessions)" : "")"
        if d.key { facts += " · key proposal, supervised by \(d.supervisor ?? "")" }
        out.append(facts)
        if let reason = d.declineReason { out.append("declined: \(reason)") }
        if let into = d.mergedInto { out.append("merged into \(into): its handling below") }
        if !d.merged.isEmpty { out.append("merged into this one: \(d.merged.joined(separator: ", "))") }
        if d.needsConsultation { out.append("a consultation is due (proposal consult)") }
        out.append("authors: " + d.authors.map { $0.member + ($0.lead ? " (lead)" : "") }.joined(separator: "、"))
        if !d.preferredUnits.isEmpty { out.append("preferred units: " + d.preferredUnits.joined(separator: "、")) }
        if d.publicationConsent { out.append("the authors agree to publication") }
        if !d.body.isEmpty { out.append("") ; out.append(d.body) }
        if !d.assignments.isEmpty {
            out.append("")
            out.append(TextTable(
                columns: ["unit", "role", "assigned", "due", "replied", "category", "state"],
                rows: d.assignments.map {
                    [$0.unit, $0.role, LocalTime.display($0.assignedAt), $0.dueAt.description + ($0.extended ? " (extended)" : ""),
                     $0.repliedAt.shown, $0.replyCategory.shown,
                     $0.returnedAt != nil ? "returned" : $0.overdue ? "OVERDUE" : ""]
                }).render())
        }
        for reply in d.replies {
            var letter = [reply.documentNumber.map { "文号 \($0)" }, reply.signer.map { "签发人 \($0)" },
                          reply.contactPerson.map { "contact \($0)" }, reply.contactPhone].compactMap { $0 }
            if let from = reply.correctedFrom { letter.append("category corrected from \(from) by \(reply.reviewedBy ?? "")") }
            out.append("reply from \(reply.unit), round \(reply.round), \(reply.category), \(LocalTime.display(reply.repliedAt)): \(reply.text)"
                       + (letter.isEmpty ? "" : " (\(letter.joined(separator: ", ")))"))
        }
        for reply in d.repliesAwaitingReview {
            out.append("awaiting review: reply from \(reply.unit), \(reply.category), \(LocalTime.display(reply.repliedAt)): \(reply.text)")
        }
        for opinion in d.opinions {
            out.append("opinion of \(opinion.unit), \(LocalTime.display(opinion.sentAt)): \(opinion.text)")
        }
        for e in d.evaluations {
            out.append("rated by \(e.member), round \(e.round): \(e.rating)\(e.processRating.map { ", process \($0)" } ?? "")\(e.comment.map { " — \($0)" } ?? "")")
        }
        for c in d.consultations { out.append("consultation on \(c.heldOn): \(c.outcome)") }
        for s in d.supervisions { out.append("supervision (\(s.kind)) by \(s.supervisor) on \(s.heldOn)\(s.note.isEmpty ? "" : ": \(s.note)")") }
        if !d.timeline.isEmpty {
            out.append("")
            out.append(TextTable(columns: ["when", "who", "what", "detail"], rows: d.timeline.map {
                [LocalTime.display($0.at), $0.actor, $0.action,
                 $0.detail.filter { $0.key != "title" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
            }).render())
        }
        return out
    }
}

/// `tongxin suggestion …`: micro-suggestions (微建议).
struct SuggestionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggestion", abstract: "Micro-suggestions (微建议): file, route to a unit, reply, evaluate.",
        subcommands: [File.self, Route.self, Reject.self, Reply.self, Evaluate.self, List.self, Show.self])

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "File a micro-suggestion; prints its number (e.g. W2021-007).")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The member (a member's own account: themself, by default).") var member: String?
        @Option var title: String
        @Option var body = ""
        func run() async throws {
            let (member, title, body) = (member, title, body)
            try await runWrite(staff) { try await $0.fileSuggestion(member: member, title: title, body: body) }
        }
    }

    struct Route: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Route it to one unit; due in the county's working days (default 15).")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var unit: String
        func run() async throws {
            let (id, unit) = (id, unit)
            try await runWrite(staff) { try await $0.routeSuggestion(id, unit: unit) }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject one that is not a concrete small issue.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var reason: String
        func run() async throws {
            let (id, reason) = (id, reason)
            try await runWrite(staff) { try await $0.rejectSuggestion(id, reason: reason) }
        }
    }

    struct Reply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The unit's reply.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option(help: "The unit (default: the one it was routed to).") var unit: String?
        @Option var text: String
        func run() async throws {
            let (id, unit, text) = (id, unit, text)
            try await runWrite(staff) { try await $0.replySuggestion(id, unit: unit, text: text) }
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The member's feedback; closes it.")
        @OptionGroup var staff: StaffOptions
        @Argument var id: String
        @Option var rating: String
        @OptionGroup var paper: PaperOptions
        func run() async throws {
            let (id, rating) = (id, rating)
            let paper = paper
            try await runWrite(staff) { try await $0.evaluateSuggestion(id, rating: try vocabulary(rating, "--rating"), paper: try paper.entry()) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List micro-suggestions.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Option var status: String?
        @Option(transform: parseYear) var year: Int?
        func run() async throws {
            try await reportingFailures {
                let status: SuggestionStatus? = try status.map { try vocabulary($0, "--status") }
                let records = try await staff.withStore { try await $0.suggestions(status: status, year: year) }
                try output.emit(records, columns: ["number", "member", "title", "status", "unit", "due_on", "on_time", "rating"], rows: records.map(row))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One micro-suggestion.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Argument var id: String
        func run() async throws {
            try await reportingFailures {
                let record = try await staff.withStore { try await $0.suggestion(id) }
                if output.format == .table {
                    print("\(record.number)  \(record.title)\nstatus \(record.status) · filed by \(record.member) \(LocalTime.display(record.filedAt))")
                    if let unit = record.unit { print("routed to \(unit), due \(record.dueOn?.description ?? "")") }
                    if !record.body.isEmpty { print(record.body) }
                    if let reply = record.replyText { print("reply \(record.repliedAt.shown)\(record.onTime == false ? " (late)" : ""): \(reply)") }
                    if let rating = record.rating { print("rated \(rating)") }
                } else {
                    try output.emit(record, columns: ["number", "member", "title", "status", "unit", "due_on", "on_time", "rating"], rows: [row(record)])
                }
            }
        }
    }

    static func row(_ r: SuggestionRecord) -> [String] {
        [r.number, r.member, r.title, r.status, r.unit.shown, r.dueOn?.description ?? "", r.onTime.map { $0 ? "yes" : "no" } ?? "", r.rating.shown]
    }
}

/// An act entered by staff from a paper form (代录): `--on-behalf --paper-date D --note N`.
struct PaperOptions: ParsableArguments {
    @Flag(name: .customLong("on-behalf"), help: "Staff enter the person's act from a paper form (recorded as entered on their behalf).")
    var onBehalf = false
    @Option(name: .customLong("paper-date"), help: "With --on-behalf: the day on the paper (the step takes effect then; default the step's day).")
    var paperDate: String?
    @Option(help: "With --on-behalf: a note on the paper form (why it is entered by staff).")
    var note: String?

    func entry() throws -> PaperEntry? {
        guard onBehalf else {
            if paperDate != nil || note != nil { throw CommandFailure(message: "--paper-date and --note go with --on-behalf") }
            return nil
        }
        guard let note else { throw CommandFailure(message: "--note: an entry on behalf says why (e.g. 纸质征询意见表)") }
        return try PaperEntry(day: try parseDay(paperDate, "--paper-date"), note: note)
    }
}
