import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct ErrorTests {
    @Test func uniqueViolationCarriesSQLStateConstraintTableSchemaAndDetail() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE proposal (id int PRIMARY KEY, title text)")
            try await connection.query("INSERT INTO proposal VALUES (\(Int32(1)), \("first"))")
            let insert: PostgresQuery = "INSERT INTO proposal VALUES (\(Int32(1)), \("second"))"
            let error = try #require(await postgresError { try await connection.query(insert) })
            #expect(error.kind == .server)
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.isUniqueViolation)
            #expect(error.constraint == "proposal_pkey")
            #expect(error.table == "proposal")
            #expect(error.schema == "public")
            let detail = try #require(error.detail)
            #expect(detail.contains("(id)=(1)"))
            #expect(error.severity == "ERROR")
            #expect(error.query == insert.sql)
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains("23505"))
            #expect(error.debugDescription.contains(detail))
            #expect(error.debugDescription.contains("proposal_pkey"))
            // The failed statement left the connection usable.
            #expect(try await connection.scalar("SELECT count(*) FROM proposal", as: Int.self) == 1)
        }
    }

    @Test func undefinedTableIsReportedAsUndefinedTable() async throws {
        try await TestDatabase.withConnection { connection in
            let error = try #require(await postgresError { try await connection.query("SELECT * FROM no_such_table") })
            #expect(error.sqlState == .undefinedTable)
            #expect(error.isUndefinedTable)
            #expect(error.message.contains("no_such_table"))
            #expect(error.position != nil)
            // Again, now that nothing was cached for it.
            let again = await postgresError { try await connection.query("SELECT * FROM no_such_table") }
            #expect(again?.sqlState == .undefinedTable)
        }
    }

    @Test func readingATableWithoutPrivilegeIsInsufficientPrivilege() async throws {
        try await TestDatabase.withConnection { connection in
            let role = try PostgresIdentifier("tx_noright_" + UUID().uuidString.prefix(8).lowercased())
            try await connection.query("CREATE ROLE \(identifier: role) NOLOGIN")
            do {
                try await connection.query("CREATE TABLE secret (v text)")
                try await connection.query("SET ROLE \(identifier: role)")
                #expect(try await connection.scalar("SELECT current_user::text", as: String.self) == role.name)
                let error = await postgresError { try await connection.query("SELECT * FROM secret") }
                #expect(error?.sqlState == .insufficientPrivilege)
                #expect(error?.isInsufficientPrivilege == true)
                try await connection.query("RESET ROLE")
                try await connection.query("DROP ROLE \(identifier: role)")
            } catch {
                _ = try? await connection.query("RESET ROLE")
                _ = try? await connection.query("DROP ROLE \(identifier: role)")
                throw error
            }
        }
    }

    @Test func writeSkewUnderSerializableIsASerializationFailure() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE doctor (id int PRIMARY KEY, on_call bool NOT NULL)")
            try await a.query("INSERT INTO doctor VALUES (1, true), (2, true)")
            try await a.query("BEGIN ISOLATION LEVEL SERIALIZABLE")
            try await b.query("BEGIN ISOLATION LEVEL SERIALIZABLE")
            #expect(try await a.scalar("SELECT count(*) FROM doctor WHERE on_call", as: Int.self) == 2)
            #expect(try await b.scalar("SELECT count(*) FROM doctor WHERE on_call", as: Int.self) == 2)
            try await a.query("UPDATE doctor SET on_call = false WHERE id = 1")
            try await b.query("UPDATE doctor SET on_call = false WHERE id = 2")
            try await a.query("COMMIT")
            let error = await postgresError { try await b.query("COMMIT") }
            #expect(error?.sqlState == .serializationFailure)
            #expect(error?.isSerializationFailure == true)
            #expect(error?.isRetryableTransactionFailure == true)
            #expect(try await b.inTransaction == false)
            #expect(try await a.scalar("SELECT count(*) FROM doctor WHERE on_call", as: Int.self) == 1)
        }
    }

    @Test func locksTakenInOppositeOrderAreADeadlockForExactlyOneSide() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE account (id int PRIMARY KEY, balance int)")
            try await a.query("INSERT INTO account VALUES (1, 0), (2, 0)")
            for connection in connections {
                try await connection.query("SET deadlock_timeout TO '100ms'")
                try await connection.query("BEGIN")
            }
            try await a.query("UPDATE account SET balance = balance + 1 WHERE id = 1")
            try await b.query("UPDATE account SET balance = balance + 1 WHERE id = 2")
            let first = Task { await thrownError { try await a.query("UPDATE account SET balance = balance + 1 WHERE id = 2") } }
            // Wait until a is blocked on b's row lock.
            var waiting = false
            for _ in 0..<200 where !waiting {
                waiting = try await b.scalar(
                    "SELECT coalesce(wait_event_type, '') = 'Lock' FROM pg_stat_activity WHERE pid = \(a.backendPID)",
                    as: Bool.self)
                if !waiting { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(waiting)
            let second = await thrownError { try await b.query("UPDATE account SET balance = balance + 1 WHERE id = 1") }
            let firstError = await first.value
            let errors = [firstError, second].compactMap { $0 as? PostgresError }
            #expect(errors.count == 1, "errors: \(String(describing: firstError)), \(String(describing: second))")
            #expect(errors.first?.sqlState == .deadlockDetected)
            #expect(errors.first?.isDeadlock == true)
            #expect(errors.first?.isRetryableTransactionFailure == true)
            try await a.query("ROLLBACK")
            try await b.query("ROLLBACK")
        }
    }

    @Test func serverErrorDescriptionIsOneLineAndDebugDescriptionHasTheDetail() async throws {
        try await TestDatabase.withConnection { connection in
            let error = try #require(await postgresError {
                try await connection.executeUnsafeScript("""
                    DO $$ BEGIN
                      RAISE EXCEPTION USING MESSAGE = 'proposal rejected', DETAIL = 'quota of 12 reached for 同心县',
                        HINT = 'try next session', ERRCODE = 'check_violation';
                    END $$
                    """)
            })
            #expect(error.sqlState == .checkViolation)
            #expect(error.detail == "quota of 12 reached for 同心县")
            #expect(error.hint == "try next session")
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains("proposal rejected"))
            #expect(error.debugDescription.contains("quota of 12 reached for 同心县"))
            #expect(error.debugDescription.contains("try next session"))
        }
    }

    @Test func errorDescriptionIsOneLineEvenWhenTheServerMessageHasSeveralLines() async throws {
        try await TestDatabase.withConnection { connection in
            let error = try #require(await postgresError {
                try await connection.executeUnsafeScript("""
                    DO $$ BEGIN RAISE EXCEPTION E'first line\\nsecond line'; END $$
                    """)
            })
            // The message as the server sent it keeps its newline…
            #expect(error.message.contains("second line"))
            // …but the short form meant for one log line does not.
            #expect(!error.description.contains("\n"), "description: \(error.description.debugDescription)")
        }
    }
}
