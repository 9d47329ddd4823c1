import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

@Suite struct MigrationRunTests {
    /// The built-in set plus extra county files.
    func builtIn(plus extra: [(String, String)]) throws -> MigrationSet {
        let base = try MigrationSet.builtIn()
        let added = try extra.map { try Migration(scope: .county, fileName: $0.0, sql: $0.1) }
        return try MigrationSet(control: base.control, county: base.county + added, source: "test")
    }

    @Test func aNewMigrationReachesEveryCountyOnceWithSeveralJobs() async throws {
        try await withRegistry { registry, pool in
            let codes = try (0..<24).map { try CountyCode("c\($0)") }
            for code in codes { _ = try await registry.create(code: code, name: "县 \(code)", region: nil) }
            let next = CountyRegistry(pool: pool, migrations: try builtIn(plus: [("0900_note.sql", "CREATE TABLE note (id int); INSERT INTO note VALUES (1);")]), actor: "test")
            let seen = Counter()
            let report = try await next.migrateUp(jobs: 4) { _, total, _ in
                #expect(total == codes.count)
                seen.increment()
            }
            #expect(report.succeeded)
            #expect(report.outcomes.count == codes.count)
            #expect(report.outcomes.allSatisfy { $0.applied.map(\.version) == [900] })
            #expect(seen.value == codes.count)
            for code in codes {
                let rows = try await pool.query("SELECT count(*) FROM \(identifier: code.schema).note").single().decode(Int.self)
                #expect(rows == 1)
            }
            // Nothing left: a second pass changes nothing.
            let again = try await next.migrateUp(jobs: 4)
            #expect(again.succeeded)
            #expect(again.outcomes.allSatisfy { $0.applied.isEmpty })
        }
    }

    @Test func aMigrationFailingInOneCountyStopsNewCountiesOrGoesOnWhenAsked() async throws {
        try await withRegistry { registry, pool in
            let codes = try (0..<6).map { try CountyCode("d\($0)") }
            for code in codes { _ = try await registry.create(code: code, name: "县", region: nil) }
            // County d0 already has a table the new migration creates: it fails there alone.
            try await pool.query("CREATE TABLE county_d0.extra (id int)")
            let next = CountyRegistry(pool: pool, migrations: try builtIn(plus: [("0901_extra.sql", "CREATE TABLE extra (id int);")]), actor: "test")
            let stopped = try await next.migrateUp(jobs: 1)
            #expect(!stopped.succeeded)
            #expect(stopped.failed.map(\.code.value) == ["d0"])
            #expect(stopped.failed.first?.error?.contains("0901_extra.sql") == true)
            #expect(stopped.notStarted.count == 5)
            let d0 = try await next.migrationStatus(counties: [CountyCode("d0")]).counties[0].1
            #expect(d0.version == (try MigrationSet.builtIn().county.last?.version))
            #expect(d0.pending.map(\.version) == [901])

            let onward = try await next.migrateUp(jobs: 2, continueOnError: true)
            #expect(onward.failed.map(\.code.value) == ["d0"])
            #expect(onward.notStarted.isEmpty)
            #expect(onward.outcomes.filter { $0.applied.map(\.version) == [901] }.count == 5)
        }
    }

    @Test func statusReportsDriftPerCountyWithoutChangingAnything() async throws {
        try await withRegistry { registry, pool in
            _ = try await registry.create(code: CountyCode("e1"), name: "县", region: nil)
            let base = try MigrationSet.builtIn()
            let first = try #require(base.county.first)
            let edited = try Migration(scope: .county, fileName: first.fileName, sql: first.sql + "\n-- edited after it was applied\n")
            let drifted = CountyRegistry(
                pool: pool, migrations: try MigrationSet(control: base.control, county: [edited] + base.county.dropFirst(), source: "test"),
                actor: "test")
            let status = try await drifted.migrationStatus()
            #expect(status.counties.map(\.0.value) == ["e1"])
            #expect(status.counties[0].1.drifted == [first.fileName])
            #expect(status.control.drifted.isEmpty)
        }
    }

    @Test func archivedCountiesRefuseWritesButStayReadable() async throws {
        try await withRegistry { registry, _ in
            let code = try CountyCode("f1")
            _ = try await registry.create(code: code, name: "县", region: nil)
            try await registry.requireWritable(code)
            let archived = try await registry.archive(code)
            #expect(archived.status == .archived)
            let error = await thrownError { try await registry.requireWritable(code) }
            #expect((error as? CountyError)?.description == "county f1 is archived: its data can be read and reported, not changed")
            #expect(try await registry.show(code).status == .archived)
            let again = await thrownError { _ = try await registry.archive(code) }
            #expect(again is CountyError)
        }
    }
}

/// A thread-safe counter for callbacks.
final class Counter: Sendable {
    private let state = Mutex(0)
    func increment() { state.withLock { $0 += 1 } }
    var value: Int { state.withLock { $0 } }
}

import Synchronization

@Suite struct UnknownVersionTests {
    @Test func aCountyAheadOfTheseMigrationsIsRefusedAndNothingIsApplied() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("u1")
            _ = try await registry.create(code: code, name: "县", region: nil)
            // A newer binary applied version 950, which this one does not know.
            try await pool.query("INSERT INTO county_u1.schema_history (version, name, checksum, duration_ms, applied_by) VALUES (950, 'newer', 'x', 0, 'other')")
            let base = try MigrationSet.builtIn()
            let older = CountyRegistry(
                pool: pool,
                migrations: try MigrationSet(control: base.control, county: base.county + [try Migration(scope: .county, fileName: "0900_t.sql", sql: "CREATE TABLE t (a int);")], source: "test"),
                actor: "test")
            let report = try await older.migrateUp()
            #expect(report.failed.first?.error?.contains("applied version(s) 950 are not among these migrations") == true)
            let t = try await pool.query("SELECT to_regclass('county_u1.t') IS NOT NULL").single().decode(Bool.self)
            #expect(!t)
            let status = try await older.migrationStatus(counties: [code]).counties[0].1
            #expect(status.unknown == [950])
        }
    }
}
