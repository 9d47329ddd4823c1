import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

// MARK: - Time

/// A local day and a second of it: when a step acts.
struct Moment: Comparable, Sendable {
    var day: CalendarDate
    var seconds: Int

    static func < (a: Moment, b: Moment) -> Bool {
        (a.day.daysSinceEpoch, a.seconds) < (b.day.daysSinceEpoch, b.seconds)
    }

    var date: Date { LocalTime.time(on: day, seconds: seconds) }
}

extension CalendarDate {
    var startDate: Date { LocalTime.time(on: self) }

    func plus(_ days: Int) throws -> CalendarDate { try adding(days: days) }

    func days(until other: CalendarDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }
}

// MARK: - People
