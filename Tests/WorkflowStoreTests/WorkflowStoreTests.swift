import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import Testing
import Workflow
import WorkflowStore
import TongxinBase

/// A fresh database with one county `code`, a store acting on 2021-03-10 09:00 local time, and
/// reference data: two sectors, five members, four units, the 2021 session.
func withCounty<R: Sendable>(
    _ code: String = "leiyang", _ body: (WorkflowStore, CountyRegistry) async throws -> R
) async throws -> R {
    try await TestDatabase.withDatabase { configuration in
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 4))
        do {
            let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
            let county = try CountyCode(code)
            _ = try await registry.create(code: county, name: "耒阳市", region: "湖南省衡阳市", purpose: .training)
            let store = try WorkflowStore(pool: pool, county: county, principal: .replaying("提案委 张三"), now: at("2021-03-01T09:00"))
            try await store.addSector("经济界")
            try await store.addSector("教育界")
            for (name, sector) in [("王委员", "经济界"), ("李委员", "经济界"), ("赵委员", "教育界"), ("钱委员", "教育界"), ("孙委员", "教育界")] {
                try await store.addMember(name, sector: sector)
            }
            for unit in ["城管局", "林业局", "应急管理局", "文旅广体局"] { try await store.addUnit(unit) }
            try await store.addUnit("城农投公司", kind: .stateCompany)
            try await store.openSession(year: 2021, name: "十届七次会议", openedOn: day("2021-03-01"), closedOn: day("2021-03-05"))
            let value = try await body(store.at(at("2021-03-10T09:00")), registry)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

func at(_ text: String) -> Date {
    (try? LocalTime.parse(text)) ?? Date(timeIntervalSince1970: 0)
}

func day(_ text: String) -> CalendarDate {
    (try? CalendarDate(text)) ?? LocalTime.day(of: Date(timeIntervalSince1970: 0))
}

func auditCount(_ store: WorkflowStore) async throws -> Int {
    try await store.auditLog().count
}

@Suite struct WorkflowStoreTests {
    @Test func aJointProposalGoesFromFilingToClosedWithEveryStepAudited() async throws {
        try await withCounty { store, _ in
            let filed = try await store.at(at("2021-03-02T10:00")).file(NewProposal(
                title: "关于规范城区物业管理的建议", body: "建议……", category: .livelihood, kind: .joint,
                lead: "王委员", coAuthors: ["李委员"]))
            #expect(filed.number == "2021-001")
            try await store.review("2021-001", .register)
            let assigned = try await store.assign("2021-001", lead: "城管局", co: ["林业局"])
            #expect(assigned.message.contains("due 2021-06-10"))
            try await store.at(at("2021-04-01T09:00")).opinion("2021-001", unit: "林业局", text: "同意主办单位意见")
            try await store.at(at("2021-05-20T15:00")).reply("2021-001", unit: "城管局", category: .a, text: "已出台物业管理办法")
            try await store.at(at("2021-06-01T09:00")).evaluate("2021-001", member: "王委员", rating: .satisfied)
            let last = try await store.at(at("2021-06-02T09:00")).evaluate("2021-001", member: "李委员", rating: .basic, processRating: .satisfied)
            #expect(last.status == "closed")

            let detail = try await store.show("2021-001")
            #expect(detail.status == "closed")
            #expect(detail.kind == "joint")
            #expect(detail.authors.map(\.member) == ["王委员", "李委员"])
            #expect(detail.authors.first?.lead == true)
            #expect(detail.assignments.map(\.unit) == ["城管局", "林业局"])
            #expect(detail.assignments.first?.dueAt == day("2021-06-10"))
            #expect(detail.assignments.first?.replyCategory == "A")
            #expect(detail.assignments.first?.repliedAt == at("2021-05-20T15:00"))
            #expect(detail.opinions.map(\.unit) == ["林业局"])
            #expect(detail.evaluations.map(\.rating) == ["satisfied", "basic"])
            #expect(detail.evaluations.last?.processRating == "satisfied")
            #expect(detail.registeredAt == at("2021-03-10T09:00"))
            #expect(detail.closedAt == at("2021-06-02T09:00"))
            #expect(detail.timeline.map(\.action) == ["file", "register", "assign", "opinion", "reply", "evaluate", "evaluate"])
            #expect(detail.timeline.allSatisfy { $0.actor == "提案委 张三" })
            #expect(detail.timeline.first?.at == at("2021-03-02T10:00"))

            let verified = try await store.verifyAudit()
            #expect(verified.firstBroken == nil)
            #expect(verified.entries == 2 + 5 + 5 + 1 + 7)  // sectors, members, units, session, the proposal's steps
        }
    }

    @Test func refusedStepsSayWhyAndWriteNothing() async throws {
        try await withCounty { store, _ in
            try await store.file(NewProposal(title: "关于A的建议", category: .economy, kind: .individual, lead: "王委员"))
            try await store.file(NewProposal(title: "关于B的建议", category: .economy, kind: .individual, lead: "赵委员"))
            let before = try await auditCount(store)
            #expect(await refusal { try await store.reply("2021-001", unit: "城管局", category: .a, text: "x") }
                == "proposal 2021-001: cannot reply: the proposal is filed, not assigned or rehandling")
            try await store.review("2021-002", .decline(.personalMatter, note: "个人事务"))
            #expect(await refusal { try await store.review("2021-002", .register) }
                == "proposal 2021-002: cannot register: the proposal is declined, not filed")
            try await store.review("2021-001", .register)
            try await store.assign("2021-001", lead: "城管局", co: ["林业局"])
            #expect(await refusal { try await store.reply("2021-001", unit: "应急管理局", category: .a, text: "x") }
                == "proposal 2021-001: cannot reply: unit 应急管理局 is not assigned to this proposal")
            #expect(await refusal { try await store.reply("2021-001", unit: "林业局", category: .a, text: "x") }?
                .contains("co-handles") == true)
            #expect(await refusal { try await store.assign("2021-001", lead: "不存在局") }?.contains("unit") == true)
            try await store.reply("2021-001", unit: "城管局", category: .b, text: "列入计划")
            try await store.evaluate("2021-001", member: "王委员", rating: .satisfied)
            #expect(await refusal { try await store.evaluate("2021-001", member: "王委员", rating: .satisfied) }
                == "proposal 2021-001: cannot evaluate: the proposal is closed, not replied")
            #expect(await refusal { try await store.file(NewProposal(title: "x", category: .other, kind: .individual, lead: "无名氏")) }
                == "lead: no member \"无名氏\" in county leiyang")
            #expect(await refusal { try await store.file(NewProposal(title: "x", category: .other, kind: .joint, lead: "王委员")) }?
                .hasPrefix("kind:") == true)
            #expect(await refusal { try await store.file(NewProposal(title: "x", category: .other, kind: .individual, lead: "王委员", sessionYear: 2022)) }?
                .hasPrefix("session: no 2022 session") == true)
            #expect(await refusal { _ = try await store.show("57") } == "proposal: \"57\" is not a proposal number like 2021-057")
            #expect(await refusal { _ = try await store.show("2021-0001") } == "proposal: \"2021-0001\" is not a proposal number like 2021-057")
            // Accepted steps: decline, register, assign, reply, evaluate.
            #expect(try await auditCount(store) == before + 5)
            #expect(try await store.show("2021-002").declineReason == "personal_matter")
        }
    }

    @Test func unsatisfiedTwiceLeadsThroughRehandlingToAConsultation() async throws {
        try await withCounty { store, _ in
            try await store.file(NewProposal(title: "关于治理噪声的建议", category: .ecology, kind: .individual, lead: "赵委员"))
            try await store.review("2021-001", .register)
            try await store.assign("2021-001", lead: "城管局")
            try await store.at(at("2021-04-01T09:00")).reply("2021-001", unit: "城管局", category: .c, text: "暂不能解决")
            let first = try await store.at(at("2021-04-10T09:00")).evaluate("2021-001", member: "赵委员", rating: .unsatisfied)
            #expect(first.status == "rehandling")
            var detail = try await store.show("2021-001")
            #expect(detail.round == 2)
            #expect(detail.assignments.first?.dueAt == day("2021-07-10"))
            #expect(detail.assignments.first?.repliedAt == nil)
            try await store.at(at("2021-05-01T09:00")).reply("2021-001", unit: "城管局", category: .b, text: "已列入计划")
            let second = try await store.at(at("2021-05-05T09:00")).evaluate("2021-001", member: "赵委员", rating: .unsatisfied)
            #expect(second.status == "replied")
            #expect(await refusal { try await store.evaluate("2021-001", member: "赵委员", rating: .satisfied) }?
                .contains("a consultation is due") == true)
            try await store.at(at("2021-05-20T09:00")).consult("2021-001", outcome: "面商：明年解决", heldOn: nil)
            detail = try await store.show("2021-001")
            #expect(detail.status == "closed")
            #expect(detail.needsConsultation == false)
            #expect(detail.consultations.map(\.heldOn) == [day("2021-05-20")])
            #expect(detail.replies.map(\.round) == [1, 2])
            #expect(detail.evaluations.map(\.round) == [1, 2])
        }
    }

    @Test func mergedProposalsShareHandlingAndEveryAuthorRates() async throws {
        try await withCounty { store, _ in
            try await store.file(NewProposal(title: "关于改造老旧小区的建议", category: .urbanRural, kind: .individual, lead: "王委员"))
            try await store.file(NewProposal(title: "关于老旧小区加装电梯的建议", category: .urbanRural, kind: .joint, lead: "钱委员", coAuthors: ["孙委员"]))
            try await store.review("2021-001", .register)
            #expect(await refusal { try await store.review("2021-002", .mergeInto("2021-002")) }?.contains("itself") == true)
            try await store.review("2021-002", .mergeInto("2021-001"))
            try await store.assign("2021-001", lead: "城管局")
            try await store.reply("2021-001", unit: "城管局", category: .a, text: "已纳入改造计划")
            try await store.evaluate("2021-001", member: "王委员", rating: .satisfied)
            #expect(try await store.show("2021-001").status == "replied")
            // The merged proposal's authors rate through either number.
            try await store.evaluate("2021-002", member: "钱委员", rating: .basic)
            let last = try await store.evaluate("2021-001", member: "孙委员", rating: .satisfied)
            #expect(last.status == "closed")
            let merged = try await store.show("2021-002")
            #expect(merged.status == "merged")
            #expect(merged.mergedInto == "2021-001")
            #expect(merged.assignments.map(\.unit) == ["城管局"])
            #expect(try await store.show("2021-001").merged == ["2021-002"])
            #expect(await refusal { try await store.evaluate("2021-001", member: "赵委员", rating: .satisfied) } != nil)
        }
    }

    @Test func deadlinesFollowTheCountysCalendarAndExtensionsStopAtTheMaximum() async throws {
        try await withCounty { store, registry in
            _ = try await registry.set(store.county, key: "day_counting", value: "working")
            _ = try await registry.set(store.county, key: "unit_return_days", value: "5")
            // 2021-06-10 is a Thursday; make it a holiday so the deadline moves to Friday.
            try await store.setCalendarDay(day("2021-06-10"), kind: "holiday")
            try await store.file(NewProposal(title: "关于森林防火的建议", category: .ecology, kind: .individual, lead: "李委员"))
            try await store.review("2021-001", .register)
            try await store.assign("2021-001", lead: "林业局", co: ["应急管理局"])
            #expect(try await store.show("2021-001").assignments.first?.dueAt == day("2021-06-11"))
            // Five working days from Wednesday 2021-03-10 end on Wednesday 2021-03-17.
            #expect(await refusal { try await store.at(at("2021-03-18T09:00")).unitReturn("2021-001", unit: "应急管理局", reason: "非本单位职责") }?
                .contains("the return window ended on 2021-03-17") == true)
            try await store.at(at("2021-03-17T09:00")).unitReturn("2021-001", unit: "应急管理局", reason: "非本单位职责")
            #expect(try await store.show("2021-001").assignments.last?.returnedAt == at("2021-03-17T09:00"))
            #expect(await refusal { try await store.extend("2021-001", unit: "林业局", until: day("2021-12-01")) }?
                .contains("the longest extension ends on 2021-09-10") == true)
            try await store.extend("2021-001", unit: "林业局", until: nil)
            let lead = try await store.show("2021-001").assignments.first
            #expect(lead?.dueAt == day("2021-09-10"))
            #expect(lead?.extended == true)
            // Overdue after the deadline, listed by the filter.
            let later = store.at(at("2021-09-13T09:00"))
            #expect(try await later.list(ProposalFilter(overdue: true)).map(\.number) == ["2021-001"])
            #expect(try await store.list(ProposalFilter(overdue: true)).isEmpty)
            #expect(try await later.list(ProposalFilter(unit: "林业局")).map(\.number) == ["2021-001"])
            #expect(try await later.list(ProposalFilter(unit: "应急管理局")).isEmpty)
        }
    }

    @Test func aStepThatCannotBeAuditedIsNotCommitted() async throws {
        try await withCounty { store, _ in
            try await store.file(NewProposal(title: "关于A的建议", category: .economy, kind: .individual, lead: "王委员"))
            #expect(await refusal { try await store.file(NewProposal(title: "again", category: .economy, kind: .individual, lead: "王委员", number: "2021-001")) }
                == "number: proposal 2021-001 exists already")
            try await store.pool.query("DELETE FROM county_leiyang.audit_head")
            #expect(await refusal { try await store.review("2021-001", .register) }
                == "the audit log of county_leiyang has no chain head (audit_head): run `tongxin migrate up`")
            #expect(try await store.show("2021-001").status == "filed")
        }
    }

    @Test func anArchivedCountyIsReadNotWritten() async throws {
        try await withCounty { store, registry in
            try await store.file(NewProposal(title: "关于A的建议", category: .economy, kind: .individual, lead: "王委员"))
            _ = try await registry.archive(store.county)
            #expect(await refusal { try await store.review("2021-001", .register) }
                == "county leiyang is archived: its data can be read and reported, not changed")
            #expect(await refusal { try await store.addMember("新委员", sector: nil) }?.contains("archived") == true)
            #expect(try await store.show("2021-001").status == "filed")
            #expect(try await store.members().count == 5)
        }
    }

    @Test func microSuggestionsAreRoutedWithAWorkingDayDeadline() async throws {
        try await withCounty { store, _ in
            let filed = try await store.fileSuggestion(member: "孙委员", title: "路灯不亮", body: "某路段路灯损坏")
            #expect(filed.number == "W2021-001")
            // Fifteen working days from Wednesday 2021-03-10: Wednesday 2021-03-31.
            let routed = try await store.routeSuggestion("W2021-001", unit: "城管局")
            #expect(routed.message.hasSuffix("due 2021-03-31"))
            #expect(await refusal { try await store.replySuggestion("W2021-001", unit: "林业局", text: "x") }?
                .contains("routed to 城管局") == true)
            try await store.at(at("2021-03-20T09:00")).replySuggestion("W2021-001", unit: "城管局", text: "已修复")
            try await store.evaluateSuggestion("W2021-001", rating: .satisfied)
            let record = try await store.suggestion("W2021-001")
            #expect(record.status == "closed")
            #expect(record.onTime == true)
            #expect(record.rating == "satisfied")
            try await store.fileSuggestion(member: "王委员", title: "广告牌", body: "")
            try await store.rejectSuggestion("W2021-002", reason: "非具体事项")
            #expect(try await store.suggestions(status: .rejected).map(\.number) == ["W2021-002"])
            #expect(try await store.auditLog(entityID: "W2021-001").map(\.action) == ["file", "route", "reply", "evaluate"])
        }
    }

    @Test func activitiesAreCheckedAndCounted() async throws {
        try await withCounty { store, _ in
            try await store.addActivity(.visitHosted, on: day("2021-05-01"), peer: "昭平县政协")
            try await store.addActivity(.supervisionGroup, on: day("2021-04-01"), unit: "城管局")
            try await store.addActivity(.dutyDay, on: day("2021-04-02"), member: "王委员", days: 3)
            #expect(await refusal { try await store.addActivity(.visitMade, on: nil) } == "--peer: name the peer committee of the visit")
            #expect(await refusal { try await store.addActivity(.supervisionGroup, on: nil) }?.hasPrefix("--unit") == true)
            #expect(await refusal { try await store.addActivity(.dutyDay, on: nil, member: "王委员", days: 0) }?.hasPrefix("--days") == true)
            let all = try await store.activities(year: 2021)
            #expect(all.map(\.kind) == ["supervision_group", "duty_day", "visit_hosted"])
            #expect(all.map(\.days).reduce(0, +) == 5)
        }
    }

    @Test func freeTextIsStoredLiterallyAndControlCharactersAreRefused() async throws {
        try await withCounty { store, _ in
            let title = "'); DROP TABLE proposal; -- 关于\"引号\"的建议 $1 \\x"
            try await store.file(NewProposal(title: title, category: .other, kind: .individual, lead: "王委员"))
            #expect(try await store.show("2021-001").title == title)
            #expect(await refusal { try await store.file(NewProposal(title: "a\u{7}b", category: .other, kind: .individual, lead: "王委员")) }
                == "title: contains a control character (U+7)")
            #expect(await refusal { try await store.file(NewProposal(title: String(repeating: "长", count: 301), category: .other, kind: .individual, lead: "王委员")) }
                == "title: 301 characters, at most 300")
        }
    }
}
