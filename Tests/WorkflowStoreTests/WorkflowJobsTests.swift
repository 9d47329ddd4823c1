import Counties
import Foundation
import PostgresClient
import Testing
import WorkflowStore
import TongxinBase

@Suite struct WorkflowJobsTests {
    @Test func aDeadlineHasRemindersAtNineOverdueAtMidnightAndEscalationLater() throws {
        let milestones = try WorkflowJobs.deadlineMilestones(due: day("2021-06-10"), start: at("2021-03-10T09:00"), settings: CountySettings())
        #expect(milestones.map(\.name) == ["remind-15", "remind-7", "remind-1", "overdue", "escalate"])
        #expect(milestones.map { LocalTime.iso($0.at) } == [
            "2021-05-26T09:00:00+08:00", "2021-06-03T09:00:00+08:00", "2021-06-09T09:00:00+08:00",
            "2021-06-11T00:00:00+08:00", "2021-07-10T09:00:00+08:00",
        ])
    }

    @Test func remindersBeforeTheClockStartsAreLeftOut() throws {
        var settings = CountySettings()
        try settings.set("reminder_days", to: "1,30,7")
        #expect(settings.reminderDays == "30,7,1")
        let milestones = try WorkflowJobs.deadlineMilestones(due: day("2021-06-10"), start: at("2021-06-01T10:00"), settings: settings)
        #expect(milestones.map(\.name) == ["remind-7", "remind-1", "overdue", "escalate"])
    }

    @Test func reminderDayListsAreValidated() {
        var settings = CountySettings()
        for (text, message) in [
            ("15,x", "setting reminder_days: \"15,x\" is not a list of days from 1 to 90 like 15,7,1"),
            ("7,7", "setting reminder_days: \"7,7\" must list distinct days like 15,7,1"),
            ("0", "setting reminder_days: \"0\" is not a list of days from 1 to 90 like 15,7,1"),
        ] {
            let error = #expect(throws: CountyError.self) { try settings.set("reminder_days", to: text) }
            #expect(error?.description == message)
        }
    }

    @Test func theEvaluationWindowRemindsThenClosesAfterItsLastDay() throws {
        let milestones = try WorkflowJobs.evaluationMilestones(ends: day("2021-07-01"), start: at("2021-06-01T10:00"), settings: CountySettings())
        #expect(milestones.map { "\($0.name) \(LocalTime.iso($0.at))" } == [
            "remind 2021-06-24T09:00:00+08:00", "close 2021-07-02T00:00:00+08:00",
        ])
    }

    @Test func keyRemindersComeEveryPeriodFromTheStart() {
        let start = at("2021-03-10T15:00")
        let settings = CountySettings()
        #expect(LocalTime.iso(WorkflowJobs.nextKeyReminder(after: start, start: start, settings: settings)) == "2021-04-09T09:00:00+08:00")
        #expect(LocalTime.iso(WorkflowJobs.nextKeyReminder(after: at("2021-04-09T09:00"), start: start, settings: settings)) == "2021-05-09T09:00:00+08:00")
    }
}
