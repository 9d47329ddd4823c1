import Counties
public import Foundation
public import JobQueue
public import PostgresClient
import Workflow
import TongxinBase

/// What the worker's watchers do when they wake: inside the job's transaction (so the job's
/// database effects and its completion commit together), they read the state, write what is
/// due — notifications in the outbox, overdue marks and closings in the audit log — and say
/// when to wake next.
extension WorkflowStore {
    /// The proposal office, as a notification's recipient.
    public static let office = "提案委"

    /// A watcher's outcome: wake again at `next`, or never (nil); and what it decided to
    /// write, for the caller to commit with the job's completion.
    public struct WatchResult: Sendable {
        public var next: Date?
        /// The notifications written (their kinds), for logs and tests.
        public var notified: [String]
        public var writes = PendingWrites()
    }

    /// A watch: `body` inside the open transaction `tx` (a job's): the county check and the
    /// prelude in one round trip, then `body`. Its writes are not sent: they come back in the
    /// result for the job to send with its completion, in one round trip with the other jobs'
    /// of its batch. An archived or missing county gives no writes and no next wake: its clocks
    /// stop.
    private func watch(
        on tx: PostgresConnection, prelude: [PostgresQuery], _ body: (Context) async throws -> WatchResult
    ) async throws -> WatchResult {
        let rows = try await tx.pipeline([countyCheck] + prelude)
        guard let (active, settings, training, serverNow) = try checkedCounty(rows), active else { return WatchResult(next: nil, notified: []) }
        let batch = Batch(county: county, today: today)
        let context = Context(
            tx: tx, settings: settings, training: training, serverNow: serverNow, schema: county.schema,
            prelude: Array(rows.dropFirst()), batch: batch)
        let result = try await body(context)
        _ = askRollups(batch)
        // The county's schema for its own statements: they run at the batch's commit, after
        // other counties' jobs have set theirs.
        try batch.drain(into: result.writes, settingSearchPath: county.schema)
        return result
    }

    /// Queues a notification in the outbox and its delivery job. `event` makes the idempotency
    /// key (with the county).
    func notify(_ context: Context, kind: String, recipient: String, subject: String, message: String, event: String) throws {
        let (statement, delivery) = try Outbox.add(
            county: county.value, kind: kind, recipient: recipient, subject: subject, message: message, key: "\(county):\(event)", at: now)
        context.batch.append(.control(statement))
        try schedule(context, [delivery])
    }

    /// Milestones that came due since the watcher was scheduled (`since`, its run time) up to now.
    func due(_ milestones: [Clocks.Milestone], since: Date) -> [Clocks.Milestone] {
        Clocks.due(milestones, since: since, now: now)
    }

    func next(_ milestones: [Clocks.Milestone]) -> Date? { Clocks.next(milestones, after: now) }

    // MARK: A unit's deadline

