import Foundation
import Synchronization
public import Migrations
public import PostgresClient

/// The county registry in the control schema, and the lifecycle of county schemas.
public struct CountyRegistry: Sendable {
    /// The shared control schema.
    public static let controlSchema: PostgresIdentifier = {
        // A constant that satisfies the identifier rules.
        guard let schema = try? PostgresIdentifier("tongxin") else { fatalError("tongxin is a valid identifier") }
        return schema
    }()

    public let pool: PostgresPool
    public let migrations: MigrationSet
    /// Set once this registry found the control schema current: creating many counties then
    /// does not take the control schema's lock for each one.
    private let controlCurrent = ControlFlag()
    /// Recorded as who applied migrations and made changes.
    public let actor: String

    public init(pool: PostgresPool, migrations: MigrationSet, actor: String) {
        self.pool = pool
        self.migrations = migrations
        self.actor = actor
    }

    /// Creates the control schema if missing and applies its pending migrations.
    @discardableResult
    public func migrateControl() async throws -> [Migration] {
        if controlCurrent.isSet { return [] }
        let applied = try await pool.withConnection { connection in
            try await Self.createControlSchema(on: connection)
            return try await SchemaMigrator(schema: Self.controlSchema, migrations: migrations.control, appliedBy: actor)
                .up(on: connection)
        }
        controlCurrent.set()
        return applied
    }

