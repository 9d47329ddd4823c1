import Counties
import Foundation
import JobQueue
public import PostgresClient
import Reports
import WorkflowStore

/// A workflow clock's watcher: runs the store's watch inside the job's transaction, then
/// sleeps until the next milestone or completes.
struct WatcherHandler<Args: Decodable & Sendable>: JobHandler {
    let kind: String
    let pool: PostgresPool
    let watch: @Sendable (WorkflowStore, Args, Date, PostgresConnection) async throws -> WorkflowStore.WatchResult

    var transactional: Bool { true }

    func run(_ job: Job, _ context: JobContext) async throws {
        guard let code = job.county, let county = try? CountyCode(code) else {
            throw PermanentJobError("\(kind) job \(job.id) has no valid county")
        }
        let args: Args
        do {
            args = try job.arguments(Args.self)
        } catch {
            throw PermanentJobError("\(error)")
        }
        let store = try WorkflowStore(pool: pool, county: county, principal: .worker, now: context.now)
        let result: WorkflowStore.WatchResult
        do {
            result = try await watch(store, args, job.scheduledAt, context.connection)
        } catch let error as CountyError where error.isNoCounty {
            // Dropped (or never there): trying again cannot help.
            throw PermanentJobError("\(error)")
        } catch let error as PostgresError where error.sqlState == .undefinedTable {
            // Its tables are not found when its schema is gone: a county dropped meanwhile.
            let registered = try await pool.query("""
                SELECT count(*) FROM \(identifier: CountyRegistry.controlSchema).county WHERE code = \(county.value)
                """).single().decode(Int.self)
            if registered == 0 { throw PermanentJobError("\(CountyError.noCounty(county))") }
            throw error
        }
        context.writes.absorb(result.writes)
        if let next = result.next { context.snooze(until: next) }
    }
}

/// `stats.rollup`: a county's annual report of a year, into the control schema's `county_rollup`
/// (the cross-county comparison reads them). Idempotent: the latest computation wins.
struct RollupHandler: JobHandler {
    let pool: PostgresPool
    var kind: String { WorkflowJobs.rollup }
    var transactional: Bool { false }

    func run(_ job: Job, _ context: JobContext) async throws {
        guard let code = job.county, let county = try? CountyCode(code) else {
            throw PermanentJobError("stats.rollup job \(job.id) has no valid county")
        }
        let args: WorkflowJobs.RollupArgs
        do { args = try job.arguments(WorkflowJobs.RollupArgs.self) } catch { throw PermanentJobError("\(error)") }
        let store = try WorkflowStore(pool: pool, county: county, principal: .worker, now: context.now)
        let report: AnnualReport
        do {
            report = try await AnnualReport.compute(store, year: args.year)
        } catch let error as CountyError where error.isNoCounty {
            throw PermanentJobError("\(error)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let figures = String(decoding: try encoder.encode(report), as: UTF8.self)
        // Only while the county is registered, its row locked against a drop meanwhile: a
        // county dropped while its report was computed gets no figures back (`county drop`
        // deletes them, and the comparison must not show a county that is gone).
        let control = CountyRegistry.controlSchema
        try await context.connection.query("""
            WITH registered AS (SELECT code FROM \(identifier: control).county WHERE code = \(county.value) FOR KEY SHARE)
            INSERT INTO \(identifier: control).county_rollup (county, year, figures, compared, computed_at)
            SELECT code, \(args.year), \(figures)::jsonb, \(Comparison.compared(report))::jsonb, now() FROM registered
            ON CONFLICT (county, year) DO UPDATE
                SET figures = excluded.figures, compared = excluded.compared, computed_at = excluded.computed_at
            """)
    }
}

extension WorkerProgram {
    /// Every handler of this build: the no-op, the workflow's watchers, notification delivery
    /// through `sink`, and the statistics rollup.
    public static func handlers(pool: PostgresPool, sink: any NotificationSink, workerID: String = "") -> [any JobHandler] {
        [
            NoopHandler(),
            EffectHandler(worker: workerID),
            WatcherHandler<WorkflowJobs.DeadlineArgs>(kind: WorkflowJobs.deadline, pool: pool) { store, args, since, tx in
                try await store.watchDeadline(args, since: since, on: tx)
            },
            WatcherHandler<WorkflowJobs.OpinionArgs>(kind: WorkflowJobs.opinion, pool: pool) { store, args, since, tx in
                try await store.watchOpinion(args, since: since, on: tx)
            },
            WatcherHandler<WorkflowJobs.EvaluationArgs>(kind: WorkflowJobs.evaluation, pool: pool) { store, args, since, tx in
                try await store.watchEvaluation(args, since: since, on: tx)
            },
            WatcherHandler<WorkflowJobs.SuggestionArgs>(kind: WorkflowJobs.suggestion, pool: pool) { store, args, since, tx in
                try await store.watchSuggestion(args, since: since, on: tx)
            },
            WatcherHandler<WorkflowJobs.KeyArgs>(kind: WorkflowJobs.key, pool: pool) { store, args, since, tx in
                try await store.watchKey(args, since: since, on: tx)
            },
            DeliveryHandler(sink: sink),
            RollupHandler(pool: pool),
        ]
    }
}
