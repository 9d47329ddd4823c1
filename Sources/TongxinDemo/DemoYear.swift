import Counties
public import Foundation
import PostgresClient
import TongxinBase
import Workflow
public import WorkflowStore

/// What one fill did.
public struct DemoYearReport: Sendable, Hashable, Codable {
    public var countyName: String
    public var year: Int
    /// Store operations run (each one transaction), reference data included.
    public var transactions: Int
    public var proposals: Int
    public var microSuggestions: Int
    public var activities: Int
    /// The times the first and the last workflow step acted at.
    public var firstAction: Date
    public var lastAction: Date
}

/// Deterministic demo data: one county's year, played through the store's API step by step
/// (every step one audited transaction the state machine accepts), at plausible times.
///
/// The same profile and year always give the same data: all randomness comes from a SplitMix64
/// seeded by the profile; the clock is never read. Steps of all proposals, micro-suggestions and
/// activities are sorted by the time they act at and run in that order, so the audit log reads
/// as the year happened.
public enum DemoYear {
    /// `beforeStep` runs before each step with the time the step acts at: a replay runs the
    /// worker's jobs due by then, so reminders and overdue marks land on their days.
    public static func fill(
        _ store: WorkflowStore, profile: DemoProfile, year: Int, progress: (@Sendable (String) -> Void)? = nil,
        beforeStep: (@Sendable (Date) async throws -> Void)? = nil
    ) async throws -> DemoYearReport {
        try profile.validate()
        guard (2000...2100).contains(year) else { throw WorkflowError("demo: year \(year) is not from 2000 to 2100") }
        let label = "\(profile.countyName) \(year)"
        var names = SplitMix64(seed: profile.seed ^ 0x6E61_6D65)
        let people = DemoPeople(profile: profile, rng: &names)

        // Reference data, before the session.
        let opened = try CalendarDate(year: year, month: profile.sessionMonth, day: profile.sessionDay)
        let closed = try opened.adding(days: profile.sessionDays - 1)
        let setupDay = try opened.adding(days: -10)
        var setup = DemoSetup(store: store, day: setupDay)
        progress?("\(label): reference data")
        try await setup.run(profile: profile, people: people, year: year, opened: opened, closed: closed)

        // The county's rules and calendar decide the deadlines the plan must meet.
        let settings = try await store.reading { _, settings in settings }
        var holidays = Set<CalendarDate>()
        var workdays = Set<CalendarDate>()
        for y in [year, year + 1] {
            for day in try await store.calendarDays(year: y) {
                if day.kind == "holiday" { holidays.insert(day.day) } else { workdays.insert(day.day) }
            }
        }
        let counting = WorkCalendar.Counting(rawValue: settings.dayCounting) ?? .calendar
        var planner = DemoPlanner(
            profile: profile, people: people, year: year, opened: opened, closed: closed,
            settings: settings,
            deadlines: WorkCalendar(counting: counting, holidays: holidays, makeUpWorkdays: workdays),
            working: WorkCalendar(counting: .working, holidays: holidays, makeUpWorkdays: workdays))
        try planner.planProposals()
        try planner.planSuggestions()
        try planner.planActivities()
        // Studios of earlier years, unless the county has them (an earlier demo year).
        let studiosBefore = try await store.activities(kind: .studioOpened).filter { $0.on.year < year }.count
        for action in planner.earlierStudios.dropFirst(studiosBefore) { try await setup.record(action) }
        let steps = planner.steps.sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }

        progress?("\(label): \(steps.count) steps")
        var runner = DemoRunner()
        for (index, step) in steps.enumerated() {
            do {
                try await beforeStep?(step.at.date)
                try await runner.run(step.action, on: store.at(step.at.date))
            } catch {
                throw WorkflowError("demo \(label): \(step.action.label) at \(step.at.day): \(error)")
            }
            if let progress, (index + 1) % 250 == 0 { progress("\(label): \(index + 1)/\(steps.count) steps") }
        }
        progress?("\(label): done, \(setup.transactions + steps.count) transactions")
        let first = steps.first?.at.date ?? setupDay.startDate
        let last = steps.last?.at.date ?? first
        return DemoYearReport(
            countyName: profile.countyName, year: year, transactions: setup.transactions + steps.count,
            proposals: profile.filed, microSuggestions: profile.microSuggestions,
            activities: planner.activityCount + setup.activities, firstAction: first, lastAction: last)
    }
}
