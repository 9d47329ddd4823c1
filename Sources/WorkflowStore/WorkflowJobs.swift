public import Counties
public import Foundation
public import JobQueue
import PostgresClient
public import TongxinBase

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
    public static let deliver = "notification.deliver"

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

    /// One point on a clock: what happens then, and when.
    public struct Milestone: Sendable, Hashable {
        public var name: String
        public var at: Date
    }

    /// Office hours: reminders go out at 09:00 local time.
    static let morning = 9 * 3600

    /// A unit's deadline `due` (the last day to reply): a reminder the configured days before,
    /// overdue when the day is over, escalation to the proposal office after the configured
    /// days. Reminders that would fall before `start` are left out.
    public static func deadlineMilestones(due: CalendarDate, start: Date, settings: CountySettings) throws -> [Milestone] {
        var milestones: [Milestone] = []
        for days in settings.reminderDayList {
            let at = LocalTime.time(on: try due.adding(days: -days), seconds: morning)
            if at > start { milestones.append(Milestone(name: "remind-\(days)", at: at)) }
        }
        milestones.append(Milestone(name: "overdue", at: LocalTime.time(on: try due.adding(days: 1))))
        milestones.append(Milestone(name: "escalate", at: LocalTime.time(on: try due.adding(days: settings.escalationDays), seconds: morning)))
        return milestones
    }

    /// A co-handling unit's view due on `due`: a reminder before, and a notice (to it and the
    /// lead unit) when the day is over.
    public static func opinionMilestones(due: CalendarDate, start: Date, settings: CountySettings) throws -> [Milestone] {
        var milestones: [Milestone] = []
        let remind = LocalTime.time(on: try due.adding(days: -settings.coOpinionReminderDays), seconds: morning)
        if remind > start { milestones.append(Milestone(name: "remind", at: remind)) }
        milestones.append(Milestone(name: "overdue", at: LocalTime.time(on: try due.adding(days: 1))))
        return milestones
    }

    /// The evaluation window's last day `ends`: a reminder to those who have not rated, then
    /// the window closes when the day is over.
    public static func evaluationMilestones(ends: CalendarDate, start: Date, settings: CountySettings) throws -> [Milestone] {
        var milestones: [Milestone] = []
        let remind = LocalTime.time(on: try ends.adding(days: -settings.evaluationReminderDays), seconds: morning)
        if remind > start { milestones.append(Milestone(name: "remind", at: remind)) }
        milestones.append(Milestone(name: "close", at: LocalTime.time(on: try ends.adding(days: 1))))
        return milestones
    }

    public static func suggestionMilestones(due: CalendarDate, start: Date, settings: CountySettings) throws -> [Milestone] {
        var milestones: [Milestone] = []
        let remind = LocalTime.time(on: try due.adding(days: -settings.suggestionReminderDays), seconds: morning)
        if remind > start { milestones.append(Milestone(name: "remind", at: remind)) }
        milestones.append(Milestone(name: "overdue", at: LocalTime.time(on: try due.adding(days: 1))))
        return milestones
    }

    /// An open key proposal: a supervision reminder every `key_reminder_days` from `start`.
    public static func nextKeyReminder(after time: Date, start: Date, settings: CountySettings) -> Date {
        let period = Double(settings.keyReminderDays * 86_400)
        let startDay = LocalTime.time(on: LocalTime.day(of: start), seconds: morning)
        let n = max(1, Int(((time.timeIntervalSince(startDay)) / period).rounded(.down)) + 1)
        return startDay.addingTimeInterval(Double(n) * period)
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
        guard let first = try WorkflowJobs.deadlineMilestones(due: due, start: now, settings: context.settings).first else { return nil }
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
        guard let first = try WorkflowJobs.opinionMilestones(due: due, start: now, settings: context.settings).first else { return nil }
        return try WorkflowJobs.job(WorkflowJobs.opinion, county, args, key: WorkflowJobs.opinionKey(county, args), at: max(first.at, now))
    }

    func evaluationJob(_ context: Context, proposal: Int64, round: Int, ends: CalendarDate) throws -> NewJob? {
        let args = WorkflowJobs.EvaluationArgs(proposal: proposal, round: round, ends: ends.description)
        guard let first = try WorkflowJobs.evaluationMilestones(ends: ends, start: now, settings: context.settings).first else { return nil }
        return try WorkflowJobs.job(WorkflowJobs.evaluation, county, args, key: WorkflowJobs.evaluationKey(county, args), at: max(first.at, now))
    }

    func suggestionJob(_ context: Context, suggestion: Int64, due: CalendarDate) throws -> NewJob? {
        let args = WorkflowJobs.SuggestionArgs(suggestion: suggestion, due: due.description)
        guard let first = try WorkflowJobs.suggestionMilestones(due: due, start: now, settings: context.settings).first else { return nil }
        return try WorkflowJobs.job(WorkflowJobs.suggestion, county, args, key: WorkflowJobs.suggestionKey(county, args), at: max(first.at, now))
    }

    func keyJob(_ context: Context, proposal: Int64) throws -> NewJob {
        let args = WorkflowJobs.KeyArgs(proposal: proposal)
        let at = WorkflowJobs.nextKeyReminder(after: now, start: now, settings: context.settings)
        return try WorkflowJobs.job(WorkflowJobs.key, county, args, key: WorkflowJobs.keyProposalKey(county, args), at: at)
    }
}
