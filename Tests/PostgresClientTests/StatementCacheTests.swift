import Foundation
@testable import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct StatementCacheTests {
    @Test func aRepeatedQueryIsPreparedOnceAndTheServerHasIt() async throws {
        try await TestDatabase.withConnection { connection in
            let countPrepared: PostgresQuery = "SELECT count(*) FROM pg_prepared_statements WHERE statement = \("SELECT $1::int8 * 2 AS doubled")"
            _ = try await connection.query(countPrepared)  // cache the probe itself first
            let before = try await connection.cachedStatementCount
            let onServerBefore = try await connection.scalar(countPrepared, as: Int.self)
            #expect(onServerBefore == 0)
            for i in 0..<5 {
                let doubled = try await connection.scalar("SELECT \(Int64(i))::int8 * 2 AS doubled", as: Int64.self)
                #expect(doubled == Int64(i) * 2)
            }
            #expect(try await connection.cachedStatementCount == before + 1)
            #expect(try await connection.scalar(countPrepared, as: Int.self) == 1)
            // Every cached statement is a prepared statement on the server.
            let total = try await connection.scalar("SELECT count(*) FROM pg_prepared_statements", as: Int.self)
            let cached = try await connection.cachedStatementCount
            #expect(total == cached)
        }
    }

    @Test func theSameSQLWithOtherParameterTypesIsAnotherStatement() async throws {
        try await TestDatabase.withConnection { connection in
            let before = try await connection.cachedStatementCount
            #expect(try await connection.scalar("SELECT \(Int64(1))::text", as: String.self) == "1")
            #expect(try await connection.scalar("SELECT \("1")::text", as: String.self) == "1")
            #expect(try await connection.cachedStatementCount == before + 2)
        }
    }

    @Test func cacheCapacityEvictsAndDeallocatesOnTheNextMiss() async throws {
        try await TestDatabase.withDatabase { configuration in
            var small = configuration
            small.statementCacheCapacity = 2
            let connection = try await PostgresConnection.connect(configuration: small)
            do {
                for i in 1...5 {
                    let value = try await connection.scalar(PostgresQuery(unsafeSQL: "SELECT \(i) AS distinct_query_\(i)"), as: Int32.self)
                    #expect(value == Int32(i))
                }
                #expect(try await connection.cachedStatementCount == 2)
                // One more miss: evicted statements are deallocated before it is prepared.
                let onServer = try await connection.scalar("SELECT count(*) FROM pg_prepared_statements", as: Int.self)
                #expect(onServer <= 3)
                #expect(try await connection.cachedStatementCount == 2)
                let names = try await connection.query("SELECT statement FROM pg_prepared_statements").values(String.self)
                #expect(!names.contains("SELECT 1 AS distinct_query_1"))
                #expect(!names.contains("SELECT 2 AS distinct_query_2"))
                // Evicted statements still run (prepared again).
                #expect(try await connection.scalar("SELECT 1 AS distinct_query_1", as: Int32.self) == 1)
                await connection.close()
            } catch {
                await connection.close()
                throw error
            }
        }
    }

    /// Behind a pooler that keeps prepared statements nothing can be deallocated, so the cache
    /// gives out at most `capacity` names in the connection's life (one whose preparation failed,
    /// or that went stale, counts too); otherwise the least recently used statement makes room
    /// and is deallocated later.
    @Test func aCacheThatMayNotEvictGivesOutAtMostItsCapacityOfNames() {
        let keys = (1...3).map { StatementKey(sql: "SELECT \($0)", types: []) }
        var kept = StatementCache(capacity: 2)
        kept.evicts = false
        #expect(kept.hasRoom)
        kept.insert(keys[0], name: kept.newName())
        #expect(kept.hasRoom)
        _ = kept.newName()  // its preparation failed: never inserted, but the pooler has the name
        #expect(!kept.hasRoom)
        #expect(kept.count == 1 && kept.lookup(keys[0]) == "tx_1")
        kept.remove(keys[0], exists: true)  // a stale plan: forgotten here, not by the pooler
        #expect(!kept.hasRoom && kept.count == 0)
        var evicting = StatementCache(capacity: 2)
        for key in keys { evicting.insert(key, name: evicting.newName()) }
        #expect(evicting.hasRoom)
        #expect(evicting.count == 2 && evicting.lookup(keys[0]) == nil && evicting.lookup(keys[2]) == "tx_3")
        #expect(evicting.pendingDeallocations == ["tx_1"])
        #expect(!StatementCache(capacity: 0).hasRoom)
    }

    @Test func aDisabledCacheRunsStatementsWithoutPreparing() async throws {
        try await TestDatabase.withDatabase { configuration in
            var none = configuration
            none.statementCacheCapacity = 0
            let connection = try await PostgresConnection.connect(configuration: none)
            do {
                for i in 0..<3 {
                    #expect(try await connection.scalar("SELECT \(Int64(i)) + 1", as: Int64.self) == Int64(i) + 1)
                }
                #expect(try await connection.cachedStatementCount == 0)
                #expect(try await connection.scalar("SELECT count(*) FROM pg_prepared_statements", as: Int.self) == 0)
                await connection.close()
            } catch {
                await connection.close()
                throw error
            }
        }
    }

    @Test func alterTableThatChangesACachedSelectStarsResultIsRecoveredOutsideATransaction() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE proposal (id int)")
            try await connection.query("INSERT INTO proposal VALUES (1)")
            let selectAll: PostgresQuery = "SELECT * FROM proposal WHERE id > \(Int32(0))"
            #expect(try await connection.query(selectAll).columns == ["id"])
            #expect(try await connection.query(selectAll).columns == ["id"])  // now cached

            try await connection.query("ALTER TABLE proposal ADD COLUMN title text DEFAULT '提案'")
            let widened = try await connection.query(selectAll)
            #expect(widened.columns == ["id", "title"])
            let (id, title) = try widened.single().decode((Int32, String).self)
            #expect(id == 1 && title == "提案")

            try await connection.query("ALTER TABLE proposal ALTER COLUMN id TYPE int8")
            let retyped = try await connection.query(selectAll)
            #expect(retyped.columns == ["id", "title"])
            #expect(try retyped.single().decode(Int64.self, column: "id") == 1)
            // And the recovered statement is cached again.
            #expect(try await connection.query(selectAll).count == 1)
            let staleOnServer = try await connection.scalar(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement = \(selectAll.sql)", as: Int.self)
            #expect(staleOnServer == 1)
        }
    }

    @Test func aCachedStatementDroppedByDeallocateAllIsPreparedAgain() async throws {
        try await TestDatabase.withConnection { connection in
            let query: PostgresQuery = "SELECT \(Int64(20)) + 1"
            #expect(try await connection.scalar(query, as: Int64.self) == 21)
            try await connection.executeUnsafeScript("DEALLOCATE ALL")
            #expect(try await connection.scalar(query, as: Int64.self) == 21)
            #expect(try await connection.scalar(query, as: Int64.self) == 21)
        }
    }
}