    /// `deadline.watch`: reminds the unit before its deadline, marks the proposal overdue when
    /// the day is over, escalates to the office later. Stops once the unit replied or returned
    /// the proposal, the deadline changed, or the round is over.
    public func watchDeadline(_ args: WorkflowJobs.DeadlineArgs, since: Date, on tx: PostgresConnection) async throws -> WatchResult {
        let load: PostgresQuery = """
            SELECT p.number, p.title, p.status, p.round, a.due_on, a.replied_at IS NOT NULL, u.name
            FROM assignment a JOIN proposal p ON p.id = a.proposal_id JOIN unit u ON u.id = a.unit_id
            WHERE a.proposal_id = \(args.proposal) AND a.unit_id = \(args.unit) AND a.returned_at IS NULL AND a.role <> 'co'
            ORDER BY a.id DESC LIMIT 1
            FOR UPDATE OF p
            """
        return try await watch(on: tx, prelude: [load]) { context -> WatchResult in
            guard let row = context.prelude.first?.first else { return WatchResult(next: nil, notified: []) }
            let (number, title, status, round, dueOn, replied, unit) = try row.decode((String, String, String, Int, CalendarDate, Bool, String).self)
            guard !replied, round == args.round, dueOn.description == args.due,
                  status == ProposalStatus.assigned.rawValue || status == ProposalStatus.rehandling.rawValue
            else { return WatchResult(next: nil, notified: []) }
            let milestones = try Clocks.deadline(due: dueOn, start: .distantPast, rules: WorkflowJobs.rules(context.settings))
            let due = due(milestones, since: since)
            var notified: [String] = []
            let event = "deadline:\(args.proposal):\(args.unit):\(args.round):\(args.due)"
            let name = "提案 \(number)《\(title.prefix(40))》"
            if due.contains(where: { $0.name == "overdue" }) {
                try notify(context, kind: "deadline.overdue", recipient: unit, subject: number,
                           message: "\(name)的办理期限（\(dueOn)）已过，尚未答复，请尽快答复。", event: event + ":overdue")
                audit(context, entity: "proposal", id: number, action: "overdue", detail: ["unit": unit, "due_on": dueOn.description, "round": String(round)])
                notified.append("deadline.overdue")
            } else if let reminder = due.last(where: { $0.name.hasPrefix("remind-") }) {
                let days = reminder.name.dropFirst("remind-".count)
                try notify(context, kind: "deadline.remind", recipient: unit, subject: number,
                           message: "\(name)距办理期限（\(dueOn)）还有 \(days) 天，请按时答复。", event: event + ":" + reminder.name)
                notified.append("deadline.remind")
            }
            if due.contains(where: { $0.name == "escalate" }) {
                let late = today.daysSinceEpoch - dueOn.daysSinceEpoch
                try notify(context, kind: "deadline.escalate", recipient: Self.office, subject: number,
                           message: "\(name)由\(unit)办理，已超期 \(late) 天未答复，请督办。", event: event + ":escalate")
                audit(context, entity: "proposal", id: number, action: "escalate", detail: ["unit": unit, "due_on": dueOn.description, "days_late": String(late)])
                notified.append("deadline.escalate")
            }
            return WatchResult(next: next(milestones), notified: notified)
        }
    }

    // MARK: A co-handling unit's view

    /// `opinion.watch`: reminds a co-handling unit to send its view to the lead unit, and says
    /// so to both when the month is over. Stops once the view is sent.
    public func watchOpinion(_ args: WorkflowJobs.OpinionArgs, since: Date, on tx: PostgresConnection) async throws -> WatchResult {
        let load: PostgresQuery = """
            SELECT p.number, p.title, p.status, u.name,
                   EXISTS (SELECT 1 FROM co_opinion o WHERE o.assignment_id = a.id),
                   (SELECT lu.name FROM assignment la JOIN unit lu ON lu.id = la.unit_id
                    WHERE la.proposal_id = p.id AND la.role = 'lead' AND la.returned_at IS NULL ORDER BY la.id DESC LIMIT 1)
            FROM assignment a JOIN proposal p ON p.id = a.proposal_id JOIN unit u ON u.id = a.unit_id
            WHERE a.proposal_id = \(args.proposal) AND a.unit_id = \(args.unit) AND a.returned_at IS NULL AND a.role = 'co'
            ORDER BY a.id DESC LIMIT 1
            """
        return try await watch(on: tx, prelude: [load]) { context -> WatchResult in
            guard let row = context.prelude.first?.first else { return WatchResult(next: nil, notified: []) }
            let (number, title, status, unit, sent, lead) = try row.decode((String, String, String, String, Bool, String?).self)
            guard !sent, status == ProposalStatus.assigned.rawValue || status == ProposalStatus.rehandling.rawValue,
                  let dueOn = try? CalendarDate(args.due)
            else { return WatchResult(next: nil, notified: []) }
            let milestones = try Clocks.opinion(due: dueOn, start: .distantPast, rules: WorkflowJobs.rules(context.settings))
            let due = due(milestones, since: since)
            let event = "opinion:\(args.proposal):\(args.unit):\(args.due)"
            let name = "提案 \(number)《\(title.prefix(40))》"
            var notified: [String] = []
            if due.contains(where: { $0.name == "overdue" }) {
                try notify(context, kind: "opinion.overdue", recipient: unit, subject: number,
                           message: "\(name)的会办意见应于 \(dueOn) 前送\(lead ?? "主办单位")，尚未送达。", event: event + ":overdue")
                if let lead {
                    try notify(context, kind: "opinion.overdue", recipient: lead, subject: number,
                               message: "\(name)的会办单位\(unit)尚未送达会办意见（应于 \(dueOn) 前）。", event: event + ":overdue-lead")
                }
                notified.append("opinion.overdue")
            } else if due.contains(where: { $0.name == "remind" }) {
                try notify(context, kind: "opinion.remind", recipient: unit, subject: number,
                           message: "请于 \(dueOn) 前将\(name)的会办意见送\(lead ?? "主办单位")。", event: event + ":remind")
                notified.append("opinion.remind")
            }
            return WatchResult(next: next(milestones), notified: notified)
        }
    }

