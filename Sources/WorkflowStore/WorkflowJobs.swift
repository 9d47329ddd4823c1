public import Counties
public import Foundation
public import JobQueue
import PostgresClient
public import Workflow
import TongxinBase

/// The clocks the workflow starts: each is one job in the queue (a watcher) that wakes at its
/// next milestone, does what is due (a reminder, an overdue mark, an escalation …) and sleeps
/// until the following one. The workflow step that starts a clock enqueues its watcher in the
/// step's transaction; a step that makes it pointless (a reply, a return, an extension)
/// cancels it by its dedupe key, and the watcher itself checks the state again when it wakes.
public enum WorkflowJobs {
    public static let deadline = "deadline.watch"
    public static let opinion = "opinion.watch"
    public static let evaluation = "evaluation.watch"
    public static let suggestion = "suggestion.watch"
    public static let key = "key.watch"
    public static let rollup = "stats.rollup"
    public static let deliver = Outbox.deliverKind

    /// A lead or parallel unit's deadline in one round.
    public struct DeadlineArgs: Codable, Sendable, Hashable {
        public var proposal: Int64
        public var unit: Int64
        public var round: Int
        public var due: String

        public init(proposal: Int64, unit: Int64, round: Int, due: String) {
            self.proposal = proposal
            self.unit = unit
            self.round = round
            self.due = due
        }
    }

    /// A co-handling unit's view for the lead unit.
    public struct OpinionArgs: Codable, Sendable, Hashable {
        public var proposal: Int64
        public var unit: Int64
        public var due: String

        public init(proposal: Int64, unit: Int64, due: String) {
            self.proposal = proposal
            self.unit = unit
            self.due = due
        }
    }

    /// The proposer's evaluation window of one round.
    public struct EvaluationArgs: Codable, Sendable, Hashable {
        public var proposal: Int64
        public var round: Int
        public var ends: String

        public init(proposal: Int64, round: Int, ends: String) {
            self.proposal = proposal
            self.round = round
            self.ends = ends
        }
    }

    public struct SuggestionArgs: Codable, Sendable, Hashable {
        public var suggestion: Int64
        public var due: String

        public init(suggestion: Int64, due: String) {
            self.suggestion = suggestion
            self.due = due
        }
    }

    public struct KeyArgs: Codable, Sendable, Hashable {
        public var proposal: Int64

        public init(proposal: Int64) {
            self.proposal = proposal
        }
    }

    public struct RollupArgs: Codable, Sendable, Hashable {
        public var year: Int

        public init(year: Int) {
            self.year = year
        }
    }

    public static func deadlineKey(_ county: CountyCode, _ a: DeadlineArgs) -> String {
        "\(county):deadline:\(a.proposal):\(a.unit):\(a.round):\(a.due)"
    }

    public static func opinionKey(_ county: CountyCode, _ a: OpinionArgs) -> String {
        "\(county):opinion:\(a.proposal):\(a.unit):\(a.due)"
    }

    public static func evaluationKey(_ county: CountyCode, _ a: EvaluationArgs) -> String {
        "\(county):evaluation:\(a.proposal):\(a.round)"
    }

    public static func suggestionKey(_ county: CountyCode, _ a: SuggestionArgs) -> String {
        "\(county):suggestion:\(a.suggestion):\(a.due)"
    }

    public static func keyProposalKey(_ county: CountyCode, _ a: KeyArgs) -> String {
        "\(county):key:\(a.proposal)"
    }

    /// Seconds per freshness bucket: a county's changes in one bucket share one rollup, which
    /// runs just after the bucket ends (so the comparison is at most this plus a poll old).
    public static let rollupBucket: TimeInterval = 30

    /// The rollup a change asks for: due just after the current (real-time) bucket, one per
    /// county, year and bucket (dedupe key).
    public static func rollupJob(_ county: CountyCode, year: Int, now: Date = Date()) -> NewJob? {
        let bucket = rollupBucketEnd(now)
        let runAt = Date(timeIntervalSince1970: Double(bucket) * rollupBucket + 2)
        return try? NewJob(kind: rollup, county: county.value, arguments: RollupArgs(year: year), queue: "rollup", runAt: runAt, maxAttempts: 5,
                           dedupeKey: rollupKey(county, year: year, now: now))
    }

    /// The number of the bucket boundary a change at `now` waits for.
    static func rollupBucketEnd(_ now: Date) -> Int { Int((now.timeIntervalSince1970 / rollupBucket).rounded(.down)) + 1 }

