import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import Reports
import Testing
import TongxinBase
import Workflow
import WorkflowStore

@Suite struct TrustFiguresTests {
    /// In a live county: one rating the member gives, one staff enter from paper, a registration
    /// entered late; the report and the comparison's row say so.
    @Test func ratingsOnBehalfAndBackDatedStepsAreCountedAndCompared() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 3))
            defer { Task { await pool.close() } }
            let code = try CountyCode("trust")
            _ = try await CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test").create(code: code, name: "信任县", region: nil)
            let staff = try WorkflowStore(pool: pool, county: code, principal: Principal(login: "staff.z", role: .staff, counties: ["trust"]))
            try await staff.addSector("经济界")
            for name in ["王委员", "李委员"] { try await staff.addMember(name, sector: "经济界") }
            try await staff.addUnit("城管局")
            let year = staff.today.year
            try await staff.openSession(year: year, name: "会议", openedOn: nil, closedOn: nil)
            let number = try await staff.file(NewProposal(title: "关于A的建议", category: .economy, kind: .joint, lead: "王委员", coAuthors: ["李委员"])).number
            try await staff.at(Date().addingTimeInterval(-3 * 86_400), reason: "纸质立案单补录").review(number, .register)
            try await staff.assign(number, lead: "城管局")
            let unitID = try await pool.query("SELECT id FROM county_trust.unit").single().decode(Int64.self)
            let memberID = try await pool.query("SELECT id FROM county_trust.member WHERE name = '王委员'").single().decode(Int64.self)
            try await WorkflowStore(pool: pool, county: code, principal: Principal(login: "cgj", role: .unit, counties: ["trust"], unitID: unitID))
                .reply(number, unit: nil, category: .a, text: "已办理")
            try await WorkflowStore(pool: pool, county: code, principal: Principal(login: "wang", role: .member, counties: ["trust"], memberID: memberID))
                .evaluate(number, member: nil, rating: .satisfied)
            try await staff.evaluate(number, member: "李委员", rating: .basic, paper: try PaperEntry(day: nil, note: "纸质征询意见表"))
            let report = try await AnnualReport.compute(staff, year: year)
            #expect(report.ratingsOnBehalf == Rate(1, of: 2))
            #expect(report.backdatedSteps == 1)
            #expect(report.onTimeBackdated == 0 && report.repliedOnTime == 1)
            let row = Comparison.row(report, computedAt: "")
            #expect(row.rates[ComparedMetric.ratingsOnBehalf.rawValue] == Rate(1, of: 2))
            #expect(row.numbers[ComparedMetric.backdatedSteps.rawValue] == 1)
            #expect(report.rows.contains { $0.first == "代录评价占比 / ratings entered on behalf" && $0[2] == "1/2" })
            // What a rollup keeps for the comparison carries both.
            let compared = Comparison.compared(report)
            #expect(compared.contains("\"ratings_on_behalf\": [1, 2]") && compared.contains("\"backdated_steps\": 1"))
        }
    }
}
