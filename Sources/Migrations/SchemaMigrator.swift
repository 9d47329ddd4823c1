public import PostgresClient
import Foundation

/// A schema's run that stopped at a failing file, with the files applied before it.
public struct SchemaMigrationFailure: Error, Sendable, CustomStringConvertible {
    public var applied: [Migration]
    public var message: String
    public var description: String {
        applied.isEmpty ? message : message + " (applied before it: " + applied.map(\.fileName).joined(separator: ", ") + ")"
    }
}

/// What a schema's `schema_history` says against the migrations at hand.
public struct SchemaStatus: Sendable, Hashable {
    public var schema: String
    /// Highest applied version (0: none).
    public var version: Int
    /// Migrations not yet applied, in order.
    public var pending: [Migration]
    /// Applied files whose text changed since (by name).
    public var drifted: [String]
    /// Versions in the history that no migration file has any more.
    public var unknown: [Int]
    /// No-transaction files that failed and wait for an operator (`migrate resolve`).
    public var failed: [String] = []
}

/// Applies one scope's migrations to one schema, one file per transaction.
///
/// Runners on different schemas run in parallel; on the same schema they are serialized by a
/// session advisory lock keyed by the schema name, taken as a statement of its own (Citus rule
/// 6) and released when done or when the session dies. A killed runner leaves every file either
/// applied with its history row or not at all, and a rerun resumes.
public struct SchemaMigrator: Sendable {
    public let schema: PostgresIdentifier
    public let migrations: [Migration]
    /// Recorded in the history as `applied_by`.
    public let appliedBy: String
    /// SQL run after each file, in that file's transaction (a county's grants, so the tables a
    /// file adds get them at once); empty: nothing.
    public var epilogue = ""

    public init(schema: PostgresIdentifier, migrations: [Migration], appliedBy: String) {
        self.schema = schema
        self.migrations = migrations
        self.appliedBy = appliedBy
    }

    static let historyDDL = """
        CREATE TABLE IF NOT EXISTS schema_history (
            version     int PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms int NOT NULL,
            applied_by  text NOT NULL,
            state       text NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'running', 'failed', 'resolved')),
            error       text
        )
        """

    /// Creates the schema's history table if it has none (the schema must exist).
    public func ensureHistory(on connection: PostgresConnection) async throws {
        try await connection.withTransaction(inSchema: schema) { tx in
            try await tx.executeUnsafeScript(Self.historyDDL)
        }
    }

    /// Reads the history; nothing changes (no history table: nothing applied).
    public func status(on connection: PostgresConnection) async throws -> SchemaStatus {
        let history = schema.quoted + ".schema_history"
        let exists = try await connection.query("SELECT to_regclass(\(history)) IS NOT NULL").single().decode(Bool.self)
        guard exists else { return compare(applied: []) }
        let rows = try await connection.query(
            "SELECT version, name, checksum, state FROM \(identifier: schema).schema_history ORDER BY version")
        let all = try rows.decode((Int, String, String, String).self)
        // A no-transaction file still `running` was interrupted (killed): it needs an operator too.
        let stuck: Set<String> = ["failed", "running"]
        var status = compare(applied: all.filter { !stuck.contains($0.3) }.map { ($0.0, $0.1, $0.2) })
        let failedVersions = Set(all.filter { stuck.contains($0.3) }.map(\.0))
        status.failed = migrations.filter { failedVersions.contains($0.version) }.map(\.fileName)
        status.pending.removeAll { failedVersions.contains($0.version) }
        return status
    }

    func compare(applied: [(Int, String, String)]) -> SchemaStatus {
        var byVersion: [Int: (String, String)] = [:]
        for (version, name, checksum) in applied { byVersion[version] = (name, checksum) }
        let known = Set(migrations.map(\.version))
        return SchemaStatus(
            schema: schema.name,
            version: applied.map(\.0).max() ?? 0,
            pending: migrations.filter { byVersion[$0.version] == nil },
            drifted: migrations.compactMap { m in
                guard let (_, checksum) = byVersion[m.version], checksum != m.checksum else { return nil }
                return m.fileName
            },
            unknown: applied.map(\.0).filter { !known.contains($0) })
    }