    // MARK: The evaluation window

    /// `evaluation.watch`: reminds the authors who have not rated, and when the window is over
    /// closes the proposal by the county's setting (not evaluated, or deemed satisfied).
    public func watchEvaluation(_ args: WorkflowJobs.EvaluationArgs, since: Date, on tx: PostgresConnection) async throws -> WatchResult {
        return try await watch(on: tx, prelude: [loadQuery(id: args.proposal, lock: true)]) { context -> WatchResult in
            guard let rows = context.prelude.first, !rows.isEmpty else { return WatchResult(next: nil, notified: []) }
            let proposal = try loaded(rows, context, "#\(args.proposal)")
            guard proposal.state.status == .replied, proposal.state.round == args.round, !proposal.state.needsConsultation,
                  let ends = proposal.state.evaluationWindowEnds
            else { return WatchResult(next: nil, notified: []) }
            let milestones = try Clocks.evaluation(ends: ends, start: .distantPast, rules: WorkflowJobs.rules(context.settings))
            let due = due(milestones, since: since)
            let rated = Set((proposal.state.ratings[proposal.state.round] ?? [:]).keys)
            let waiting = proposal.state.raters.subtracting(rated).sorted()
            let event = "evaluation:\(args.proposal):\(args.round)"
            var notified: [String] = []
            if due.contains(where: { $0.name == "close" }) {
                let deem = context.settings.afterEvaluationWindow == "satisfied"
                let closing = ProposalEvent.closeEvaluation(on: today, deemSatisfied: deem)
                let next = try decide(closing, proposal)
                if deem {
                    context.later("""
                        INSERT INTO evaluation (proposal_id, member_id, round, rating, comment, evaluated_at)
                        SELECT \(proposal.id), m.id, \(proposal.state.round), 'satisfied', '评价期满，视为满意', \(now)
                        FROM member m WHERE m.name = ANY(\(waiting))
                        """)
                }
                context.later("""
                    UPDATE proposal SET status = 'closed', closed_at = \(now), updated_at = \(now) WHERE id = \(proposal.id)
                    """)
                audit(context, entity: "proposal", id: proposal.number, action: closing.name, detail: [
                    "from": proposal.state.status.rawValue, "to": next.status.rawValue, "window_ended": ends.description,
                    "unrated": waiting.joined(separator: ","), "counted_as": deem ? "satisfied" : "not_evaluated",
                ])
                try notify(context, kind: "evaluation.closed", recipient: Self.office, subject: proposal.number,
                           message: "提案 \(proposal.number) 的评价期已于 \(ends) 结束，\(waiting.count) 位提案人未评价，按\(deem ? "满意" : "未评价")办结。",
                           event: event + ":close")
                notified.append("evaluation.closed")
                return WatchResult(next: nil, notified: notified)
            }
            if due.contains(where: { $0.name == "remind" }) {
                for member in waiting {
                    try notify(context, kind: "evaluation.remind", recipient: member, subject: proposal.number,
                               message: "请于 \(ends) 前对提案 \(proposal.number) 的办理答复进行评价。", event: event + ":remind:\(member)")
                    notified.append("evaluation.remind")
                }
            }
            return WatchResult(next: next(milestones), notified: notified)
        }
    }

