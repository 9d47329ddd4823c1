public import Counties
public import Migrations
public import PostgresClient
import PostgresTestSupport

/// A fresh database with the control schema (job queue included).
public func withQueue<R: Sendable>(_ body: (PostgresConfiguration, PostgresPool) async throws -> R) async throws -> R {
    try await withRegistry(maxConnections: 6) { registry, pool in
        _ = try await registry.migrateControl()
        return try await body(pool.configuration, pool)
    }
}

public func count(_ pool: PostgresPool, state: String? = nil) async throws -> Int {
    try await pool.query("SELECT count(*) FROM tongxin.job WHERE \(state)::text IS NULL OR state = \(state)").single().decode(Int.self)
}

/// A registry on a fresh database with the built-in migrations.
public func withRegistry<R: Sendable>(
    migrations: MigrationSet? = nil, maxConnections: Int = 4, _ body: (CountyRegistry, PostgresPool) async throws -> R
) async throws -> R {
    try await TestDatabase.withDatabase { configuration in
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: maxConnections))
        do {
            let registry = CountyRegistry(pool: pool, migrations: try migrations ?? MigrationSet.builtIn(), actor: "test")
            let value = try await body(registry, pool)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}
