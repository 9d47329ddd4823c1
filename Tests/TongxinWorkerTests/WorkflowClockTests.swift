import Counties
import Foundation
import JobQueue
import Logging
import Migrations
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Synchronization
import Testing
import TongxinWorker
import Workflow
import WorkflowStore
import TongxinBase

/// Notifications as a sink received them.
final class CapturingSink: NotificationSink {
    let received = Mutex<[OutboxNotification]>([])
    var channel: String { "test" }
    func deliver(_ notification: OutboxNotification) async throws {
        received.withLock { $0.append(notification) }
    }
}

func local(_ text: String) -> Date { (try? LocalTime.parse(text)) ?? Date(timeIntervalSince1970: 0) }

/// A county with members, units and the 2021 session, and a worker on a replayed clock.
func withReplay<R: Sendable>(
    _ body: (WorkflowStore, JobRunner, CapturingSink, PostgresPool) async throws -> R
) async throws -> R {
    try await withQueue { configuration, pool in
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
        let county = try CountyCode("leiyang")
        _ = try await registry.create(code: county, name: "耒阳市", region: nil, purpose: .training)
        let store = try await referenceData(try WorkflowStore(pool: pool, county: county, principal: .replaying("提案委"), now: local("2021-02-20T09:00")))
        var logger = Logger(label: "test.replay")
        logger.logLevel = .critical
        let sink = CapturingSink()
        let workerConfiguration = JobRunnerConfiguration(concurrency: 1, batchSize: 50)
        let workerPool = JobRunner.pool(configuration, workerConfiguration, logger)
        let worker = JobRunner(pool: workerPool, worker: workerConfiguration, handlers: WorkerProgram.handlers(pool: workerPool, sink: sink), logger: logger)
        do {
            let value = try await body(store, worker, sink, pool)
            await worker.close()
            return value
        } catch {
            await worker.close()
            throw error
        }
    }
}

/// A sector, two members, three units and the 2021 session.
func referenceData(_ store: WorkflowStore) async throws -> WorkflowStore {
    try await store.addSector("经济界")
    for name in ["王委员", "李委员"] { try await store.addMember(name, sector: "经济界") }
    for unit in ["城管局", "林业局", "交通运输局"] { try await store.addUnit(unit) }
    try await store.openSession(year: 2021, name: "十届七次会议", openedOn: try CalendarDate("2021-03-01"), closedOn: try CalendarDate("2021-03-05"))
    return store
}

/// Files and registers a proposal by `member` on 2021-03-05, assigns it to `unit` at `assigned`.
func assigned(_ store: WorkflowStore, _ title: String, member: String, unit: String, at assigned: String) async throws -> String {
    let filed = try await store.at(local("2021-03-05T10:00")).file(NewProposal(
        title: title, body: "建议内容", category: .livelihood, kind: .individual, lead: member, sessionYear: 2021))
    try await store.at(local("2021-03-08T10:00")).review(filed.number, .register)
    try await store.at(local(assigned)).assign(filed.number, lead: unit)
    return filed.number
}

