import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase
import Workflow
import WorkflowStore

/// A live county `code` with reference data set up now (by the server's clock), and principals:
/// staff, a member (王委员), a unit (城管局), another unit (林业局).
struct LiveCounty {
    let pool: PostgresPool
    let code: CountyCode
    let staff: Principal
    let member: Principal
    let otherMember: Principal
    let unit: Principal
    let otherUnit: Principal

    func store(_ principal: Principal, now: Date = Date(), reason: String? = nil) throws -> WorkflowStore {
        try WorkflowStore(pool: pool, county: code, principal: principal, now: now, reason: reason)
    }

    var year: Int { LocalTime.day(of: Date()).year }
}

func withLiveCounty<R: Sendable>(_ body: (LiveCounty) async throws -> R) async throws -> R {
    try await TestDatabase.withDatabase { configuration in
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 4))
        do {
            let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
            let code = try CountyCode("live")
            _ = try await registry.create(code: code, name: "真实县", region: nil)
            let staff = Principal(login: "staff.li", role: .staff, counties: ["live"])
            let setup = try WorkflowStore(pool: pool, county: code, principal: staff)
            try await setup.addSector("经济界")
            for name in ["王委员", "李委员"] { try await setup.addMember(name, sector: "经济界") }
            for unit in ["城管局", "林业局"] { try await setup.addUnit(unit) }
            let year = LocalTime.day(of: Date()).year
            try await setup.openSession(year: year, name: "会议", openedOn: nil, closedOn: nil)
            func id(_ table: String, _ name: String) async throws -> Int64 {
                try await pool.query("SELECT id FROM county_live.\(unescaped: table) WHERE name = \(name)").single().decode(Int64.self)
            }
            let county = LiveCounty(
                pool: pool, code: code, staff: staff,
                member: Principal(login: "wang", role: .member, counties: ["live"], memberID: try await id("member", "王委员")),
                otherMember: Principal(login: "li", role: .member, counties: ["live"], memberID: try await id("member", "李委员")),
                unit: Principal(login: "cgj", role: .unit, counties: ["live"], unitID: try await id("unit", "城管局")),
                otherUnit: Principal(login: "lyj", role: .unit, counties: ["live"], unitID: try await id("unit", "林业局")))
            let value = try await body(county)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

@Suite struct HonestClockTests {
    @Test func theFutureIsRefusedAndThePastNeedsStaffAReasonAndTheCountysLimit() async throws {
        try await withLiveCounty { county in
            let member = try county.store(county.member)
            let filed = try await member.file(NewProposal(title: "关于路灯的建议", category: .urbanRural, kind: .individual, lead: "王委员"))
            let number = filed.number
            let before = try await auditCount(try county.store(county.staff))
            let tomorrow = Date().addingTimeInterval(86_400)
            #expect(await refusal { try await county.store(county.staff, now: tomorrow).review(number, .register) }?
                .hasPrefix("--as-of: ") == true)
            let lastWeek = Date().addingTimeInterval(-7 * 86_400)
            #expect(await refusal { try await county.store(county.staff, now: lastWeek).review(number, .register) }
                == "--backdate-reason: a step effective in the past (\(LocalTime.display(lastWeek))) needs the reason it is entered late")
            #expect(await refusal { try await county.store(county.member, now: lastWeek, reason: "忘了").withdraw(number) }?
                .hasPrefix("not allowed: wang (member) may not step.backdate") == true)
            let longAgo = Date().addingTimeInterval(-40 * 86_400)
            #expect(await refusal { try await county.store(county.staff, now: longAgo, reason: "补录").review(number, .register) }?
                .contains("allows at most 30 (backdate_days)") == true)
            #expect(try await auditCount(try county.store(county.staff)) == before)
            // Within the limit, with a reason: recorded with both clocks and the reason.
            try await county.store(county.staff, now: lastWeek, reason: "纸质立案通知补录").review(number, .register)
            let (at, recorded, detail) = try await county.pool.query("""
                SELECT at, recorded_at, detail->>'backdated_reason' FROM county_live.audit_log WHERE action = 'register'
                """).single().decode((Date, Date, String?).self)
            #expect(abs(at.timeIntervalSince(lastWeek)) < 1)
            #expect(abs(recorded.timeIntervalSinceNow) < 60)
            #expect(detail == "纸质立案通知补录")
            #expect(try await county.store(county.staff).verifyAudit().firstBroken == nil)
        }
    }

    @Test func membersAndUnitsActOnlyOnTheirOwnAndStaffEnterPaperOnBehalf() async throws {
        try await withLiveCounty { county in
            let staff = try county.store(county.staff)
            let number = try await staff.file(NewProposal(title: "关于绿化的建议", category: .ecology, kind: .individual, lead: "王委员")).number
            try await staff.review(number, .register)
            try await staff.assign(number, lead: "城管局", co: ["林业局"])
            // Another member cannot see it; another unit cannot answer it; a co-unit cannot reply.
            #expect(await refusal { _ = try await county.store(county.otherMember).show(number) } == "no proposal \(number) in county live")
            #expect(try await county.store(county.otherMember).list().isEmpty)
            #expect(try await county.store(county.member).list().map(\.number) == [number])
            #expect(await refusal { try await county.store(county.otherUnit).reply(number, unit: nil, category: .a, text: "x") }?
                .hasPrefix("proposal \(number): not allowed: lyj (unit) may not proposal.reply: a co-unit gives its opinion") == true)
            #expect(await refusal { try await county.store(county.unit).reply(number, unit: "林业局", category: .a, text: "x") }?
                .contains("a unit answers for itself only") == true)
            #expect(await refusal { try await staff.reply(number, unit: "城管局", category: .a, text: "x") }?
                .contains("a reply is the unit's own") == true)
            try await county.store(county.otherUnit).opinion(number, unit: nil, text: "同意")
            try await county.store(county.unit).reply(number, unit: nil, category: .a, text: "已办理")
            // A unit never rates; another member may not rate for 王委员; staff only from paper.
            #expect(await refusal { try await county.store(county.unit).evaluate(number, member: "王委员", rating: .satisfied) }?
                .contains("a handling unit never rates") == true)
            #expect(await refusal { try await county.store(county.otherMember).evaluate(number, member: "王委员", rating: .satisfied) }?
                .contains("it is not the member's own") == true)
            #expect(await refusal { try await staff.evaluate(number, member: "王委员", rating: .satisfied) }?
                .contains("a rating is the member's own") == true)
            let paper = try PaperEntry(day: LocalTime.day(of: Date().addingTimeInterval(-2 * 86_400)), note: "纸质征询意见表")
            try await staff.evaluate(number, member: "王委员", rating: .satisfied, paper: paper)
            let (enteredBy, recordedLate) = try await county.pool.query("""
                SELECT entered_by, recorded_at > evaluated_at + interval '1 day' FROM county_live.evaluation
                """).single().decode((String?, Bool).self)
            #expect(enteredBy == "staff.li" && recordedLate)
            let entry = try await staff.auditLog(entityID: number).last
            #expect(entry?.actor == "staff.li" && entry?.detail["on_behalf_of"] == "王委员" && entry?.detail["note"] == "纸质征询意见表")
        }
    }

    @Test func anOperatorActingForAnAccountIsRecordedAndReplaysOnlyInTrainingCounties() async throws {
        try await withLiveCounty { county in
            let typed = county.staff.actedFor(by: "pg:ops")
            let number = try await county.store(typed).file(NewProposal(title: "关于停车的建议", category: .urbanRural, kind: .individual, lead: "王委员")).number
            let (actor, enteredBy) = try await county.pool.query("SELECT actor, entered_by FROM county_live.audit_log WHERE action = 'file'")
                .single().decode((String, String?).self)
            #expect(actor == "staff.li" && enteredBy == "pg:ops")
            // The operator itself may not act in a live county, nor replay it.
            #expect(await refusal { try await county.store(.replaying("pg:ops")).review(number, .register) }?
                .contains("an operator acts in a county's workflow only as an account") == true)
            #expect(await refusal { try await county.store(.replaying("pg:ops")).requireReplay() }?
                .contains("the county is not marked demo or training") == true)
            #expect(await refusal { try await county.store(typed, now: Date().addingTimeInterval(-400 * 86_400), reason: "x").review(number, .register) }?
                .contains("backdate_days") == true)
            _ = try await CountyRegistry(pool: county.pool, migrations: try MigrationSet.builtIn(), actor: "test").setPurpose(county.code, .training)
            try await county.store(typed, now: Date().addingTimeInterval(-400 * 86_400)).review(number, .register)
            try await county.store(.replaying("pg:ops")).requireReplay()
        }
    }
}

