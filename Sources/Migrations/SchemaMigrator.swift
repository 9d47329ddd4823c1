public import PostgresClient
import Foundation

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
            applied_by  text NOT NULL
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
            "SELECT version, name, checksum FROM \(identifier: schema).schema_history ORDER BY version")
        let applied = try rows.decode((Int, String, String).self)
        return compare(applied: applied)
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
    /// A failing file is rolled back alone and its error thrown, naming the file.
    @discardableResult
    public func up(on connection: PostgresConnection) async throws -> [Migration] {
        let key = "tongxin.migrate:" + schema.name
        try await connection.query("SELECT pg_advisory_lock(hashtextextended(\(key), 0))")
        do {
            // Under the lock: concurrent CREATE TABLE IF NOT EXISTS would race in the catalog.
            try await ensureHistory(on: connection)
            let status = try await status(on: connection)
            var applied: [Migration] = []
            for migration in status.pending {
                try await apply(migration, on: connection)
                applied.append(migration)
            }
            try await connection.query("SELECT pg_advisory_unlock(hashtextextended(\(key), 0))")
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtextextended(\(key), 0))")
            throw error
        }
    }

    /// Runs one file and writes its history row in the same transaction.
    public func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        guard migration.inTransaction else {
            throw MigrationError("\(migration): files marked \(Migration.noTransactionMarker) are not supported yet")
        }
        let start = ContinuousClock.now
        do {
            try await connection.withTransaction(inSchema: schema) { tx in
                try await tx.executeUnsafeScript(migration.sql)
                let elapsed = ContinuousClock.now - start
                let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                try await tx.query("""
                    INSERT INTO schema_history (version, name, checksum, duration_ms, applied_by)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(milliseconds), \(appliedBy))
                    """)
            }
        } catch {
            throw MigrationError("\(schema.name): \(migration) failed: \(error)")
        }
    }

    /// Applies `migrations` inside the caller's open transaction (for a county being created):
    /// no lock (nobody else can see the schema yet), history rows included.
    public func applyAll(inOpenTransaction connection: PostgresConnection) async throws {
        try await connection.setLocalSearchPath([schema])
        try await connection.executeUnsafeScript(Self.historyDDL)
        for migration in migrations {
            guard migration.inTransaction else {
                throw MigrationError("\(migration): files marked \(Migration.noTransactionMarker) are not supported yet")
            }
            do {
                try await connection.executeUnsafeScript(migration.sql)
            } catch {
                throw MigrationError("\(schema.name): \(migration) failed: \(error)")
            }
            try await connection.query("""
                INSERT INTO schema_history (version, name, checksum, duration_ms, applied_by)
                VALUES (\(migration.version), \(migration.name), \(migration.checksum), 0, \(appliedBy))
                """)
        }
    }
}
