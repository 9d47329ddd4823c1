public import Migrations
import PostgresClient
import Synchronization

/// How one county fared in a migration run.
public struct CountyMigrationOutcome: Sendable {
    public var code: CountyCode
    public var applied: [Migration]
    /// The failure, on one line; nil when the county is current.
    public var error: String?
}

/// The report of `migrate up` over many counties.
public struct MigrationRunReport: Sendable {
    public var control: [Migration]
    public var outcomes: [CountyMigrationOutcome]
    /// Counties not started because an earlier one failed (without --continue-on-error).
    public var notStarted: [CountyCode]

    public var failed: [CountyMigrationOutcome] { outcomes.filter { $0.error != nil } }
    public var succeeded: Bool { failed.isEmpty && notStarted.isEmpty }
}

extension CountyRegistry {
    /// Applies pending control migrations, then pending county migrations to `counties`
    /// (nil: every county), `jobs` counties at a time, each under its schema's lock.
    /// After a failure no new county starts unless `continueOnError`. Each file's transaction
    /// also re-grants the county's role its rights (`CountyRoles`: new tables get them); a
    /// county without its role (created before county roles) gets it even when current.
    public func migrateUp(
        counties selected: [CountyCode]? = nil, jobs: Int = 2, continueOnError: Bool = false,
        progress: @escaping @Sendable (_ done: Int, _ total: Int, _ outcome: CountyMigrationOutcome) -> Void = { _, _, _ in }
    ) async throws -> MigrationRunReport {
        let control = try await migrateControl()
        let codes: [CountyCode]
        var writable: Set<CountyCode> = []
        if let selected {
            for code in selected where try await show(code).status == .active { writable.insert(code) }
            codes = selected
        } else {
            let counties = try await list()
            codes = counties.map(\.code)
            writable = Set(counties.filter { $0.status == .active }.map(\.code))
        }
        let active = writable
        let shared = RunState()
        let total = codes.count
        let countyMigrations = migrations.county
        let actor = self.actor
        // Connections are recycled often: each backend caches the catalog of every schema it touched.
        let runPool = PostgresPool(
            configuration: pool.configuration,
            options: PostgresPoolOptions(maxConnections: max(1, jobs), maxUsesPerConnection: 100))
        defer { Task { await runPool.close() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, min(jobs, max(total, 1))) {
                group.addTask {
                    while true {
                        let index = shared.state.withLock { state -> Int? in
                            guard !state.stop, state.next < total else { return nil }
                            defer { state.next += 1 }
                            return state.next
                        }
                        guard let index else { return }
                        let code = codes[index]
                        var outcome = CountyMigrationOutcome(code: code, applied: [], error: nil)
                        do {
                            outcome.applied = try await runPool.withConnection { connection in
                                let grants = CountyRoles.setupScript(for: code, writable: active.contains(code))
                                var migrator = SchemaMigrator(schema: code.schema, migrations: countyMigrations, appliedBy: actor)
                                migrator.epilogue = grants
                                let applied = try await migrator.up(on: connection)
                                if applied.isEmpty, !(try await CountyRoles.isSetUp(code, on: connection)) {
                                    try await connection.withTransaction { tx in try await tx.executeScriptByStatement(grants) }
                                }
                                return applied
                            }
                        } catch let failure as SchemaMigrationFailure {
                            outcome.applied = failure.applied
                            outcome.error = failure.description.split(whereSeparator: \.isNewline).joined(separator: " ")
                        } catch {
                            outcome.error = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
                        }
                        let done = shared.state.withLock { state -> Int in
                            state.done += 1
                            state.outcomes.append(outcome)
                            if outcome.error != nil, !continueOnError { state.stop = true }
                            return state.done
                        }
                        progress(done, total, outcome)
                    }
                }
            }
            try await group.waitForAll()
        }
        await runPool.close()
        let (outcomes, next) = shared.state.withLock { ($0.outcomes, $0.next) }
        let byCode = Dictionary(outcomes.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        return MigrationRunReport(
            control: control,
            outcomes: codes.compactMap { byCode[$0] },
            notStarted: Array(codes[min(next, total)...]))
    }

    /// Marks a failed no-transaction migration resolved in one county, after an operator
    /// repaired that county's schema by hand.
    public func resolveMigration(version: Int, in code: CountyCode) async throws {
        _ = try await show(code)
        let countyMigrations = migrations.county
        let actor = self.actor
        try await pool.withConnection { connection in
            try await SchemaMigrator(schema: code.schema, migrations: countyMigrations, appliedBy: actor)
                .resolve(version: version, on: connection)
        }
    }

    /// Marks a failed no-transaction migration of the control schema resolved.
    public func resolveControlMigration(version: Int) async throws {
        let controlMigrations = migrations.control
        let actor = self.actor
        try await pool.withConnection { connection in
            try await SchemaMigrator(schema: Self.controlSchema, migrations: controlMigrations, appliedBy: actor)
                .resolve(version: version, on: connection)
        }
    }

    /// Each county's migration status; nothing changes (a missing registry or history counts
    /// as nothing applied).
    public func migrationStatus(counties selected: [CountyCode]? = nil) async throws -> (control: SchemaStatus, counties: [(CountyCode, SchemaStatus)]) {
        let countyMigrations = migrations.county
        let controlMigrations = migrations.control
        let actor = self.actor
        return try await pool.withConnection { connection in
            let control = try await SchemaMigrator(schema: Self.controlSchema, migrations: controlMigrations, appliedBy: actor)
                .status(on: connection)
            let registered = try await connection.query(
                "SELECT to_regclass(\(Self.controlSchema.quoted + ".county")) IS NOT NULL").single().decode(Bool.self)
            var codes: [CountyCode] = []
            if registered {
                let all = try await connection.query("SELECT code FROM \(identifier: Self.controlSchema).county ORDER BY code")
                    .decode(String.self).map { try CountyCode($0) }
                if let selected {
                    for code in selected where !all.contains(code) { throw CountyError.noCounty(code) }
                    codes = selected
                } else {
                    codes = all
                }
            } else if let first = selected?.first {
                throw CountyError.noCounty(first)
            }
            var statuses: [(CountyCode, SchemaStatus)] = []
            for code in codes {
                statuses.append((code, try await SchemaMigrator(schema: code.schema, migrations: countyMigrations, appliedBy: actor)
                    .status(on: connection)))
            }
            return (control, statuses)
        }
    }
}

/// The work queue and results of one run, shared by its jobs.
private final class RunState: Sendable {
    struct Shared {
        var next = 0
        var stop = false
        var done = 0
        var outcomes: [CountyMigrationOutcome] = []
    }

    let state = Mutex(Shared())
}