@Suite struct AcknowledgeStoreTests {
    @Test func aUnitAcknowledgesItsOwnAssignmentAndShowSaysWhen() async throws {
        try await withLiveCounty { county in
            let staff = try county.store(county.staff)
            let number = try await staff.file(NewProposal(title: "关于签收的建议", category: .economy, kind: .individual, lead: "王委员")).number
            try await staff.review(number, .register)
            try await staff.assign(number, lead: "城管局", co: ["林业局"])
            #expect(await refusal { try await staff.acknowledge(number, unit: "城管局") }?.contains("it is the unit's own") == true)
            #expect(await refusal { try await county.store(county.unit).acknowledge(number, unit: "林业局") }?
                .contains("a unit answers for itself only") == true)
            try await county.store(county.unit).acknowledge(number, unit: nil)
            #expect(await refusal { try await county.store(county.unit).acknowledge(number, unit: nil) }
                == "proposal \(number): cannot acknowledge: unit 城管局 acknowledged it already")
            let shown = try await staff.show(number)
            #expect(shown.assignments.map { $0.acknowledgedAt != nil } == [true, false])
            #expect(try await staff.auditLog(entityID: number).last?.action == "acknowledge")
            #expect(try await staff.verifyAuditDeeply().differences.isEmpty)
        }
    }
}

