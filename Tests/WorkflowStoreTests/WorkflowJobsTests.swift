import Counties
import Foundation
import PostgresClient
import Testing
import WorkflowStore
import TongxinBase

@Suite struct WorkflowJobsTests {
    @Test func theClocksReadTheCountysSettings() throws {
        var settings = CountySettings()
        try settings.set("reminder_days", to: "1,30,7")
        #expect(settings.reminderDays == "30,7,1")
        try settings.set("escalation_days", to: "20")
        let rules = WorkflowJobs.rules(settings)
        #expect(rules.reminderDays == [30, 7, 1])
        #expect(rules.escalationDays == 20)
        #expect(rules.keyReminderDays == settings.keyReminderDays)
        #expect(rules.suggestionReminderDays == settings.suggestionReminderDays)
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
}