@Suite struct WorkflowClockTests {
    @Test func aReplayedYearPutsEachReminderAndOverdueMarkOnItsDay() async throws {
        try await withReplay { store, worker, sink, pool in
            let late = try await assigned(store, "关于城区停车的建议", member: "王委员", unit: "城管局", at: "2021-03-10T09:00")
            let replied = try await assigned(store, "关于油茶产业的建议", member: "李委员", unit: "林业局", at: "2021-03-10T09:30")
            let extended = try await assigned(store, "关于乡村公路的建议", member: "王委员", unit: "交通运输局", at: "2021-03-10T10:00")
            // Day by day, with the staff's steps on their days.
            var day = try CalendarDate("2021-03-10")
            let last = try CalendarDate("2021-08-20")
            while day <= last {
                if day.description == "2021-05-01" {
                    _ = try await worker.runDue(asOf: local("2021-05-01T10:00"))
                    try await store.at(local("2021-05-01T10:00")).reply(replied, unit: "林业局", category: .a, text: "已办理")
                }
                if day.description == "2021-05-20" {
                    _ = try await worker.runDue(asOf: local("2021-05-20T11:00"))
                    try await store.at(local("2021-05-20T11:00")).extend(extended, unit: "交通运输局", until: try CalendarDate("2021-08-10"))
                }
                _ = try await worker.runDue(asOf: LocalTime.time(on: day, seconds: 86_399))
                day = try day.adding(days: 1)
            }
            let rows = try await pool.query("""
                SELECT kind, recipient, subject, created_at FROM tongxin.notification ORDER BY created_at, id
                """).decode((String, String, String, Date).self)
            let seen = rows.map { "\($0.0) \($0.1) \($0.2) \(LocalTime.iso($0.3))" }
            #expect(seen == [
                "evaluation.remind 李委员 \(replied) 2021-05-24T09:00:00+08:00",
                "deadline.remind 城管局 \(late) 2021-05-26T09:00:00+08:00",
                "evaluation.closed 提案委 \(replied) 2021-06-01T00:00:00+08:00",
                "deadline.remind 城管局 \(late) 2021-06-03T09:00:00+08:00",
                "deadline.remind 城管局 \(late) 2021-06-09T09:00:00+08:00",
                "deadline.overdue 城管局 \(late) 2021-06-11T00:00:00+08:00",
                "deadline.escalate 提案委 \(late) 2021-07-10T09:00:00+08:00",
                "deadline.remind 交通运输局 \(extended) 2021-07-26T09:00:00+08:00",
                "deadline.remind 交通运输局 \(extended) 2021-08-03T09:00:00+08:00",
                "deadline.remind 交通运输局 \(extended) 2021-08-09T09:00:00+08:00",
                "deadline.overdue 交通运输局 \(extended) 2021-08-11T00:00:00+08:00",
            ])
            // The overdue marks and the closing are in the audit log at their times.
            let audit = try await store.auditLog().filter { ["overdue", "escalate", "close-evaluation"].contains($0.action) }
            #expect(audit.map { "\($0.action) \($0.entityID) \(LocalTime.iso($0.at)) \($0.actor)" } == [
                "close-evaluation \(replied) 2021-06-01T00:00:00+08:00 tongxin-worker",
                "overdue \(late) 2021-06-11T00:00:00+08:00 tongxin-worker",
                "escalate \(late) 2021-07-10T09:00:00+08:00 tongxin-worker",
                "overdue \(extended) 2021-08-11T00:00:00+08:00 tongxin-worker",
            ])
            #expect(try await store.verifyAudit().firstBroken == nil)
            let closed = try await store.show(replied)
            #expect(closed.status == "closed")
            #expect(closed.evaluations.isEmpty)
            // Each notification was delivered once, with its idempotency key.
            let delivered = sink.received.withLock { $0 }
            #expect(delivered.count == rows.count)
            #expect(Set(delivered.map(\.idempotencyKey)).count == rows.count)
            let pending = try await pool.query("SELECT count(*) FROM tongxin.notification WHERE state <> 'delivered'").single().decode(Int.self)
            #expect(pending == 0)
        }
    }

    @Test func theStatisticsRollupStoresTheCountysFiguresOfTheYear() async throws {
        try await withReplay { store, worker, _, pool in
            _ = try await assigned(store, "关于城区停车的建议", member: "王委员", unit: "城管局", at: "2021-03-10T09:00")
            _ = try await assigned(store, "关于油茶产业的建议", member: "李委员", unit: "林业局", at: "2021-03-10T09:30")
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "stats.rollup", county: "leiyang", args: #"{"year": 2021}"#)], on: c)
            }
            #expect(try await worker.runDue(asOf: Date()) >= 1)  // the rollup, and the 2021 clocks now due
            let (county, year, filed, registered, members) = try await pool.query("""
                SELECT county, year, (figures->>'filed')::int, (figures->>'registered')::int, (figures->>'members')::int
                FROM tongxin.county_rollup
                """).single().decode((String, Int, Int, Int, Int).self)
            #expect(county == "leiyang" && year == 2021)
            #expect(filed == 2 && registered == 2 && members == 2)
            // Again after a change: the row is replaced, not added.
            _ = try await assigned(store, "关于乡村公路的建议", member: "王委员", unit: "交通运输局", at: "2021-03-11T09:00")
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "stats.rollup", county: "leiyang", args: #"{"year": 2021}"#)], on: c)
            }
            #expect(try await worker.runDue(asOf: Date()) >= 1)  // the rollup, and the 2021 clocks now due
            let rows = try await pool.query("SELECT (figures->>'filed')::int FROM tongxin.county_rollup").decode(Int.self)
            #expect(rows == [3])
        }
    }

    @Test func aReplyCancelsItsDeadlineClockAndRatingCancelsTheWindow() async throws {
        try await withReplay { store, worker, _, pool in
            let number = try await assigned(store, "关于城区停车的建议", member: "王委员", unit: "城管局", at: "2021-03-10T09:00")
            try await store.at(local("2021-04-01T10:00")).reply(number, unit: "城管局", category: .b, text: "正在解决")
            try await store.at(local("2021-04-02T10:00")).evaluate(number, member: "王委员", rating: .satisfied)
            let states = try await pool.query("SELECT kind, state FROM tongxin.job WHERE kind <> 'stats.rollup' ORDER BY id").decode((String, String).self)
            #expect(states.map { "\($0.0) \($0.1)" } == ["deadline.watch cancelled", "evaluation.watch cancelled"])
            #expect(try await worker.runDue(asOf: local("2021-12-31T00:00")) == 0)
            // Each change asked for a fresh rollup of the proposal's year: one per 30 s bucket,
            // due 2 s after the end of the 30 s bucket it was asked in: at most 32 s after the ask,
            // which comes a moment after its transaction began (however long this test took).
            let rollups = try await pool.query("""
                SELECT county, args->>'year', run_at > created_at - interval '1 second', run_at <= created_at + interval '40 seconds'
                FROM tongxin.job WHERE kind = 'stats.rollup'
                """).decode((String?, String?, Bool, Bool).self)
            #expect(!rollups.isEmpty && rollups.count <= 2)
            #expect(rollups.allSatisfy { $0.0 == "leiyang" && $0.1 == "2021" && $0.2 && $0.3 })
        }
    }
}