@Suite struct ExtensionRequestStoreTests {
    @Test func theUnitAsksTheOfficeApprovesOrRefusesAndTheDeadlineMovesOnlyOnApproval() async throws {
        try await withLiveCounty { county in
            let staff = try county.store(county.staff)
            let unit = try county.store(county.unit)
            let number = try await staff.file(NewProposal(title: "关于延期的建议", category: .economy, kind: .individual, lead: "王委员")).number
            try await staff.review(number, .register)
            try await staff.assign(number, lead: "城管局", co: ["林业局"])
            let due = try #require(try await staff.show(number).assignments.first?.dueAt)
            let asked = try due.adding(days: 20)
            #expect(await refusal { try await staff.requestExtension(number, unit: "城管局", until: asked, reason: "x") }?
                .contains("it is the unit's own") == true)
            #expect(await refusal { try await county.store(county.otherUnit).requestExtension(number, unit: nil, until: asked, reason: "x") }?
                .contains("a co-unit's view has no extension") == true)
            try await unit.requestExtension(number, unit: nil, until: asked, reason: "需征地拆迁")
            #expect(try await staff.show(number).assignments.first?.extensionRequested == asked)
            try await staff.refuseExtension(number, unit: "城管局", note: "理由不足")
            #expect(try await staff.show(number).assignments.first.map { ($0.extensionRequested, $0.dueAt) }! == (nil, due))
            try await unit.requestExtension(number, unit: nil, until: asked, reason: "需征地拆迁，补充材料")
            try await staff.extend(number, unit: "城管局", until: nil)
            let after = try #require(try await staff.show(number).assignments.first)
            #expect(after.dueAt == asked && after.extended && after.extensionRequested == nil)
            let states = try await county.pool.query("SELECT state FROM county_live.extension_request ORDER BY id").decode(String.self)
            #expect(states == ["refused", "approved"])
            #expect(try await staff.auditLog(entityID: number).map(\.action).suffix(4) == ["request-extension", "refuse-extension", "request-extension", "extend"])
            #expect(try await staff.verifyAuditDeeply().differences.isEmpty)
        }
    }
}
