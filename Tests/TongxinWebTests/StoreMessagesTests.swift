import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase
import Workflow
import WorkflowStore

@testable import TongxinWeb

/// The store's refusals as a Chinese page shows them: taken from real steps on a real county, so
/// a message the store changes, or a new one, shows here as untranslated.
@Suite struct StoreMessagesTests {
    /// The store's error, or nil when `body` succeeded or failed otherwise.
    func failure(_ body: () async throws -> Void) async -> WorkflowError? {
        do {
            try await body()
        } catch let error as WorkflowError {
            return error
        } catch {}
        return nil
    }

    @Test func refusalsOfRealStepsReadInChinese() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 2))
            defer { Task { await pool.close() } }
            let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
            let county = try CountyCode("msgs")
            _ = try await registry.create(code: county, name: "译县", region: nil, purpose: .training)
            let store = try WorkflowStore(pool: pool, county: county, principal: .replaying("提案委 张三"))
            try await store.addSector("经济界")
            for name in ["王委员", "赵委员"] { try await store.addMember(name, sector: "经济界") }
            for unit in ["城管局", "林业局", "应急管理局"] { try await store.addUnit(unit) }
            let year = store.today.year
            try await store.openSession(year: year, name: "会议", openedOn: nil, closedOn: nil)
            let first = try await store.file(NewProposal(title: "关于甲的建议", category: .economy, kind: .individual, lead: "王委员")).number
            let second = try await store.file(NewProposal(title: "关于乙的建议", category: .economy, kind: .individual, lead: "赵委员")).number

            var refusals: [String: String] = [:]
            refusals["reply-filed"] = await refusal { _ = try await store.reply(first, unit: "城管局", category: .a, text: "x") }
            try await store.review(second, .decline(.personalMatter, note: "个人事务"))
            refusals["register-declined"] = await refusal { _ = try await store.review(second, .register) }
            try await store.review(first, .register)
            refusals["assign-none"] = await refusal { _ = try await store.assign(first, lead: nil) }
            refusals["assign-unknown"] = await refusal { _ = try await store.assign(first, lead: "不存在局") }
            try await store.assign(first, lead: "城管局", co: ["林业局"])
            refusals["reply-unassigned"] = await refusal { _ = try await store.reply(first, unit: "应急管理局", category: .a, text: "x") }
            refusals["reply-co"] = await refusal { _ = try await store.reply(first, unit: "林业局", category: .a, text: "x") }
            refusals["reply-empty"] = await refusal { _ = try await store.reply(first, unit: "城管局", category: .a, text: "  ") }
            refusals["reply-phone"] = await refusal {
                _ = try await store.reply(first, unit: "城管局", category: .a, text: "x", letter: ReplyLetter(contactPhone: "电话号码"))
            }
            try await store.acknowledge(first, unit: "城管局")
            refusals["acknowledge-twice"] = await refusal { _ = try await store.acknowledge(first, unit: "城管局") }
            refusals["supervise-not-key"] = await refusal { _ = try await store.supervise(first, supervisor: nil, kind: .other, note: nil, heldOn: nil) }
            try await store.reply(first, unit: "城管局", category: .b, text: "列入计划")
            refusals["evaluate-stranger"] = await refusal { _ = try await store.evaluate(first, member: "赵委员", rating: .satisfied) }
            try await store.evaluate(first, member: "王委员", rating: .satisfied)
            refusals["evaluate-closed"] = await refusal { _ = try await store.evaluate(first, member: "王委员", rating: .satisfied) }
            refusals["file-title"] = await refusal { _ = try await store.file(NewProposal(title: " ", category: .other, kind: .individual, lead: "王委员")) }
            refusals["file-lead"] = await refusal { _ = try await store.file(NewProposal(title: "x", category: .other, kind: .individual, lead: "无名氏")) }
            refusals["file-joint"] = await refusal { _ = try await store.file(NewProposal(title: "x", category: .other, kind: .joint, lead: "王委员")) }
            refusals["file-session"] = await refusal {
                _ = try await store.file(NewProposal(title: "x", category: .other, kind: .individual, lead: "王委员", sessionYear: year + 1))
            }
            let suggestion = try await store.fileSuggestion(member: "王委员", title: "路灯不亮", body: "城西路灯不亮。").number
            try await store.routeSuggestion(suggestion, unit: "城管局")
            refusals["suggestion-other-unit"] = await refusal { _ = try await store.replySuggestion(suggestion, unit: "林业局", text: "x") }
            refusals["merge-typo"] = await refusal { _ = try await store.review(second, .mergeInto("\(year)-57")) }
            // A refusal that did not happen would drop out of the dictionary unnoticed.
            #expect(refusals.count == 18)

            // What the web answers with 404: a record that is not there, a malformed number, a
            // draft that is not the principal's; a refused step is a message on the page instead.
            let missing = await failure { _ = try await store.show("\(year)-999") }
            let malformed = await failure { _ = try await store.show("57") }
            let noDraft = await failure { _ = try await store.draft(Int64(999)) }
            let refused = await failure { _ = try await store.evaluate(first, member: "王委员", rating: .satisfied) }
            #expect(missing?.isNotFound == true)
            #expect(malformed?.isNotFound == true)
            #expect(noDraft?.isNotFound == true)
            #expect(refused?.isNotFound == false)
            #expect(WorkflowError(notFound: "no proposal 2026-999 in county msgs").isNotFound)
            #expect(!WorkflowError("proposal 2026-001: cannot reply: the proposal is filed, not assigned").isNotFound)

            for (name, message) in refusals.sorted(by: { $0.key < $1.key }) {
                #expect(StoreMessages.chinese(message) != nil, "\(name): not in the catalogue: \(message)")
            }
            let zh = Tr(lang: .zh)
            #expect(StoreMessages.shown(refusals["reply-filed"] ?? "", zh) == "提案\(first)：不能答复：提案当前为「待审查」，此步骤只适用于「办理中」或「重新办理」")
            #expect(StoreMessages.shown(refusals["register-declined"] ?? "", zh) == "提案\(second)：不能立案：提案当前为「不予立案」，此步骤只适用于「待审查」")
            #expect(StoreMessages.shown(refusals["reply-unassigned"] ?? "", zh) == "提案\(first)：不能答复：该提案没有交应急管理局办理")
            #expect(StoreMessages.shown(refusals["acknowledge-twice"] ?? "", zh).contains("城管局已签收"))
            #expect(StoreMessages.shown(refusals["file-title"] ?? "", zh) == "案由：不能为空")
            #expect(StoreMessages.shown(refusals["file-lead"] ?? "", zh) == "领衔人：没有委员「无名氏」")
            #expect(StoreMessages.shown(refusals["reply-phone"] ?? "", zh) == "联系电话：「电话号码」不是电话号码")
            #expect(StoreMessages.shown(refusals["suggestion-other-unit"] ?? "", zh) == "微建议\(suggestion)：不能答复：已转交城管局，不是林业局")
            // A mistyped merge target is the review's mistake, shown on the page (not a 404).
            #expect(await failure { _ = try await store.review(second, .mergeInto("\(year)-57")) }?.isNotFound == false)
            let third = try await store.file(NewProposal(title: "关于丙的建议", category: .economy, kind: .individual, lead: "赵委员")).number
            let missingTarget = await failure { _ = try await store.review(third, .mergeInto("\(year)-998")) }
            #expect(missingTarget?.isNotFound == false)
            #expect(missingTarget?.description == "--merge-into: no proposal \(year)-998 in county msgs", "\(String(describing: missingTarget))")
            #expect(StoreMessages.shown(missingTarget?.description ?? "", zh) == "并入提案：没有提案\(year)-998")
            #expect(StoreMessages.shown(refusals["merge-typo"] ?? "", zh) == "并入提案：「\(year)-57」不是提案编号（如 2021-057）")
        }
    }

    @Test func anUnknownMessageIsShownWholeInEnglishUnderAChineseHeading() {
        let zh = Tr(lang: .zh)
        let en = Tr(lang: .en)
        let unknown = "proposal 2026-001: cannot reply: the moon is full"
        #expect(StoreMessages.chinese(unknown) == nil, "no half translation")
        #expect(StoreMessages.shown(unknown, zh) == "未能完成（系统原文）：" + unknown)
        #expect(StoreMessages.shown(unknown, en) == unknown)
        #expect(StoreMessages.shown("title: must not be empty", en) == "title: must not be empty")
        // An import's lines, as the store words them.
        #expect(StoreMessages.shown("line 3, field name: must not be empty", zh) == "第3行，名称：不能为空")
        #expect(StoreMessages.shown("line 4, field name: 101 characters, at most 100", zh) == "第4行，名称：101个字，最多100个字")
        #expect(StoreMessages.shown("line 2: 3 fields, the header has 2", zh) == "第2行：有3个字段，而表头有2个")
        #expect(StoreMessages.shown("line 2: the header is haunted", zh).hasPrefix("未能完成"))
        // --lead names a unit in one step and a member in another: not guessed.
        #expect(StoreMessages.chinese("--lead: must not be empty") == nil)
        #expect(StoreMessages.chinese("lead: no member \"无名氏\" in county x") == "领衔人：没有委员「无名氏」")
        // A known step with an unknown reason, and an unknown field, stay whole too.
        #expect(StoreMessages.chinese("cannot fly: the proposal is filed") == nil)
        #expect(StoreMessages.chinese("colour: must not be empty") == nil)
    }
}
