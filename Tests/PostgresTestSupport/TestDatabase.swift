public import PostgresClient
import EmbeddedPostgres
import Foundation

/// A PostgreSQL server for tests, and a fresh database per test.
///
/// The server is `TONGXIN_TEST_DATABASE_URL` when set (a role that may create databases);
/// otherwise a throwaway PostgreSQL started once per test process and removed at its exit.
public enum TestDatabase {
    /// The server's administrative configuration (database `postgres`).
    public static func serverConfiguration() throws -> PostgresConfiguration {
        if let url = ProcessInfo.processInfo.environment["TONGXIN_TEST_DATABASE_URL"], !url.isEmpty {
            return PostgresConfiguration(connectionString: url)
        }
        let server = try EmbeddedPostgres.shared()
        return PostgresConfiguration(connectionString: server.connectionString(database: "postgres"))
    }

    /// Creates a database of its own for `body`, drops it afterwards (also when `body` throws).
    public static func withDatabase<R: Sendable>(
        _ body: (PostgresConfiguration) async throws -> R
    ) async throws -> R {
        let server = try serverConfiguration()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let identifier = try PostgresIdentifier(String(name))
        let admin = try await PostgresConnection.connect(configuration: server)
        do {
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(identifier.quoted)"))
        } catch {
            await admin.close()
            throw error
        }
        let result: Result<R, any Error>
        do {
            result = .success(try await body(server.with(database: identifier.name)))
        } catch {
            result = .failure(error)
        }
        _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(identifier.quoted) WITH (FORCE)"))
        await admin.close()
        return try result.get()
    }

    /// The role the throwaway server asks for a password (`tongxin_pw`, password `right`; see
    /// EmbeddedPostgres), created on the server if missing. Returns its name.
    @discardableResult
    public static func ensurePasswordRole() async throws -> String {
        try await PostgresConnection.withConnection(configuration: try serverConfiguration()) { admin in
            // Tests run in parallel: one of them at a time touches the role (concurrent ALTER ROLE
            // fails with "tuple concurrently updated").
            try await admin.withTransaction { tx in
                try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('tongxin.test.password-role', 0))")
                try await tx.executeUnsafeScript("""
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tongxin_pw') THEN
                        CREATE ROLE tongxin_pw WITH LOGIN PASSWORD 'right';
                      END IF;
                    END $$
                    """)
                try await tx.executeUnsafeScript("ALTER ROLE tongxin_pw WITH LOGIN PASSWORD 'right'")
            }
            return "tongxin_pw"
        }
    }

    /// A connection to a fresh database of its own.
    public static func withConnection<R: Sendable>(
        _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        try await withDatabase { configuration in
            try await PostgresConnection.withConnection(configuration: configuration, body)
        }
    }
}
