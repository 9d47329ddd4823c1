import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

@Suite struct CountyTests {
    @Test func creatingACountyMakesItsSchemaWithEveryMigrationAndRegistersIt() async throws {
        try await withRegistry { registry, pool in
            let county = try await registry.create(code: CountyCode("leiyang"), name: "耒阳市", region: "湖南省衡阳市")
            #expect(county.code.value == "leiyang")
            #expect(county.name == "耒阳市")
            #expect(county.region == "湖南省衡阳市")
            #expect(county.status == .active)
            #expect(county.settings == CountySettings())
            let history = try await pool.query("SELECT version, name FROM county_leiyang.schema_history ORDER BY version")
                .decode((Int, String).self)
            let expected = try MigrationSet.builtIn().county.map { ($0.version, $0.name) }
            #expect(history.map(\.0) == expected.map(\.0))
            #expect(history.map(\.1) == expected.map(\.1))
            let auditTable = try await pool.query("SELECT to_regclass('county_leiyang.audit_log')::text").single().decode(String?.self)
            #expect(auditTable == "county_leiyang.audit_log")
            let listed = try await registry.list()
            #expect(listed.map(\.code.value) == ["leiyang"])
        }
    }

    @Test func aCountyWhoseMigrationFailsIsNotCreatedAtAll() async throws {
        let good = try Migration(scope: .county, fileName: "0001_t.sql", sql: "CREATE TABLE t (a int);")
        let bad = try Migration(scope: .county, fileName: "0002_bad.sql", sql: "CREATE TABLE u (a no_such_type);")
        let migrations = try MigrationSet(control: try MigrationSet.builtIn().control, county: [good, bad], source: "test")
        try await withRegistry(migrations: migrations) { registry, pool in
            let error = await thrownError { _ = try await registry.create(code: CountyCode("changning"), name: "常宁市", region: nil) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("0002_bad.sql"))
            let schema = try await pool.query("SELECT to_regnamespace('county_changning')::text").single().decode(String?.self)
            #expect(schema == nil)
            #expect(try await registry.list().isEmpty)
        }
    }

    @Test func aSecondCountyWithTheSameCodeIsRefused() async throws {
        try await withRegistry { registry, _ in
            _ = try await registry.create(code: CountyCode("linwu"), name: "临武县", region: nil)
            let error = await thrownError { _ = try await registry.create(code: CountyCode("linwu"), name: "again", region: nil) }
            #expect((error as? CountyError)?.description == "county linwu already exists")
        }
    }