    /// Applies every pending migration under the schema's lock; returns those applied.
    /// A failing file is rolled back alone and a `SchemaMigrationFailure` thrown, naming the file
    /// and listing the files applied before it.
    @discardableResult
    public func up(on connection: PostgresConnection) async throws -> [Migration] {
        if connection.isPooled { return try await upFileByFile(on: connection) }
        let key = "tongxin.migrate:" + schema.name
        try await lock(key, on: connection)
        var applied: [Migration] = []
        do {
            // Under the lock: concurrent CREATE TABLE IF NOT EXISTS would race in the catalog.
            try await ensureHistory(on: connection)
            let status = try await status(on: connection)
            try requireRunnable(status)
            for migration in status.pending {
                try await apply(migration, on: connection)
                applied.append(migration)
            }
        } catch {
            await unlock(key, on: connection)
            throw SchemaMigrationFailure(applied: applied, message: "\(error)")
        }
        await unlock(key, on: connection)
        return applied
    }

    /// Refuses a schema whose history has versions these files lack, or a file an operator must resolve.
    private func requireRunnable(_ status: SchemaStatus) throws {
        if !status.unknown.isEmpty {
            throw MigrationError("\(schema.name): applied version(s) \(status.unknown.map(String.init).joined(separator: ", ")) are not among these migrations (a newer binary, or a deleted file); nothing was applied")
        }
        if let stuck = status.failed.first {
            throw MigrationError("\(schema.name): \(stuck) failed or was interrupted outside a transaction; repair by hand, then run `tongxin migrate resolve` for it")
        }
    }

