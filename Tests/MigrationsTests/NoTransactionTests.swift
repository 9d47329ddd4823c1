import Counties
import Foundation
@testable import Migrations
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

@Suite struct NoTransactionTests {
    @Test func statementsSplitAtTopLevelSemicolonsOnly() {
        let sql = """
            -- tongxin:no-transaction
            CREATE INDEX CONCURRENTLY a ON t (x);  -- trailing; comment
            COMMENT ON TABLE t IS 'semi;colon ''quoted'';';
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            /* block; /* nested; */ comment */ SELECT "odd;name" FROM t;
            -- only a comment;
            """
        let statements = SQLStatements.split(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("CREATE INDEX CONCURRENTLY a ON t (x)"))
        #expect(statements[1].hasPrefix("-- trailing; comment"))
        #expect(statements[1].hasSuffix("'semi;colon ''quoted'';'"))
        #expect(statements[2].hasSuffix("$body$ SELECT 1; $body$"))
        #expect(statements[3].hasSuffix("SELECT \"odd;name\" FROM t"))
        #expect(SQLStatements.withoutConcurrently("CREATE INDEX concurrently i ON t (a)") == "CREATE INDEX  i ON t (a)")
    }

    func set(_ extra: [(String, String)]) throws -> MigrationSet {
        let base = try MigrationSet.builtIn()
        return try MigrationSet(
            control: base.control,
            county: base.county + extra.map { try Migration(scope: .county, fileName: $0.0, sql: $0.1) }, source: "test")
    }

    @Test func aConcurrentIndexIsBuiltOutsideATransactionAndAtCreationInsideIt() async throws {
        try await withRegistry { registry, pool in
            _ = try await registry.create(code: CountyCode("g1"), name: "县", region: nil)
            let files = try set([("0900_idx.sql", "-- tongxin:no-transaction\nCREATE INDEX CONCURRENTLY audit_actor_idx ON audit_log (actor);\n")])
            let next = CountyRegistry(pool: pool, migrations: files, actor: "test")
            let report = try await next.migrateUp()
            #expect(report.succeeded, "\(report.failed.map { $0.error ?? "" })")
            // A new county gets the same index inside its creation transaction.
            _ = try await next.create(code: CountyCode("g2"), name: "县", region: nil)
            for schema in ["county_g1", "county_g2"] {
                let valid = try await pool.query("""
                    SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = \(schema) AND c.relname = 'audit_actor_idx'
                    """).single().decode(Bool.self)
                #expect(valid, "\(schema)")
            }
            let path = try await pool.query("SHOW search_path").single().decode(String.self)
            #expect(path == "\"$user\", public")
        }
    }

    @Test func aFailedNoTransactionFileBlocksTheCountyUntilResolved() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("h1")
            _ = try await registry.create(code: code, name: "县", region: nil)
            try await pool.query("INSERT INTO county_h1.audit_log (actor, entity, entity_id, action) VALUES ('a', 'p', '1', 'x'), ('a', 'p', '1', 'x')")
            let files = try set([
                ("0900_unique.sql", "-- tongxin:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY audit_unique ON audit_log (entity, entity_id, action);\n"),
                ("0901_after.sql", "CREATE TABLE after_unique (id int);\n"),
            ])
            let next = CountyRegistry(pool: pool, migrations: files, actor: "test")
            let first = try await next.migrateUp()
            #expect(first.failed.first?.error?.contains("0900_unique.sql failed outside a transaction") == true)
            let blocked = try await next.migrateUp()
            #expect(blocked.failed.first?.error?.contains("0900_unique.sql failed or was interrupted outside a transaction") == true)
            let status = try await next.migrationStatus(counties: [code]).counties[0].1
            #expect(status.failed == ["0900_unique.sql"])
            #expect(status.pending.map(\.version) == [901])
            // The operator repairs by hand, then resolves.
            try await pool.query("DROP INDEX county_h1.audit_unique")
            try await pool.query("DELETE FROM county_h1.audit_log WHERE id = (SELECT max(id) FROM county_h1.audit_log)")
            try await pool.query("CREATE UNIQUE INDEX audit_unique ON county_h1.audit_log (entity, entity_id, action)")
            try await next.resolveMigration(version: 900, in: code)
            let wrong = await thrownError { try await next.resolveMigration(version: 900, in: code) }
            #expect(wrong is MigrationError)
            let after = try await next.migrateUp()
            #expect(after.succeeded)
            #expect(after.outcomes.first?.applied.map(\.version) == [901])
        }
    }
}