    /// The control schema, once, also when several processes start on a fresh database:
    /// serialized by a transaction lock, and an ordinary schema even on a Citus coordinator
    /// that has schema-based sharding on.
    static func createControlSchema(on connection: PostgresConnection) async throws {
        let exists = try await connection.query("SELECT to_regnamespace(\(controlSchema.name)) IS NOT NULL").single().decode(Bool.self)
        if exists { return }
        try await connection.withTransaction { tx in
            try await tx.executeUnsafeScript("SET LOCAL citus.enable_schema_based_sharding TO off")
            try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('tongxin.control-schema', 0))")
            try await tx.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(controlSchema.quoted)"))
        }
    }

    /// Creates the county's schema with every county migration, its role (`CountyRoles`: made
    /// if missing, granted its rights) and registers it, in one transaction: it exists fully or
    /// not at all. Making the role needs CREATEROLE.
    public func create(code: CountyCode, name: String, region: String?, purpose: County.Purpose = .live) async throws -> County {
        let name = try Self.validated(text: name, field: "name", maximum: 100)
        let region = try region.map { try Self.validated(text: $0, field: "region", maximum: 200) }
        try await migrateControl()
        let settings = JSONB(CountySettings())
        let onCitus: Bool
        do {
            onCitus = try await pool.withTransaction { tx in
                // An ordinary schema first, also on Citus: there a sequence in a schema that is
                // distributed in the transaction that creates it fails on the other workers
                // ("schema … does not exist"). The files' statements go in one round trip:
                // county creation is bound by round trips and DDL.
                try await SchemaMigrator(schema: code.schema, migrations: migrations.county, appliedBy: actor)
                    .applyAll(inOpenTransaction: tx, prefix: [
                        "SET LOCAL citus.enable_schema_based_sharding TO off",
                        "CREATE SCHEMA \(code.schema.quoted)",
                    ])
                try await Self.setUpRole(code, writable: true, on: tx)
                let rows = try await tx.pipeline([
                    """
                    INSERT INTO \(identifier: Self.controlSchema).county (code, name, region, schema_name, settings, purpose)
                    VALUES (\(code.value), \(name), \(region), \(code.schema.name), \(settings), \(purpose.rawValue))
                    """,
                    "SELECT to_regproc('pg_catalog.citus_version') IS NOT NULL",
                ])
                return try rows[1].single().decode(Bool.self)
            }
        } catch let error as PostgresError where error.sqlState == .duplicateSchema || error.sqlState == .uniqueViolation {
            throw CountyError("county \(code) already exists")
        }
        if onCitus { try await distribute(code) }
        return try await show(code)
    }

    /// On Citus, makes the new county's schema a distributed schema (one shard group, placed on
    /// a worker). When that fails the county is removed again, so creation stays all or nothing
    /// for the operator; a process killed in between leaves a complete county on the
    /// coordinator, which `SELECT citus_schema_distribute('county_<code>')` moves later.
    func distribute(_ code: CountyCode, _ done: String = "created") async throws {
        do {
            try await pool.query("SELECT citus_schema_distribute(\(code.schema.name)::regnamespace)")
        } catch {
            _ = try? await pool.withTransaction { tx in
                try await tx.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(code.schema.quoted) CASCADE"))
                try await tx.query("DELETE FROM \(identifier: Self.controlSchema).county WHERE code = \(code.value)")
                _ = try? await tx.withTransaction { savepoint in
                    try await savepoint.query("DROP ROLE IF EXISTS \(identifier: code.role)")
                }
            }
            throw CountyError("county \(code): distributing its schema on Citus failed, so it was not \(done): \(error)")
        }
    }

    /// Every county, by code (none before the registry exists; nothing is changed).
    public func list() async throws -> [County] {
        let registered = try await pool.query("SELECT to_regclass(\(Self.controlSchema.quoted + ".county")) IS NOT NULL")
            .single().decode(Bool.self)
        guard registered else { return [] }
        let rows = try await pool.query("""
            SELECT code, name, region, status, settings, created_at, updated_at, purpose
            FROM \(identifier: Self.controlSchema).county ORDER BY code
            """)
        return try rows.map(Self.county(from:))
    }

    /// One county; a clear error when there is none with that code.
    public func show(_ code: CountyCode) async throws -> County {
        let rows = try await pool.query("""
            SELECT code, name, region, status, settings, created_at, updated_at, purpose
            FROM \(identifier: Self.controlSchema).county WHERE code = \(code.value)
            """)
        guard let row = rows.first else { throw CountyError.noCounty(code) }
        return try Self.county(from: row)
    }

    /// Changes one setting (validated) and returns the county.
    public func set(_ code: CountyCode, key: String, value: String) async throws -> County {
        try await pool.withTransaction { tx in
            let rows = try await tx.query("""
                SELECT settings FROM \(identifier: Self.controlSchema).county WHERE code = \(code.value) FOR UPDATE
                """)
            guard let row = rows.first else { throw CountyError.noCounty(code) }
            var settings = try row.decode(JSONB<CountySettings>.self).value
            try settings.set(key, to: value)
            try await tx.query("""
                UPDATE \(identifier: Self.controlSchema).county SET settings = \(JSONB(settings)), updated_at = now()
                WHERE code = \(code.value)
                """)
        }
        return try await show(code)
    }

    /// Marks the county archived: its data stays readable, workflow writes are refused, and
    /// its role may only read its schema (in the same transaction).
    public func archive(_ code: CountyCode) async throws -> County {
        let changed = try await pool.withTransaction { tx in
            let changed = try await tx.query("""
                UPDATE \(identifier: Self.controlSchema).county SET status = 'archived', updated_at = now()
                WHERE code = \(code.value) AND status = 'active'
                """).affectedRows
            if changed > 0 { try await Self.setUpRole(code, writable: false, on: tx) }
            return changed
        }
        let county = try await show(code)
        if changed == 0 { throw CountyError("county \(code) is already archived") }
        return county
    }

    /// Marks what the county is for (the operator's): replaying a year is allowed only in demo
    /// and training counties.
    public func setPurpose(_ code: CountyCode, _ purpose: County.Purpose) async throws -> County {
        let changed = try await pool.query("""
            UPDATE \(identifier: Self.controlSchema).county SET purpose = \(purpose.rawValue), updated_at = now() WHERE code = \(code.value)
            """).affectedRows
        guard changed == 1 else { throw CountyError.noCounty(code) }
        return try await show(code)
    }

    /// Throws unless the county exists and is active: every workflow write checks this first.
    public func requireWritable(_ code: CountyCode) async throws {
        let county = try await show(code)
        guard county.status == .active else {
            throw CountyError("county \(code) is archived: its data can be read and reported, not changed")
        }
    }

    /// Makes the county's role if missing and grants its rights (`CountyRoles.setupScript`) in
    /// the caller's transaction; a connected role that may not make roles gets one clear line.
    static func setUpRole(_ code: CountyCode, writable: Bool, on tx: PostgresConnection) async throws {
        do {
            try await tx.executeScriptByStatement(CountyRoles.setupScript(for: code, writable: writable))
        } catch let error as PostgresError where error.sqlState == .insufficientPrivilege {
            throw CountyError("county \(code): cannot set up its role \(code.role.name) (the operator needs CREATEROLE): \(error.message)")
        }
    }

    static func county(from row: PostgresRow) throws -> County {
        let (code, name, region, status, settings, created, updated, purpose) =
            try row.decode((String, String, String?, String, JSONB<CountySettings>, Date, Date, String).self)
        return County(
            code: try CountyCode(code), name: name, region: region,
            status: County.Status(rawValue: status) ?? .archived, purpose: County.Purpose(rawValue: purpose) ?? .live,
            settings: settings.value, createdAt: created, updatedAt: updated)
    }

    /// Text for names and regions: trimmed, 1…maximum characters, no control characters.
    static func validated(text: String, field: String, maximum: Int) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // Counted as the database's length() counts: code points.
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= maximum else {
            throw CountyError("\(field): give 1 to \(maximum) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CountyError("\(field): control characters are not allowed")
        }
        return trimmed
    }
}

/// A flag shared by copies of a registry.
final class ControlFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