    /// `up` through a transaction pooler, where a session lock would stay on a server connection
    /// the next transaction may not get: each file in a transaction of its own that first takes
    /// the schema's lock as a transaction lock, then reads the history anew (a rival runner may
    /// have applied the file meanwhile). A no-transaction file is refused: it needs a session.
    private func upFileByFile(on connection: PostgresConnection) async throws -> [Migration] {
        let key = "tongxin.migrate:" + schema.name
        var applied: [Migration] = []
        do {
            while true {
                let next = try await connection.withTransaction(inSchema: schema) { tx -> Migration? in
                    try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))")
                    try await tx.executeUnsafeScript(Self.historyDDL)
                    let status = try await status(on: tx)
                    try requireRunnable(status)
                    guard let migration = status.pending.first else { return nil }
                    guard migration.inTransaction else {
                        throw MigrationError("\(schema.name): \(migration) runs outside a transaction and needs a session: run `tongxin migrate up` with a direct connection to the server (not through a transaction pooler)")
                    }
                    let start = ContinuousClock.now
                    do {
                        try await tx.executeScriptByStatement(migration.sql)
                        if !epilogue.isEmpty { try await tx.executeScriptByStatement(epilogue) }
                        try await recordHistory(migration, state: "applied", error: nil, since: start, on: tx)
                    } catch {
                        throw MigrationError("\(schema.name): \(migration) failed: \(error)")
                    }
                    return migration
                }
                guard let next else { return applied }
                applied.append(next)
            }
        } catch {
            throw SchemaMigrationFailure(applied: applied, message: "\(error)")
        }
    }

    /// Waits for the schema's session lock without holding a statement open meanwhile: a
    /// waiting `pg_advisory_lock` keeps a snapshot that CREATE INDEX CONCURRENTLY elsewhere
    /// would have to wait for.
    private func lock(_ key: String, on connection: PostgresConnection) async throws {
        var pause = Duration.milliseconds(1)
        while true {
            let acquired = try await connection.query("SELECT pg_try_advisory_lock(hashtextextended(\(key), 0))")
                .single().decode(Bool.self)
            if acquired { return }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// Releases the lock; a connection whose lock could not be released is never lent again.
    private func unlock(_ key: String, on connection: PostgresConnection) async {
        let released = try? await connection.query("SELECT pg_advisory_unlock(hashtextextended(\(key), 0))")
            .single().decode(Bool.self)
        if released != true { connection.discardAfterUse() }
    }

    /// Runs one file and writes its history row in the same transaction; a no-transaction file
    /// runs statement by statement and records a failure for an operator to resolve.
    public func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        guard migration.inTransaction else { return try await applyWithoutTransaction(migration, on: connection) }
        let start = ContinuousClock.now
        do {
            try await connection.withTransaction(inSchema: schema) { tx in
                try await tx.executeScriptByStatement(migration.sql)
                if !epilogue.isEmpty { try await tx.executeScriptByStatement(epilogue) }
                try await recordHistory(migration, state: "applied", error: nil, since: start, on: tx)
            }
        } catch {
            throw MigrationError("\(schema.name): \(migration) failed: \(error)")
        }
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    private func recordHistory(
        _ migration: Migration, state: String, error: String?, since start: ContinuousClock.Instant,
        on connection: PostgresConnection
    ) async throws {
        let milliseconds = Self.milliseconds(since: start)
        try await connection.query("""
            INSERT INTO \(identifier: schema).schema_history (version, name, checksum, duration_ms, applied_by, state, error)
            VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(milliseconds), \(appliedBy), \(state), \(error))
            """)
    }

    /// `-- tongxin:no-transaction`: each statement on its own (CREATE INDEX CONCURRENTLY), the
    /// schema on the session's search_path meanwhile (migrations need a session, not a
    /// transaction-mode pooler). A committed `running` row comes first, so a run killed midway
    /// shows as needing an operator; a failure is recorded as `failed`. Either way the schema
    /// waits for an operator to repair it and `resolve` the file.
    private func applyWithoutTransaction(_ migration: Migration, on connection: PostgresConnection) async throws {
        let start = ContinuousClock.now
        try await recordHistory(migration, state: "running", error: nil, since: start, on: connection)
        do {
            try await connection.query("SELECT set_config('search_path', \(schema.quoted), false)")
            for statement in SQLStatements.split(migration.sql) {
                try await connection.executeUnsafeScript(statement)
            }
            if !epilogue.isEmpty { try await connection.executeScriptByStatement(epilogue) }
            try await resetSearchPath(on: connection)
            try await finishHistory(migration, state: "applied", error: nil, since: start, on: connection)
        } catch {
            try? await resetSearchPath(on: connection)
            let line = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
            _ = try? await finishHistory(migration, state: "failed", error: line, since: start, on: connection)
            throw MigrationError("\(schema.name): \(migration) failed outside a transaction (recorded; repair by hand, then `tongxin migrate resolve`): \(line)")
        }
    }

    /// RESET search_path; when that fails the session keeps a county's path, so the connection
    /// must not be lent again.
    private func resetSearchPath(on connection: PostgresConnection) async throws {
        do {
            try await connection.executeUnsafeScript("RESET search_path")
        } catch {
            connection.discardAfterUse()
            throw error
        }
    }

    private func finishHistory(
        _ migration: Migration, state: String, error: String?, since start: ContinuousClock.Instant,
        on connection: PostgresConnection
    ) async throws {
        let milliseconds = Self.milliseconds(since: start)
        try await connection.query("""
            UPDATE \(identifier: schema).schema_history SET state = \(state), error = \(error), duration_ms = \(milliseconds)
            WHERE version = \(migration.version)
            """)
    }

    /// Marks a failed no-transaction file as resolved after an operator repaired the schema.
    public func resolve(version: Int, on connection: PostgresConnection) async throws {
        let changed = try await connection.query("""
            UPDATE \(identifier: schema).schema_history SET state = 'resolved', applied_by = \(appliedBy), applied_at = now()
            WHERE version = \(version) AND state IN ('failed', 'running')
            """).affectedRows
        guard changed == 1 else {
            throw MigrationError("\(schema.name): no failed migration with version \(version) to resolve")
        }
    }

    /// Applies `migrations` inside the caller's open transaction (for a county being created):
    /// no lock (nobody else can see the schema yet), history rows included. Two round trips:
    /// `prefix` (e.g. the schema's CREATE) and the files' statements, each a query string of
    /// its own (Citus rule 8), then the history.
    public func applyAll(inOpenTransaction connection: PostgresConnection, prefix: [String] = []) async throws {
        do {
            try await connection.executeUnsafeStatements(prefix + creationStatements)
        } catch let error as PostgresError where error.sqlState == .duplicateSchema || error.sqlState == .uniqueViolation {
            // The schema exists (a concurrent creator wins with a unique violation on its name).
            throw error
        } catch {
            let range = migrations.isEmpty ? "none" : "\(migrations.first?.fileName ?? "")…\(migrations.last?.fileName ?? "")"
            throw MigrationError("\(schema.name): applying the migrations (\(range)) failed: \(error)")
        }
        try await connection.query(historyInsert)
    }

    /// Every file's statements after the search_path and the history table; a new, empty
    /// schema locks nobody out, so CONCURRENTLY is dropped from no-transaction files.
    var creationStatements: [String] {
        var statements = ["SELECT set_config('search_path', '\(schema.quoted)', true)", Self.historyDDL]
        for migration in migrations {
            for statement in SQLStatements.split(migration.sql) {
                statements.append(migration.inTransaction ? statement : SQLStatements.withoutConcurrently(statement))
            }
        }
        return statements
    }

    /// The history rows of every file, one statement with bind values.
    var historyInsert: PostgresQuery {
        let versions = migrations.map(\.version)
        let names = migrations.map(\.name)
        let checksums = migrations.map(\.checksum)
        return """
            INSERT INTO schema_history (version, name, checksum, duration_ms, applied_by)
            SELECT v, n, c, 0, \(appliedBy) FROM unnest(\(versions)::int[], \(names)::text[], \(checksums)::text[]) AS h(v, n, c)
            """
    }
}