    /// The dedupe key of `rollupJob` (cheap: steps check it before building the job).
    static func rollupKey(_ county: CountyCode, year: Int, now: Date = Date()) -> String {
        "rollup:\(county):\(year):\(rollupBucketEnd(now))"
    }

    /// The county's settings the clocks read.
    public static func rules(_ settings: CountySettings) -> Clocks.Rules {
        Clocks.Rules(
            reminderDays: settings.reminderDayList, escalationDays: settings.escalationDays,
            coOpinionReminderDays: settings.coOpinionReminderDays, evaluationReminderDays: settings.evaluationReminderDays,
            suggestionReminderDays: settings.suggestionReminderDays, keyReminderDays: settings.keyReminderDays)
    }

    /// The jobs for a step: each watcher starts at its first milestone.
    static func job<Args: Encodable>(_ kind: String, _ county: CountyCode, _ args: Args, key: String, at: Date) throws -> NewJob {
        try NewJob(kind: kind, county: county.value, arguments: args, runAt: at, maxAttempts: 10, dedupeKey: key)
    }
}

extension WorkflowStore {
    /// Enqueues `jobs` with the step (same transaction).
    func schedule(_ context: Context, _ jobs: [NewJob]) throws {
        for job in jobs { context.batch.append(.job(try job.validated())) }
    }

    /// Cancels the open jobs with these keys, with the step.
    func cancelJobs(_ context: Context, _ keys: [String]) {
        guard !keys.isEmpty else { return }
        context.batch.append(.control(JobQueue.cancelQuery(dedupeKeys: keys)))
    }

    /// The deadline watcher of an assignment in a round.
    func deadlineJob(_ context: Context, proposal: Int64, unit: Int64, round: Int, due: CalendarDate) throws -> NewJob? {
        let args = WorkflowJobs.DeadlineArgs(proposal: proposal, unit: unit, round: round, due: due.description)
        guard let first = try Clocks.deadline(due: due, start: now, rules: WorkflowJobs.rules(context.settings)).first else { return nil }
        return try WorkflowJobs.job(WorkflowJobs.deadline, county, args, key: WorkflowJobs.deadlineKey(county, args), at: max(first.at, now))
    }

    func deadlineKey(proposal: Int64, unit: Int64, round: Int, due: CalendarDate) -> String {
        WorkflowJobs.deadlineKey(county, WorkflowJobs.DeadlineArgs(proposal: proposal, unit: unit, round: round, due: due.description))
    }

    func opinionKey(proposal: Int64, unit: Int64, due: CalendarDate) -> String {
        WorkflowJobs.opinionKey(county, WorkflowJobs.OpinionArgs(proposal: proposal, unit: unit, due: due.description))
    }

    func opinionJob(_ context: Context, proposal: Int64, unit: Int64, due: CalendarDate) throws -> NewJob? {
        let args = WorkflowJobs.OpinionArgs(proposal: proposal, unit: unit, due: due.description)
        guard let first = try Clocks.opinion(due: due, start: now, rules: WorkflowJobs.rules(context.settings)).first else { return nil }
        return try WorkflowJobs.job(WorkflowJobs.opinion, county, args, key: WorkflowJobs.opinionKey(county, args), at: max(first.at, now))
    }

    func evaluationJob(_ context: Context, proposal: Int64, round: Int, ends: CalendarDate) throws -> NewJob? {
        let args = WorkflowJobs.EvaluationArgs(proposal: proposal, round: round, ends: ends.description)
        guard let first = try Clocks.evaluation(ends: ends, start: now, rules: WorkflowJobs.rules(context.settings)).first else { return nil }
        return try WorkflowJobs.job(WorkflowJobs.evaluation, county, args, key: WorkflowJobs.evaluationKey(county, args), at: max(first.at, now))
    }

    func suggestionJob(_ context: Context, suggestion: Int64, due: CalendarDate) throws -> NewJob? {
        let args = WorkflowJobs.SuggestionArgs(suggestion: suggestion, due: due.description)
        guard let first = try Clocks.suggestion(due: due, start: now, rules: WorkflowJobs.rules(context.settings)).first else { return nil }
        return try WorkflowJobs.job(WorkflowJobs.suggestion, county, args, key: WorkflowJobs.suggestionKey(county, args), at: max(first.at, now))
    }

    func keyJob(_ context: Context, proposal: Int64) throws -> NewJob {
        let args = WorkflowJobs.KeyArgs(proposal: proposal)
        let at = Clocks.nextKeyReminder(after: now, start: now, rules: WorkflowJobs.rules(context.settings))
        return try WorkflowJobs.job(WorkflowJobs.key, county, args, key: WorkflowJobs.keyProposalKey(county, args), at: at)
    }
}
