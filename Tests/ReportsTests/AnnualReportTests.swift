import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import Reports
import TongxinDemo
import Testing
import Workflow
import WorkflowStore
import TongxinBase

func local(_ text: String) -> Date { (try? LocalTime.parse(text)) ?? Date(timeIntervalSince1970: 0) }

/// A fresh database with county `code` and a store acting at `now`.
func withCounty<R: Sendable>(_ code: String, name: String, now: String, _ body: (WorkflowStore) async throws -> R) async throws -> R {
    try await TestDatabase.withDatabase { configuration in
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 3))
        do {
            let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
            let county = try CountyCode(code)
            _ = try await registry.create(code: county, name: name, region: nil, purpose: .training)
            let value = try await body(try WorkflowStore(pool: pool, county: county, principal: .replaying("提案委"), now: local(now)))
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

@Suite struct AnnualReportTests {
    @Test func leiyangs2021ReportShowsTheSeedsFiguresWithTheirCounts() async throws {
        try await withCounty("leiyang", name: "耒阳市", now: "2021-01-01T09:00") { store in
            guard let profile = DemoProfile.profile(forCode: "leiyang") else { throw WorkflowError("no profile") }
            _ = try await DemoYear.fill(store, profile: profile, year: 2021)
            let report = try await AnnualReport.compute(store.at(local("2022-03-01T09:00")), year: 2021)
            #expect(report.filed == 65 && report.filedAtSession == 65)
            #expect(report.registered == 57)
            #expect(report.registrationRate == Rate(57, of: 64))  // 65 filed, 1 withdrawn
            #expect(report.replied == 57 && report.repliedOnTime == 57)
            #expect(report.onTimeRate == Rate(57, of: 57))
            #expect(report.evaluated == 57 && report.notEvaluated == 0)
            #expect(report.satisfactionRate == Rate(57, of: 57))
            #expect(report.strictSatisfactionRate == Rate(49, of: 57))
            #expect(report.overdueNow == Rate(0, of: 57))
            #expect(report.microSuggestions == 37)
            #expect(report.microSuggestionsOnTimeRate == Rate(37, of: 37))
            #expect(report.onlineEvents == 13 && report.onlineDutyDays == 104)
            #expect(report.supervisedUnits == 5 && report.studiosOpened == 35 && report.studiosTotal == 42)
            #expect(report.visitsHosted == 3 && report.visitsMade == 2)
            #expect(report.members == 216)
            #expect(report.proposalsPer100Members.map { abs($0 - 6500.0 / 216) < 1e-9 } == true)
            let categories = report.replyCategories.values.map(\.count).reduce(0, +)
            #expect(report.solvedRate == Rate(report.replyCategories["A"]?.count ?? -1, of: categories))
            // The JSON keys the issue names, stable.
            let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any] ?? [:]
            for key in [
                "filed", "registered", "registration_rate", "replied", "replied_on_time", "on_time_rate", "evaluated", "not_evaluated",
                "satisfaction_rate", "strict_satisfaction_rate", "solved_rate", "reply_categories", "rehandling_rate",
                "median_days_to_register", "median_days_to_reply", "overdue_now", "micro_suggestions", "micro_suggestions_on_time_rate",
                "online_events", "online_duty_days", "supervised_units", "studios_opened", "studios_total", "visits_hosted",
                "visits_made", "members", "proposals_per_100_members",
            ] {
                #expect(json[key] != nil, "missing \(key)")
            }
            let rate = json["registration_rate"] as? [String: Any]
            #expect(rate?["count"] as? Int == 57 && rate?["of"] as? Int == 64)
        }
    }

    @Test func overdueUnratedReHandledAndMediansFollowTheDefinitions() async throws {
        try await withCounty("linwu", name: "临武县", now: "2021-02-20T09:00") { store in
            try await store.addSector("经济界")
            for name in ["王委员", "李委员", "赵委员"] { try await store.addMember(name, sector: "经济界") }
            for unit in ["城管局", "林业局"] { try await store.addUnit(unit) }
            try await store.openSession(year: 2021, name: "十届五次会议", openedOn: try CalendarDate("2021-03-01"), closedOn: nil)
            func file(_ title: String, _ member: String) async throws -> String {
                try await store.at(local("2021-03-01T10:00")).file(NewProposal(
                    title: title, body: "内容", category: .livelihood, kind: .individual, lead: member, sessionYear: 2021)).number
            }
            let answered = try await file("甲", "王委员")
            let late = try await file("乙", "李委员")
            let unrated = try await file("丙", "赵委员")
            let withdrawn = try await file("丁", "王委员")
            for (n, day) in [(answered, "2021-03-05"), (late, "2021-03-09"), (unrated, "2021-03-05")] {
                try await store.at(local("\(day)T10:00")).review(n, .register)
                try await store.at(local("2021-03-10T10:00")).assign(n, lead: "城管局")
            }
            try await store.at(local("2021-03-02T10:00")).withdraw(withdrawn)
            // Replied in 20 days (A), then rated unsatisfied: re-handled, round 2 still open.
            try await store.at(local("2021-03-30T10:00")).reply(answered, unit: "城管局", category: .a, text: "已解决")
            try await store.at(local("2021-04-02T10:00")).evaluate(answered, member: "王委员", rating: .unsatisfied)
            // Replied in 40 days (C), never rated.
            try await store.at(local("2021-04-19T10:00")).reply(unrated, unit: "城管局", category: .c, text: "暂不能解决")
            // `late` is never replied: overdue after 2021-06-10.
            let before = try await AnnualReport.compute(store.at(local("2021-06-10T12:00")), year: 2021)
            #expect(before.overdueNow == Rate(0, of: 3))
            #expect(before.onTimeRate == Rate(2, of: 2))
            let report = try await AnnualReport.compute(store.at(local("2021-06-11T12:00")), year: 2021)
            #expect(report.filed == 4 && report.withdrawn == 1)
            #expect(report.registrationRate == Rate(3, of: 3))
            #expect(report.replied == 2)
            #expect(report.onTimeRate == Rate(2, of: 3))  // the late one's deadline has passed
            // Round 2 of the re-handled one is open until 2021-07-02, so it is not overdue.
            #expect(report.overdueNow == Rate(1, of: 3))
            #expect(report.evaluated == 1)
            #expect(report.satisfactionRate == Rate(0, of: 1))
            #expect(report.rehandled == 1 && report.rehandlingRate == Rate(1, of: 1))
            #expect(report.solvedRate == Rate(1, of: 2))
            #expect(report.replyCategories["C"]?.count == 1)
            #expect(report.medianDaysToReply == 30)  // 20 and 40 days
            #expect(report.medianDaysToRegister == 4)  // 4, 8 and 4 days
        }
    }
}
