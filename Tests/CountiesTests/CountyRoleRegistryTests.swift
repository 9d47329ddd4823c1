import Counties
import Foundation
import Migrations
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

/// The county role through a county's life: made at creation, kept current by migrations
/// (also for a county made before county roles), read-only once archived, dropped with the
/// county, granted anew on import. Roles are the server's: these tests use codes of their own.
@Suite struct CountyRoleRegistryTests {
    /// Whether `role` holds `privilege` on `table` (asked as the test's superuser).
    func may(_ role: PostgresIdentifier, _ privilege: String, _ table: String, _ pool: PostgresPool) async throws -> Bool {
        try await pool.query("SELECT has_table_privilege(\(role.name), \(table), \(privilege))").single().decode(Bool.self)
    }

    func roleExists(_ role: PostgresIdentifier, _ pool: PostgresPool) async throws -> Bool {
        try await pool.query("SELECT count(*) FROM pg_roles WHERE rolname = \(role.name)").single().decode(Int.self) == 1
    }

    @Test func creationGrantsTheCountysTablesAndTheStaffRightsInTheControlSchema() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("rr_new")
            _ = try await registry.create(code: code, name: "县", region: nil)
            let role = code.role
            #expect(role.name == "tongxin_county_rr_new")
            for table in ["proposal", "assignment", "member", "micro_suggestion", "activity"] {
                for privilege in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
                    #expect(try await may(role, privilege, "county_rr_new.\(table)", pool), "\(privilege) on \(table)")
                }
                #expect(try await !may(role, "TRUNCATE", "county_rr_new.\(table)", pool))
            }
            #expect(try await may(role, "INSERT", "county_rr_new.audit_log", pool))
            #expect(try await !may(role, "UPDATE", "county_rr_new.audit_log", pool))
            #expect(try await !may(role, "DELETE", "county_rr_new.audit_log", pool))
            #expect(try await may(role, "UPDATE", "county_rr_new.audit_head", pool))
            #expect(try await !may(role, "DELETE", "county_rr_new.audit_head", pool))
            #expect(try await !may(role, "INSERT", "county_rr_new.schema_history", pool))
            // The control schema, through tongxin_staff.
            #expect(try await may(role, "SELECT", "tongxin.county", pool))
            #expect(try await !may(role, "UPDATE", "tongxin.county", pool))
            #expect(try await may(role, "INSERT", "tongxin.job", pool))
            #expect(try await !may(role, "DELETE", "tongxin.job", pool))
            #expect(try await !may(role, "SELECT", "tongxin.notification", pool))
            #expect(try await pool.query("SELECT relrowsecurity FROM pg_class WHERE oid = 'tongxin.job'::regclass").single().decode(Bool.self))
        }
    }

    @Test func migrateUpGivesACountyMadeBeforeCountyRolesItsRole() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("rr_legacy")
            _ = try await registry.create(code: code, name: "县", region: nil)
            // As before county roles: no role.
            try await pool.query(PostgresQuery(unsafeSQL: "DROP OWNED BY \(code.role.quoted)"))
            try await pool.query(PostgresQuery(unsafeSQL: "DROP ROLE \(code.role.quoted)"))
            #expect(try await !roleExists(code.role, pool))
            let report = try await registry.migrateUp()
            #expect(report.succeeded)
            #expect(report.outcomes.map { $0.applied.count } == [0])
            #expect(try await roleExists(code.role, pool))
            #expect(try await may(code.role, "INSERT", "county_rr_legacy.proposal", pool))
            #expect(try await !may(code.role, "UPDATE", "county_rr_legacy.audit_log", pool))
        }
    }

    @Test func anArchivedCountysRoleMayOnlyReadAlsoAfterAMigration() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("rr_old")
            _ = try await registry.create(code: code, name: "县", region: nil)
            _ = try await registry.archive(code)
            #expect(try await may(code.role, "SELECT", "county_rr_old.proposal", pool))
            #expect(try await !may(code.role, "INSERT", "county_rr_old.proposal", pool))
            #expect(try await !may(code.role, "UPDATE", "county_rr_old.audit_head", pool))
            let base = try MigrationSet.builtIn()
            let next = CountyRegistry(
                pool: pool,
                migrations: try MigrationSet(
                    control: base.control,
                    county: base.county + [try Migration(scope: .county, fileName: "0900_note.sql", sql: "CREATE TABLE note (id int);")],
                    source: "test"),
                actor: "test")
            #expect(try await next.migrateUp().succeeded)
            #expect(try await may(code.role, "SELECT", "county_rr_old.note", pool))
            #expect(try await !may(code.role, "INSERT", "county_rr_old.note", pool))
            #expect(try await !may(code.role, "INSERT", "county_rr_old.proposal", pool))
        }
    }

    @Test func droppingACountyDropsItsRoleUnlessAnotherDatabaseUsesItAndImportGrantsItAgain() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("rr_gone")
            _ = try await registry.create(code: code, name: "县", region: nil)
            _ = try await registry.archive(code)
            let kept = try await registry.drop(code, confirm: "rr_gone").roleKept
            #expect(kept == nil)
            #expect(try await !roleExists(code.role, pool))

            // A county of the same code in another database of the server: the role stays.
            let twice = try CountyCode("rr_twice")
            _ = try await registry.create(code: twice, name: "县", region: nil)
            let file = NSTemporaryDirectory() + "rr_twice-\(UUID().uuidString.prefix(6)).tongxin"
            defer { try? FileManager.default.removeItem(atPath: file) }
            try await registry.export(twice, to: file)
            try await withRegistry { other, otherPool in
                let restored = try await other.importCounty(from: file)
                #expect(restored.code == twice)
                #expect(try await may(twice.role, "INSERT", "county_rr_twice.proposal", otherPool))
                #expect(try await !may(twice.role, "DELETE", "county_rr_twice.audit_log", otherPool))

                _ = try await registry.archive(twice)
                let stays = try await registry.drop(twice, confirm: "rr_twice").roleKept
                #expect(stays?.role == "tongxin_county_rr_twice")
                #expect(stays?.description.hasPrefix("role tongxin_county_rr_twice kept (") == true, "\(String(describing: stays))")
                #expect(try await registry.list().isEmpty)
                #expect(try await roleExists(twice.role, otherPool))
                #expect(try await may(twice.role, "INSERT", "county_rr_twice.proposal", otherPool))
            }
        }
    }
}

