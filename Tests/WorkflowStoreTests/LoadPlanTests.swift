import Counties
import Foundation
import PostgresClient
import Testing
import Workflow
import WorkflowStore

/// Every step reads its proposal with one statement (`loadQuery`), planned once per connection
/// as a generic plan. Its related rows must be looked up by key whatever the statistics say:
/// a plan made while a county's tables were small, or before autovacuum's next ANALYZE, used to
/// join whole tables (a sequential scan of every reply, hash joins of members and units), and a
/// step cost four times as much once the tables had grown. Here the tables were never analyzed
/// (the planner goes by their size on disk), as in a new county.
@Suite struct LoadPlanTests {
    @Test func aProposalIsReadByKeysEvenWithStaleStatistics() async throws {
        try await withCounty { store, _ in
            let schema = store.county.schema.quoted
            let tables = ["proposal", "proposal_author", "assignment", "reply", "evaluation", "member", "unit"]
            // Statistics that never catch up: no autovacuum on these tables, no ANALYZE.
            for table in tables {
                try await store.pool.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(schema).\(table) SET (autovacuum_enabled = false)"))
            }
            // 2,000 closed proposals, each with its author, lead unit, reply and rating.
            try await store.pool.query(PostgresQuery(unsafeSQL: """
                WITH s AS (SELECT id FROM \(schema).session WHERE year = 2021),
                     m AS (SELECT min(id) AS id FROM \(schema).member),
                     u AS (SELECT min(id) AS id FROM \(schema).unit),
                     p AS (INSERT INTO \(schema).proposal (session_id, number, title, category, kind, status, filed_at, updated_at)
                           SELECT s.id, '2021-' || g, '建议' || g, 'economy', 'individual', 'closed', now(), now()
                           FROM s, generate_series(100, 2099) g RETURNING id),
                     a AS (INSERT INTO \(schema).proposal_author (proposal_id, member_id, lead)
                           SELECT p.id, m.id, true FROM p, m),
                     e AS (INSERT INTO \(schema).evaluation (proposal_id, member_id, round, rating, evaluated_at)
                           SELECT p.id, m.id, 1, 'satisfied', now() FROM p, m),
                     x AS (INSERT INTO \(schema).assignment (proposal_id, unit_id, role, assigned_at, due_on, replied_at)
                           SELECT p.id, u.id, 'lead', now(), current_date, now() FROM p, u RETURNING id)
                INSERT INTO \(schema).reply (assignment_id, round, category, text, replied_at, due_on)
                SELECT x.id, 1, 'A', '已办理', now(), current_date FROM x
                """))
            let load = try store.loadQuery("2021-1500", lock: true, parts: .all)
            let plan = try await store.pool.withConnection { connection -> String in
                connection.discardAfterUse()  // its session settings are changed here
                try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(schema)"))
                try await connection.query("SET plan_cache_mode = force_generic_plan")
                try await connection.query(PostgresQuery(unsafeSQL: "PREPARE load_plan_test(text) AS \(load.sql)"))
                let lines = try await connection.query("EXPLAIN EXECUTE load_plan_test('2021-1500')").decode(String.self)
                // The statement reads the proposal it names.
                let read = try await connection.query("EXECUTE load_plan_test('2021-1500')")
                #expect(read.count == 1)
                #expect(try read.first?.decode(String.self, at: 1) == "2021-1500")
                return lines.joined(separator: "\n")
            }
            for table in ["proposal", "proposal_author", "assignment", "reply", "evaluation"] {
                #expect(!plan.contains("Seq Scan on \(table) "), "a scan of every row of \(table):\n\(plan)")
            }
            let hashJoins = plan.split(separator: "\n").filter { $0.contains("Hash") && ($0.contains("Join") || $0.contains("->  Hash  ")) }
            #expect(hashJoins.isEmpty, "a hash join:\n\(plan)")
            #expect(!plan.contains("Materialize"), "a materialized table:\n\(plan)")
        }
    }
}
