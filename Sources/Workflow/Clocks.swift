public import Foundation
public import TongxinBase

/// The workflow's clocks as rules: when a deadline, a co-handling unit's view, an evaluation
/// window, a micro-suggestion's reply and a key proposal's supervision come due, remind, go
/// overdue and escalate. Pure arithmetic on local days (China Standard Time); the store's
/// watchers read the state and act on the milestones these give.
public enum Clocks {
    /// One point on a clock: what happens then, and when.
    public struct Milestone: Sendable, Hashable {
        public var name: String
        public var at: Date

        public init(name: String, at: Date) {
            self.name = name
            self.at = at
        }
    }

    /// The county's settings the clocks read.
    public struct Rules: Sendable, Hashable {
        /// Days before a unit's deadline a reminder goes out, longest first.
        public var reminderDays: [Int]
        /// Days after a unit's deadline the office is told.
        public var escalationDays: Int
        public var coOpinionReminderDays: Int
        public var evaluationReminderDays: Int
        public var suggestionReminderDays: Int
        /// A key proposal's supervision reminder period.
        public var keyReminderDays: Int

        public init(
            reminderDays: [Int], escalationDays: Int, coOpinionReminderDays: Int, evaluationReminderDays: Int,
            suggestionReminderDays: Int, keyReminderDays: Int
        ) {
            self.reminderDays = reminderDays
            self.escalationDays = escalationDays
            self.coOpinionReminderDays = coOpinionReminderDays
            self.evaluationReminderDays = evaluationReminderDays
            self.suggestionReminderDays = suggestionReminderDays
            self.keyReminderDays = keyReminderDays
        }
    }

    /// Office hours: reminders go out at 09:00 local time.
    public static let morning = 9 * 3600

    /// A unit's deadline `due` (the last day to reply): a reminder the configured days before,
    /// overdue when the day is over, escalation to the proposal office after the configured
    /// days. Reminders that would fall before `start` are left out.
    public static func deadline(due: CalendarDate, start: Date, rules: Rules) throws -> [Milestone] {
        var milestones: [Milestone] = []
        for days in rules.reminderDays {
            let at = LocalTime.time(on: try due.adding(days: -days), seconds: morning)
            if at > start { milestones.append(Milestone(name: "remind-\(days)", at: at)) }
        }
        milestones.append(Milestone(name: "overdue", at: LocalTime.time(on: try due.adding(days: 1))))
        milestones.append(Milestone(name: "escalate", at: LocalTime.time(on: try due.adding(days: rules.escalationDays), seconds: morning)))
        return milestones
    }

    /// A co-handling unit's view due on `due`: a reminder before, and a notice (to it and the
    /// lead unit) when the day is over.
    public static func opinion(due: CalendarDate, start: Date, rules: Rules) throws -> [Milestone] {
        try remindThen("overdue", last: due, reminderDays: rules.coOpinionReminderDays, start: start)
    }

    /// The evaluation window's last day `ends`: a reminder to those who have not rated, then
    /// the window closes when the day is over.
    public static func evaluation(ends: CalendarDate, start: Date, rules: Rules) throws -> [Milestone] {
        try remindThen("close", last: ends, reminderDays: rules.evaluationReminderDays, start: start)
    }

    /// A micro-suggestion's reply due on `due`: a reminder before, overdue when the day is over.
    public static func suggestion(due: CalendarDate, start: Date, rules: Rules) throws -> [Milestone] {
        try remindThen("overdue", last: due, reminderDays: rules.suggestionReminderDays, start: start)
    }

    /// A reminder `reminderDays` before the day `last` (unless before `start`), then `name`
    /// when the day is over.
    private static func remindThen(_ name: String, last: CalendarDate, reminderDays: Int, start: Date) throws -> [Milestone] {
        var milestones: [Milestone] = []
        let remind = LocalTime.time(on: try last.adding(days: -reminderDays), seconds: morning)
        if remind > start { milestones.append(Milestone(name: "remind", at: remind)) }
        milestones.append(Milestone(name: name, at: LocalTime.time(on: try last.adding(days: 1))))
        return milestones
    }

    /// An open key proposal: a supervision reminder every `keyReminderDays` from `start`.
    public static func nextKeyReminder(after time: Date, start: Date, rules: Rules) -> Date {
        let period = Double(rules.keyReminderDays * 86_400)
        let startDay = LocalTime.time(on: LocalTime.day(of: start), seconds: morning)
        let n = max(1, Int(((time.timeIntervalSince(startDay)) / period).rounded(.down)) + 1)
        return startDay.addingTimeInterval(Double(n) * period)
    }

    /// Milestones that came due since a watcher was scheduled (`since`) up to `now`.
    public static func due(_ milestones: [Milestone], since: Date, now: Date) -> [Milestone] {
        milestones.filter { $0.at >= since.addingTimeInterval(-0.001) && $0.at <= now }
    }

    /// The first milestone after `now`, when the watcher wakes next.
    public static func next(_ milestones: [Milestone], after now: Date) -> Date? {
        milestones.first { $0.at > now }?.at
    }
}