@Suite struct MultiCountyClockTests {
    @Test func aBatchOfClocksFromSeveralCountiesWritesEachIntoItsOwn() async throws {
        try await withReplay { leiyang, worker, _, pool in
            let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
            let code = try CountyCode("linwu")
            _ = try await registry.create(code: code, name: "临武县", region: nil, purpose: .training)
            let linwu = try await referenceData(try WorkflowStore(pool: pool, county: code, principal: .replaying("提案委"), now: local("2021-02-20T09:00")))
            // The same step in both counties (the same ids in each schema): replied, never rated.
            var numbers: [String] = []
            for store in [leiyang, linwu] {
                let number = try await assigned(store, "关于城区停车的建议", member: "王委员", unit: "城管局", at: "2021-03-10T09:00")
                try await store.at(local("2021-05-01T10:00")).reply(number, unit: "城管局", category: .a, text: "已办理")
                numbers.append(number)
            }
            // One batch: both windows close in one transaction.
            #expect(try await worker.runDue(asOf: local("2021-06-02T00:00")) >= 2)
            for (store, number) in zip([leiyang, linwu], numbers) {
                let shown = try await store.show(number)
                #expect(shown.status == "closed", "\(store.county)")
                let closing = try await store.auditLog().filter { $0.action == "close-evaluation" }
                #expect(closing.map(\.entityID) == [number], "\(store.county)")
                #expect(try await store.verifyAudit().firstBroken == nil)
            }
        }
    }
}

@Suite struct DroppedCountyJobTests {
    @Test func aWatcherOrARollupOfACountyThatIsGoneIsDeadAtOnceAndWritesNoFigures() async throws {
        try await withQueue { configuration, pool in
            let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "test")
            let code = try CountyCode("dj_gone")
            _ = try await registry.create(code: code, name: "旧县", region: nil)
            _ = try await registry.archive(code)
            _ = try await registry.drop(code, confirm: "dj_gone")
            let deadline = try JSONEncoder().encode(WorkflowJobs.DeadlineArgs(proposal: 1, unit: 1, round: 1, due: "2026-12-31"))
            let rollup = try JSONEncoder().encode(WorkflowJobs.RollupArgs(year: 2026))
            try await pool.withConnection { c in
                try await JobQueue.enqueue([
                    NewJob(kind: WorkflowJobs.deadline, county: code.value, args: String(decoding: deadline, as: UTF8.self)),
                    NewJob(kind: WorkflowJobs.rollup, county: code.value, args: String(decoding: rollup, as: UTF8.self)),
                ], on: c)
            }
            var logger = Logger(label: "test.dropped")
            logger.logLevel = .critical
            let workerConfiguration = JobRunnerConfiguration(concurrency: 1, drain: true)
            let workerPool = JobRunner.pool(configuration, workerConfiguration, logger)
            let worker = JobRunner(pool: workerPool, worker: workerConfiguration, handlers: WorkerProgram.handlers(pool: workerPool, sink: CapturingSink()), logger: logger)
            try await worker.run()
            await worker.close()
            let jobs = try await pool.query("SELECT kind, state, attempt, coalesce(last_error, '') FROM tongxin.job ORDER BY kind")
                .decode((String, String, Int, String).self)
            #expect(jobs.map(\.1) == ["dead", "dead"], "\(jobs)")
            #expect(jobs.allSatisfy { $0.2 == 1 && $0.3.contains("no county dj_gone") }, "no retries: \(jobs)")
            #expect(try await pool.query("SELECT count(*) FROM tongxin.county_rollup").single().decode(Int.self) == 0)
        }
    }
}