    // MARK: Micro-suggestions

    /// `suggestion.watch`: reminds the unit before a micro-suggestion's reply is due, marks it
    /// overdue when the day is over.
    public func watchSuggestion(_ args: WorkflowJobs.SuggestionArgs, since: Date, on tx: PostgresConnection) async throws -> WatchResult {
        let load: PostgresQuery = """
            SELECT s.number, s.title, s.status, s.due_on, u.name FROM micro_suggestion s JOIN unit u ON u.id = s.unit_id
            WHERE s.id = \(args.suggestion) FOR UPDATE OF s
            """
        return try await watch(on: tx, prelude: [load]) { context -> WatchResult in
            guard let row = context.prelude.first?.first else { return WatchResult(next: nil, notified: []) }
            let (number, title, status, dueOn, unit) = try row.decode((String, String, String, CalendarDate?, String).self)
            guard status == SuggestionStatus.routed.rawValue, let dueOn, dueOn.description == args.due else {
                return WatchResult(next: nil, notified: [])
            }
            let milestones = try Clocks.suggestion(due: dueOn, start: .distantPast, rules: WorkflowJobs.rules(context.settings))
            let due = due(milestones, since: since)
            let event = "suggestion:\(args.suggestion):\(args.due)"
            var notified: [String] = []
            if due.contains(where: { $0.name == "overdue" }) {
                try notify(context, kind: "suggestion.overdue", recipient: unit, subject: number,
                           message: "微建议 \(number)《\(title.prefix(40))》应于 \(dueOn) 前答复，已逾期。", event: event + ":overdue")
                audit(context, entity: "suggestion", id: number, action: "overdue", detail: ["unit": unit, "due_on": dueOn.description])
                notified.append("suggestion.overdue")
            } else if due.contains(where: { $0.name == "remind" }) {
                try notify(context, kind: "suggestion.remind", recipient: unit, subject: number,
                           message: "微建议 \(number)《\(title.prefix(40))》请于 \(dueOn) 前答复。", event: event + ":remind")
                notified.append("suggestion.remind")
            }
            return WatchResult(next: next(milestones), notified: notified)
        }
    }

    // MARK: Key proposals

    /// `key.watch`: reminds a key proposal's supervisor every `key_reminder_days` until the
    /// proposal is closed.
    public func watchKey(_ args: WorkflowJobs.KeyArgs, since: Date, on tx: PostgresConnection) async throws -> WatchResult {
        let load: PostgresQuery = """
            SELECT number, title, status, coalesce(supervisor, ''), is_key,
                   (SELECT max(held_on) FROM supervision s WHERE s.proposal_id = p.id)
            FROM proposal p WHERE id = \(args.proposal)
            """
        return try await watch(on: tx, prelude: [load]) { context -> WatchResult in
            guard let row = context.prelude.first?.first else { return WatchResult(next: nil, notified: []) }
            let (number, title, status, supervisor, key, last) = try row.decode((String, String, String, String, Bool, CalendarDate?).self)
            let open: Set<String> = [ProposalStatus.registered, .assigned, .replied, .rehandling].map(\.rawValue).reduce(into: []) { $0.insert($1) }
            guard key, open.contains(status) else { return WatchResult(next: nil, notified: []) }
            let recipient = supervisor.isEmpty ? Self.office : supervisor
            let since = last.map { "，上次督办 \($0)" } ?? "，尚无督办记录"
            try notify(context, kind: "key.remind", recipient: recipient, subject: number,
                       message: "重点提案 \(number)《\(title.prefix(40))》仍在办理中\(since)，请安排督办。",
                       event: "key:\(args.proposal):\(today)")
            let next = Clocks.nextKeyReminder(after: now, start: now, rules: WorkflowJobs.rules(context.settings))
            return WatchResult(next: next, notified: ["key.remind"])
        }
    }
}
