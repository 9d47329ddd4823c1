import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import Reports
import Testing
import Workflow
import WorkflowStore
import TongxinBase
import TongxinDemo

/// A fresh database with one empty county `code` and a store on it.
func withEmptyCounty<R: Sendable>(
    _ code: String, name: String, _ body: (WorkflowStore) async throws -> R
) async throws -> R {
    try await TestDatabase.withDatabase { configuration in
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 2))
        do {
            let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
            let county = try CountyCode(code)
            _ = try await registry.create(code: county, name: name, region: nil, purpose: .training)
            let store = try WorkflowStore(pool: pool, county: county, principal: .replaying("演示数据"), now: try LocalTime.parse("2021-01-01T09:00"))
            let value = try await body(store)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// Fills `profile`'s 2021 in a fresh county; the summary, the proposals' titles, the audit log
/// (without hashes) and the time the fill took.
func demoFill(_ code: String, _ profile: DemoProfile) async throws
    -> (summary: AnnualReport, titles: [String], audit: [String], verified: Bool, seconds: Double)
{
    try await withEmptyCounty(code, name: profile.countyName) { store in
        let clock = ContinuousClock()
        let started = clock.now
        _ = try await DemoYear.fill(store, profile: profile, year: 2021)
        let elapsed = clock.now - started
        let summary = try await AnnualReport.compute(store, year: 2021)
        let titles = try await store.list().map { "\($0.number) \($0.status) \($0.title)" }
        let audit = try await store.auditLog().map { entry in
            "\(entry.at.timeIntervalSince1970) \(entry.entity) \(entry.entityID) \(entry.action) "
                + entry.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
        let verified = try await store.verifyAudit()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (summary, titles, audit, verified.firstBroken == nil && verified.entries == audit.count, seconds)
    }
}

@Suite struct DemoYearTests {
    @Test func leiyang2021ReproducesTheSeedsFigures() async throws {
        let (s, titles, audit, verified, _) = try await demoFill("leiyang", DemoProfile.leiyang2021())
        #expect(s.countyName == "耒阳市")
        #expect(s.session == "十届七次会议")
        // 政协十届七次会议期间 … 提出各类相关意见建议65件
        #expect(s.filed == 65)
        #expect(s.filedAtSession == 65)
        #expect(s.filedBetweenSessions == 0)
        // 经审查立案的57件提案全部按时办结，满意和基本满意率达100%
        #expect(s.registered == 57)
        #expect(s.declined + s.converted + s.merged + s.withdrawn == 8)
        #expect(s.declined > 0 && s.converted > 0 && s.merged > 0 && s.withdrawn > 0)
        #expect(s.replied == 57)
        #expect(s.repliedOnTime == 57)
        #expect(s.evaluated == 57)
        #expect(s.satisfied + s.basic == 57)
        #expect(s.unsatisfied == 0)
        #expect(s.rehandled == 0)
        #expect(s.consulted == 0)
        // 共收到微建议37条，开展线上履职活动13次，委员线上值班100余天
        #expect(s.microSuggestions == 37)
        #expect(s.onlineEvents == 13)
        #expect(s.onlineDutyDays == 104)
        // 对市城管局、应急管理局、林业局、文旅广体局、城农投公司五个单位 … 派驻民主监督小组
        #expect(s.supervisedUnits == 5)
        #expect(Set(s.supervisedUnitNames) == ["城管局", "应急管理局", "林业局", "文旅广体局", "城农投公司"])
        // 新建 … 委员工作室35个，目前共有委员工作室42个
        #expect(s.studiosOpened == 35)
        #expect(s.studiosTotal == 42)
        // 接待昭平县政协、常宁市政协、麻城市政协 … 赴永州市零陵区政协、郴州市临武县政协
        #expect(s.visitsHosted == 3)
        #expect(s.hostedPeers == ["昭平县政协", "常宁市政协", "麻城市政协"])
        #expect(s.visitsMade == 2)
        #expect(s.visitedPeers == ["永州市零陵区政协", "郴州市临武县政协"])
        #expect(s.members == DemoProfile.leiyang2021().memberCount)

        #expect(titles.count == 65)
        #expect(titles.first?.hasPrefix("2021-001 ") == true)
        #expect(titles.allSatisfy { $0.contains("关于") })
        #expect(titles.contains { $0.hasSuffix("关于规范城区物业管理的建议") })
        #expect(verified)
        #expect(audit.count > 500)
        #expect(s.summaryLines.contains("提案 filed 65 (会上 65, 闭会期间 0)"))
    }

    @Test func theSameProfileGivesTheSameData() async throws {
        async let first = demoFill("leiyang", DemoProfile.leiyang2021())
        async let second = demoFill("leiyang", DemoProfile.leiyang2021())
        let (a, b) = try await (first, second)
        #expect(a.summary == b.summary)
        #expect(a.titles == b.titles)
        #expect(a.audit == b.audit)
        #expect(a.verified && b.verified)
    }

    @Test func aPeerCountyDiffersAndReHandles() async throws {
        let profile = DemoProfile.zhaoping2021()
        let (peer, titles, _, verified, _) = try await demoFill("zhaoping", profile)
        #expect(verified)
        #expect(peer.countyName == "昭平县")
        #expect(peer.rehandled >= 1)
        #expect(peer.rehandled == profile.unsatisfied)
        #expect(peer.consulted == profile.consultations)
        #expect(peer.filed == profile.filed)
        #expect(peer.filedBetweenSessions == profile.filedBetweenSessions)
        #expect(peer.registered == profile.registered)
        #expect(peer.declined == profile.declined && peer.converted == profile.converted)
        #expect(peer.merged == profile.merged && peer.withdrawn == profile.withdrawn)
        #expect(peer.returned == profile.returnedThenResubmitted)
        #expect(peer.replied == profile.registered)
        #expect(peer.repliedOnTime == profile.registered - profile.repliedLate)
        #expect(peer.extended == profile.extended)
        #expect(peer.evaluated == profile.registered - profile.notEvaluated)
        #expect(peer.satisfied == profile.satisfied && peer.basic == profile.basic && peer.unsatisfied == profile.unsatisfied)
        #expect(peer.keyProposals == profile.keyProposals)
        #expect(peer.microSuggestions == profile.microSuggestions)
        #expect(peer.microSuggestionsOnTimeRate.count
            == profile.microSuggestions - profile.microSuggestionsLate - profile.microSuggestionsRejected)
        #expect(peer.onlineDutyDays == profile.dutyDays)
        #expect(peer.studiosOpened == profile.studiosOpened && peer.studiosTotal == profile.studiosTotal)
        #expect(titles.count == profile.filed)

        let leiyang = try await demoFill("leiyang", DemoProfile.leiyang2021()).summary
        #expect(peer != leiyang)
        #expect(peer.filed != leiyang.filed)
        #expect(leiyang.rehandled == 0)
    }

    @Test func everyProfileIsKnownByItsCodeAndAddsUp() throws {
        #expect(DemoProfile.codes.count == 6)
        for code in DemoProfile.codes {
            let profile = try #require(DemoProfile.profile(forCode: code))
            try profile.validate()
        }
        #expect(DemoProfile.profile(forCode: "LEIYANG")?.countyName == "耒阳市")
        #expect(DemoProfile.profile(forCode: "nowhere") == nil)
        var broken = DemoProfile.leiyang2021()
        broken.satisfied -= 1
        #expect(throws: WorkflowError.self) { try broken.validate() }
    }
}