    @Test func twoCreatorsOfOneCodeAtOnceGiveOneCountyAndOneClearRefusal() async throws {
        try await withRegistry { registry, _ in
            try await registry.migrateControl()
            for round in 0..<5 {
                let code = try CountyCode("race\(round)")
                let results = await withTaskGroup(of: String?.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            do {
                                _ = try await registry.create(code: code, name: "县", region: nil)
                                return nil
                            } catch {
                                return "\(error)"
                            }
                        }
                    }
                    return await group.reduce(into: [String?]()) { $0.append($1) }
                }
                #expect(results.filter { $0 == nil }.count == 1)
                #expect(results.compactMap { $0 } == ["county race\(round) already exists"])
            }
        }
    }

    @Test func injectionAttemptsInCodesAndNamesAreRefusedOrStoredAsData() async throws {
        for bad in ["x", "Leiyang", "lei-yang", "lei yang", "1abc", "a\"; DROP SCHEMA tongxin; --", "county'", "", String(repeating: "a", count: 32), "耒阳"] {
            #expect(throws: CountyError.self) { try CountyCode(bad) }
        }
        try await withRegistry { registry, pool in
            let name = "x'); DROP TABLE tongxin.county; --"
            let county = try await registry.create(code: CountyCode("zhaoping"), name: name, region: "\"; SELECT 1; --")
            #expect(county.name == name)
            #expect(try await registry.list().count == 1)
            let error = await thrownError { _ = try await registry.create(code: CountyCode("macheng"), name: "bad\u{0}name", region: nil) }
            #expect(error is CountyError)
            let empty = await thrownError { _ = try await registry.create(code: CountyCode("macheng"), name: "  ", region: nil) }
            #expect((empty as? CountyError)?.description == "name: give 1 to 100 characters")
            let schemas = try await pool.query("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'county_%'").single().decode(Int.self)
            #expect(schemas == 1)
        }
    }

    @Test func settingsAreValidatedByKeyAndValue() throws {
        var settings = CountySettings()
        try settings.set("evaluation_window_days", to: "45")
        #expect(settings.evaluationWindowDays == 45)
        try settings.set("day_counting", to: "working")
        #expect(settings.dayCounting == "working")
        let unknown = #expect(throws: CountyError.self) { try settings.set("no_such", to: "1") }
        #expect(unknown?.description.contains("unknown setting \"no_such\"") == true)
        let range = #expect(throws: CountyError.self) { try settings.set("handling_months", to: "0") }
        #expect(range?.description == "setting handling_months: \"0\" is not a whole number from 1 to 12")
        #expect(throws: CountyError.self) { try settings.set("day_counting", to: "lunar") }
        #expect(throws: CountyError.self) { try settings.set("extended_handling_months", to: "2") }
        let decoded = try JSONDecoder().decode(CountySettings.self, from: Data(#"{"unit_return_days": 7}"#.utf8))
        #expect(decoded.unitReturnDays == 7)
        #expect(decoded.handlingMonths == 3)
    }
}

@Suite struct SchemaMigratorTests {
    func migrations(_ files: [(String, String)]) throws -> [Migration] {
        try files.map { try Migration(scope: .county, fileName: $0.0, sql: $0.1) }
    }

    @Test func upAppliesOnlyWhatIsPendingAndReportsDrift() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE SCHEMA county_a")
            let schema = try PostgresIdentifier("county_a")
            let first = try migrations([("0001_t.sql", "CREATE TABLE t (a int);")])
            let applied = try await SchemaMigrator(schema: schema, migrations: first, appliedBy: "test").up(on: connection)
            #expect(applied.map(\.version) == [1])
            let more = try migrations([("0001_t.sql", "CREATE TABLE t (a int);"), ("0002_u.sql", "ALTER TABLE t ADD COLUMN b text;")])
            let second = try await SchemaMigrator(schema: schema, migrations: more, appliedBy: "test").up(on: connection)
            #expect(second.map(\.version) == [2])
            let again = try await SchemaMigrator(schema: schema, migrations: more, appliedBy: "test").up(on: connection)
            #expect(again.isEmpty)
            let edited = try migrations([("0001_t.sql", "CREATE TABLE t (a bigint);"), ("0002_u.sql", "ALTER TABLE t ADD COLUMN b text;")])
            let status = try await SchemaMigrator(schema: schema, migrations: edited, appliedBy: "test").status(on: connection)
            #expect(status.version == 2)
            #expect(status.pending.isEmpty)
            #expect(status.drifted == ["0001_t.sql"])
        }
    }

    @Test func aFailingFileLeavesTheSchemaAtItsPreviousVersion() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE SCHEMA county_b")
            let schema = try PostgresIdentifier("county_b")
            let files = try migrations([
                ("0001_t.sql", "CREATE TABLE t (a int);"),
                ("0002_bad.sql", "CREATE TABLE u (a int); INSERT INTO u VALUES ('not a number');"),
                ("0003_v.sql", "CREATE TABLE v (a int);"),
            ])
            let error = await thrownError { try await SchemaMigrator(schema: schema, migrations: files, appliedBy: "test").up(on: connection) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("county_b: county/0002_bad.sql failed"))
            let status = try await SchemaMigrator(schema: schema, migrations: files, appliedBy: "test").status(on: connection)
            #expect(status.version == 1)
            #expect(status.pending.map(\.version) == [2, 3])
            let u = try await connection.query("SELECT to_regclass('county_b.u')::text").single().decode(String?.self)
            #expect(u == nil)
        }
    }

    @Test func fourRunnersOverTwoHundredCountiesApplyEveryMigrationExactlyOnce() async throws {
        try await TestDatabase.withDatabase { configuration in
            let schemas = try (0..<200).map { try PostgresIdentifier("county_c\($0)") }
            try await PostgresConnection.withConnection(configuration: configuration) { connection in
                try await connection.executeUnsafeScript(schemas.map { "CREATE SCHEMA \($0.quoted);" }.joined(separator: "\n"))
            }
            // A non-idempotent file: applied twice it would fail (the table exists).
            let files = try migrations([("0001_t.sql", "CREATE TABLE t (a int);"), ("0002_i.sql", "INSERT INTO t VALUES (1);")])
            try await withThrowingTaskGroup(of: Int.self) { group in
                for runner in 0..<4 {
                    group.addTask {
                        try await PostgresConnection.withConnection(configuration: configuration) { connection in
                            var applied = 0
                            for schema in schemas.shuffled() {
                                applied += try await SchemaMigrator(schema: schema, migrations: files, appliedBy: "runner \(runner)")
                                    .up(on: connection).count
                            }
                            return applied
                        }
                    }
                }
                var total = 0
                for try await count in group { total += count }
                #expect(total == schemas.count * files.count)
            }
            try await PostgresConnection.withConnection(configuration: configuration) { connection in
                for schema in schemas {
                    let rows = try await connection.query("SELECT count(*) FROM \(identifier: schema).t").single().decode(Int.self)
                    #expect(rows == 1, "\(schema)")
                }
            }
        }
    }
}
