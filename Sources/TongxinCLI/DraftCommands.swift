import ArgumentParser
import Foundation
import TongxinBase
import Workflow
import WorkflowStore

/// `tongxin proposal draft …`: drafts (暂存) and 联名 confirmation. A member saves a draft
/// naming co-authors; each co-author confirms (or declines) it as themselves; the lead then
/// submits it, which files the proposal with those who confirmed.
struct DraftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draft",
        abstract: "Drafts (暂存) and co-authors' confirmation (联名确认) before a member's proposal is filed.",
        subcommands: [Save.self, Confirm.self, Decline.self, Submit.self, Discard.self, Show.self, List.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save a new draft, or change one (--draft D…); co-authors named are invited to confirm; a changed text asks them again.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The draft to change (default: a new one).") var draft: String?
        @Option(help: "Title, e.g. 关于……的建议.") var title: String
        @Option(help: "The text.") var body = ""
        @Option(help: "economy, urban-rural, livelihood, education-culture, ecology, agriculture, politics-law, other (or 经济建设 …).")
        var category: String
        @Option(help: "A co-author to invite (repeat for several).") var co: [String] = []
        @Option(help: "The lead (a member's own account: itself, by default).") var lead: String?
        @Option(name: .customLong("prefer-unit"), help: "A unit the author would like to handle it (repeat; at most 5).") var preferUnit: [String] = []
        @Flag(help: "The author agrees that it may be published (公开).") var publish = false
        func run() async throws {
            let (draft, title, body, category, co, lead) = (draft, title, body, category, co, lead)
            let (preferred, publish) = (preferUnit, publish)
            try await runWrite(staff) { store in
                let id = try draft.map { try DraftNumber.parse($0, field: "--draft") }
                return try await store.saveDraft(id, DraftFields(
                    title: title, body: body, category: try vocabulary(category, "--category"), coAuthors: co, lead: lead,
                    preferredUnits: preferred, publicationConsent: publish))
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An invited co-author confirms (co-signs) the draft.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The draft, e.g. D1042.") var draft: String
        func run() async throws {
            let draft = draft
            try await runWrite(staff) { try await $0.answerDraft(try DraftNumber.parse(draft), confirm: true) }
        }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An invited co-author declines to co-sign the draft.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The draft, e.g. D1042.") var draft: String
        func run() async throws {
            let draft = draft
            try await runWrite(staff) { try await $0.answerDraft(try DraftNumber.parse(draft), confirm: false) }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The lead files the draft once every co-author has answered; prints the proposal's number.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The draft, e.g. D1042.") var draft: String
        @Option(help: "The session's year (default: the year of --as-of).", transform: parseYear) var session: Int?
        func run() async throws {
            let (draft, session) = (draft, session)
            try await runWrite(staff) { try await $0.submitDraft(try DraftNumber.parse(draft), sessionYear: session) }
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The lead drops an open draft.")
        @OptionGroup var staff: StaffOptions
        @Argument(help: "The draft, e.g. D1042.") var draft: String
        func run() async throws {
            let draft = draft
            try await runWrite(staff) { try await $0.discardDraft(try DraftNumber.parse(draft)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One draft with its co-authors' answers (its lead and the invited only).")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        @Argument(help: "The draft, e.g. D1042.") var draft: String
        func run() async throws {
            try await reportingFailures {
                let draft = draft
                // The county is checked first, then the draft's number.
                let record = try await staff.withStore { try await $0.draft(try DraftNumber.parse(draft)) }
                switch output.format {
                case .json: print(try JSONOutput.render(record))
                default:
                    print("\(record.id)  \(record.title)\nstatus \(record.status) · lead \(record.lead)\(record.proposal.map { " · filed as \($0)" } ?? "")")
                    for c in record.coSigners { print("  co-author \(c.member): \(c.state)") }
                    if !record.body.isEmpty { print(record.body) }
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A member's open drafts, and those they are invited to co-sign.")
        @OptionGroup var staff: StaffOptions
        @OptionGroup var output: FormatOptions
        func run() async throws {
            try await reportingFailures {
                let (mine, invited) = try await staff.withStore { try await $0.drafts() }
                let rows = mine.map { ($0, "lead") } + invited.map { ($0, "invited") }
                try output.emit(rows.map(\.0), columns: ["draft", "as", "title", "lead", "co_authors"], rows: rows.map { r, role in
                    [r.id, role, r.title, r.lead, r.coSigners.map { "\($0.member):\($0.state)" }.joined(separator: "、")]
                })
            }
        }
    }
}
