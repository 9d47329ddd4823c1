import Counties
import Foundation
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

/// The workflow tables' constraints: the second line behind the state machine.
@Suite struct WorkflowSchemaTests {
    @Test func theWorkflowTablesHoldAProposalAndRefuseWhatTheRulesForbid() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("wf1")
            _ = try await registry.create(code: code, name: "耒阳市", region: nil)
            let filed = Date(timeIntervalSince1970: 1_614_600_000)
            try await pool.withTransaction(PostgresTransactionOptions(searchPath: [code.schema])) { tx in
                try await tx.executeUnsafeScript("""
                    -- Explicit ids: the schema's tables share one id sequence.
                    INSERT INTO sector (id, name) VALUES (1, '经济界');
                    INSERT INTO member (id, name, sector_id) VALUES (1, '王委员', 1), (2, '李委员', 1);
                    INSERT INTO unit (id, name) VALUES (1, '城管局'), (2, '林业局');
                    INSERT INTO session (id, year, name, opened_on) VALUES (1, 2021, '十届七次会议', '2021-03-01');
                    """)
                try await tx.query("""
                    INSERT INTO proposal (id, session_id, number, title, category, kind, filed_at, updated_at)
                    VALUES (1, 1, '2021-057', \("关于规范物业管理的建议"), 'livelihood', 'joint', \(filed), \(filed))
                    """)
                try await tx.executeUnsafeScript("""
                    INSERT INTO proposal_author (proposal_id, member_id, lead) VALUES (1, 1, true), (1, 2, false);
                    INSERT INTO assignment (proposal_id, unit_id, role, assigned_at, due_on) VALUES (1, 1, 'lead', now(), '2021-06-10');
                    """)
            }
            func refused(_ sql: String) async -> SQLState? {
                do {
                    try await pool.withTransaction(PostgresTransactionOptions(searchPath: [code.schema])) { tx in
                        try await tx.executeUnsafeScript(sql)
                    }
                    return nil
                } catch let error as PostgresError {
                    return error.sqlState
                } catch {
                    return nil
                }
            }
            let now = "now(), now()"
            #expect(await refused("INSERT INTO proposal (session_id, number, title, category, kind, filed_at, updated_at) VALUES (1, '2021-057', 'again', 'other', 'individual', \(now))") == .uniqueViolation)
            #expect(await refused("INSERT INTO proposal (session_id, number, title, category, kind, filed_at, updated_at) VALUES (1, '2021-58', 'x', 'other', 'individual', \(now))") == .checkViolation)
            #expect(await refused("INSERT INTO proposal (session_id, number, title, category, kind, filed_at, updated_at) VALUES (1, '2021-058', 'x', 'sports', 'individual', \(now))") == .checkViolation)
            #expect(await refused("UPDATE proposal SET status = 'declined'") == .checkViolation)  // a decline needs its reason
            #expect(await refused("UPDATE proposal SET status = 'pending'") == .checkViolation)
            #expect(await refused("INSERT INTO proposal_author (proposal_id, member_id, lead) VALUES (1, 2, true)") == .uniqueViolation)
            #expect(await refused("INSERT INTO assignment (proposal_id, unit_id, role, assigned_at, due_on) VALUES (1, 2, 'lead', now(), '2021-06-10')") == .uniqueViolation)
            #expect(await refused("INSERT INTO evaluation (proposal_id, member_id, round, rating, evaluated_at) VALUES (1, 1, 3, 'satisfied', now())") == .checkViolation)
            #expect(await refused("INSERT INTO activity (kind, happened_on) VALUES ('visit_hosted', '2021-05-01')") == .checkViolation)
            #expect(await refused("INSERT INTO proposal_author (proposal_id, member_id) VALUES (1, 99)") == .foreignKeyViolation)
            // No key leaves the county's schema.
            let crossSchema = try await pool.query("""
                SELECT count(*) FROM pg_constraint c
                JOIN pg_class src ON src.oid = c.conrelid JOIN pg_namespace sn ON sn.oid = src.relnamespace
                JOIN pg_class dst ON dst.oid = c.confrelid JOIN pg_namespace dn ON dn.oid = dst.relnamespace
                WHERE c.contype = 'f' AND (sn.nspname = 'county_wf1' OR dn.nspname = 'county_wf1') AND sn.nspname <> dn.nspname
                """).single().decode(Int.self)
            #expect(crossSchema == 0)
            let triggers = try await pool.query("""
                SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'county_wf1' AND NOT t.tgisinternal
                """).single().decode(Int.self)
            #expect(triggers == 0)  // Citus: no triggers on county tables
        }
    }
}