@Suite struct CountyDropTests {
    @Test func droppingACountyCancelsItsJobsForgetsItsFiguresAndDisablesItsOwnAccounts() async throws {
        try await withRegistry { registry, pool in
            let gone = try CountyCode("dr_gone")
            let stays = try CountyCode("dr_stays")
            for code in [gone, stays] { _ = try await registry.create(code: code, name: "县", region: nil) }
            // What the control schema holds under each code: a queued job, a pending
            // notification, a rollup; accounts of the county alone and a leader of both.
            for code in [gone.value, stays.value] {
                try await pool.query("""
                    INSERT INTO tongxin.job (kind, county, run_at, fair_at) VALUES ('noop', \(code), now(), now())
                    """)
                try await pool.query("""
                    INSERT INTO tongxin.notification (county, kind, recipient, subject, message, idempotency_key, created_at)
                    VALUES (\(code), 'deadline.reminder', '城管局', '2026-001', '提醒', \(code + "-1"), now())
                    """)
                try await pool.query("""
                    INSERT INTO tongxin.county_rollup (county, year, figures, compared, computed_at)
                    VALUES (\(code), 2026, '{}', '{}', now())
                    """)
            }
            try await pool.query("""
                INSERT INTO tongxin.account (login, role, counties, display_name) VALUES
                    ('gone.staff', 'staff', '{dr_gone}', '办公室'), ('stays.staff', 'staff', '{dr_stays}', '办公室'),
                    ('both.leader', 'leader', '{dr_gone,dr_stays}', '领导'), ('solo.leader', 'leader', '{dr_gone}', '领导')
                """)
            try await pool.query("""
                INSERT INTO tongxin.account (login, role, counties, unit_id, display_name) VALUES ('gone.unit', 'unit', '{dr_gone}', 1, '城管局')
                """)
            try await pool.query("""
                INSERT INTO tongxin.account_session (token_hash, account_id, created_at, last_seen_at, expires_at)
                SELECT 'h-' || login, id, now(), now(), now() + interval '1 day' FROM tongxin.account
                """)
            _ = try await registry.archive(gone)

            let dropped = try await registry.drop(gone, confirm: "dr_gone")
            #expect(dropped.jobsCancelled == 1)
            #expect(dropped.notificationsDeleted == 1)
            #expect(dropped.accountsChanged == 4)
            #expect(dropped.accountsDisabled == 3)
            #expect(dropped.description.hasPrefix("dropped county dr_gone; 1 queued job(s) cancelled"), "\(dropped)")

            let jobs = try await pool.query("SELECT county, state, coalesce(last_error, '') FROM tongxin.job ORDER BY county")
                .decode((String, String, String).self)
            #expect(jobs.map(\.1) == ["cancelled", "available"])
            #expect(jobs.first?.2 == "county dropped")
            #expect(try await pool.query("SELECT county FROM tongxin.notification").decode(String.self) == ["dr_stays"])
            // The comparison no longer finds figures of a county that is gone.
            #expect(try await pool.query("SELECT county FROM tongxin.county_rollup").decode(String.self) == ["dr_stays"])
            let accounts = try await pool.query("""
                SELECT login, counties, disabled_at IS NOT NULL,
                       EXISTS (SELECT 1 FROM tongxin.account_session s WHERE s.account_id = a.id AND s.revoked_at IS NULL)
                FROM tongxin.account a ORDER BY login
                """).decode((String, [String], Bool, Bool).self)
            #expect(accounts.map(\.0) == ["both.leader", "gone.staff", "gone.unit", "solo.leader", "stays.staff"])
            #expect(accounts[0].1 == ["dr_stays"] && !accounts[0].2 && accounts[0].3, "the leader keeps the other county and its session")
            #expect(accounts[1].2 && !accounts[1].3, "an account of the county alone is disabled and signed out")
            #expect(accounts[2].2 && !accounts[2].3)
            #expect(accounts[3].2 && !accounts[3].3, "a leader of that county alone too")
            #expect(!accounts[4].2 && accounts[4].3, "the other county's account is untouched")
            let events = try await pool.query("""
                SELECT a.login, e.action, e.detail->>'county', e.detail->>'disabled'
                FROM tongxin.account_event e JOIN tongxin.account a ON a.id = e.account_id ORDER BY a.login
                """).decode((String, String, String, String).self)
            #expect(events.map(\.0) == ["both.leader", "gone.staff", "gone.unit", "solo.leader"])
            #expect(events.allSatisfy { $0.1 == "county-dropped" && $0.2 == "dr_gone" })
            #expect(events.map(\.3) == ["false", "true", "true", "true"])
        }
    }
}
