import Foundation
import Testing
import TongxinBase
import Workflow

private func at(_ text: String) throws -> Date { try LocalTime.parse(text, field: "test") }
private func calendarDay(_ text: String) throws -> CalendarDate { try CalendarDate(text) }

/// The county defaults: reminders 15, 7 and 1 days before, escalation 30 days after, the other
/// reminders 7, 7 and 3 days before, key proposals every 30 days.
private let defaults = Clocks.Rules(
    reminderDays: [15, 7, 1], escalationDays: 30, coOpinionReminderDays: 7, evaluationReminderDays: 7,
    suggestionReminderDays: 3, keyReminderDays: 30)

@Suite struct ClocksTests {
    @Test func aDeadlineHasRemindersAtNineOverdueAtMidnightAndEscalationLater() throws {
        let milestones = try Clocks.deadline(due: calendarDay("2021-06-10"), start: at("2021-03-10T09:00"), rules: defaults)
        #expect(milestones.map(\.name) == ["remind-15", "remind-7", "remind-1", "overdue", "escalate"])
        #expect(milestones.map { LocalTime.iso($0.at) } == [
            "2021-05-26T09:00:00+08:00", "2021-06-03T09:00:00+08:00", "2021-06-09T09:00:00+08:00",
            "2021-06-11T00:00:00+08:00", "2021-07-10T09:00:00+08:00",
        ])
    }

    @Test func remindersBeforeTheClockStartsAreLeftOut() throws {
        var rules = defaults
        rules.reminderDays = [30, 7, 1]
        let milestones = try Clocks.deadline(due: calendarDay("2021-06-10"), start: at("2021-06-01T10:00"), rules: rules)
        #expect(milestones.map(\.name) == ["remind-7", "remind-1", "overdue", "escalate"])
    }

    @Test func theEvaluationWindowRemindsThenClosesAfterItsLastDay() throws {
        let milestones = try Clocks.evaluation(ends: calendarDay("2021-07-01"), start: at("2021-06-01T10:00"), rules: defaults)
        #expect(milestones.map { "\($0.name) \(LocalTime.iso($0.at))" } == [
            "remind 2021-06-24T09:00:00+08:00", "close 2021-07-02T00:00:00+08:00",
        ])
    }

    @Test func opinionsAndSuggestionsRemindByTheirOwnSetting() throws {
        let opinion = try Clocks.opinion(due: calendarDay("2021-04-30"), start: at("2021-04-01T10:00"), rules: defaults)
        #expect(opinion.map { "\($0.name) \(LocalTime.iso($0.at))" } == [
            "remind 2021-04-23T09:00:00+08:00", "overdue 2021-05-01T00:00:00+08:00",
        ])
        let suggestion = try Clocks.suggestion(due: calendarDay("2021-04-30"), start: at("2021-04-28T10:00"), rules: defaults)
        #expect(suggestion.map(\.name) == ["overdue"], "the reminder (04-27 09:00) falls before the start")
    }

    @Test func keyRemindersComeEveryPeriodFromTheStart() throws {
        let start = try at("2021-03-10T15:00")
        #expect(LocalTime.iso(Clocks.nextKeyReminder(after: start, start: start, rules: defaults)) == "2021-04-09T09:00:00+08:00")
        #expect(LocalTime.iso(Clocks.nextKeyReminder(after: try at("2021-04-09T09:00"), start: start, rules: defaults)) == "2021-05-09T09:00:00+08:00")
    }

    @Test func aWatcherActsOnWhatCameDueSinceItsRunAndWakesAtTheNext() throws {
        let milestones = try Clocks.deadline(due: calendarDay("2021-06-10"), start: .distantPast, rules: defaults)
        let now = try at("2021-06-11T08:00")
        let due = Clocks.due(milestones, since: try at("2021-06-09T09:00"), now: now)
        #expect(due.map(\.name) == ["remind-1", "overdue"])
        #expect(Clocks.next(milestones, after: now).map(LocalTime.iso) == "2021-07-10T09:00:00+08:00")
    }
}
