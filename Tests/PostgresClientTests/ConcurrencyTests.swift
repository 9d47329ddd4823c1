import Foundation
@testable import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct ConcurrencyTests {
    @Test func cancellingTheTaskCancelsTheRunningStatementAndTheConnectionStaysUsable() async throws {
        try await withConnections(2) { connections, _ in
            let (connection, observer) = (connections[0], connections[1])
            let sleeper = Task { try await connection.query("SELECT pg_sleep(30)") }
            try await Task.sleep(for: .milliseconds(200))
            try await waitUntilRunning(connection, seenBy: observer)
            let start = ContinuousClock.now
            sleeper.cancel()
            let result = await sleeper.result
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(5))
            let error = #expect(throws: PostgresError.self) { _ = try result.get() }
            #expect(error?.sqlState == .queryCanceled)
            #expect(error?.isQueryCanceled == true)
            #expect(try await connection.scalar("SELECT 1", as: Int32.self) == 1)
            #expect(try await connection.inTransaction == false)
            // Again, now that the statement is cached.
            let again = Task { try await connection.query("SELECT pg_sleep(30)") }
            try await Task.sleep(for: .milliseconds(200))
            try await waitUntilRunning(connection, seenBy: observer)
            again.cancel()
            let secondError = await postgresError { _ = try await again.value }
            #expect(secondError?.sqlState == .queryCanceled)
            #expect(try await connection.scalar("SELECT \("still fine")", as: String.self) == "still fine")
        }
    }

    @Test func aTaskCancelledBeforeItsStatementRunsThrowsWithoutTouchingTheServer() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE t (id int)")
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await connection.query("INSERT INTO t VALUES (1)")
            }
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            #expect(try await connection.scalar("SELECT count(*) FROM t", as: Int.self) == 0)
        }
    }

    @Test func twoTasksSharingAConnectionEachGetTheirOwnAnswer() async throws {
        try await TestDatabase.withConnection { connection in
            async let slow = connection.query("SELECT \("slow") AS who, pg_sleep(0.2)::text")
            async let fast = connection.query("SELECT \("fast") AS who, \(Int64(7)) * 6")
            let (s, f) = try await (slow, fast)
            #expect(try s.single().decode(String.self, column: "who") == "slow")
            let (who, answer) = try f.single().decode((String, Int64).self)
            #expect(who == "fast" && answer == 42)

            // Many at once, with bind values and a result each.
            try await withThrowingTaskGroup(of: (Int64, Int64).self) { group in
                for i in Int64(0)..<40 {
                    group.addTask { (i, try await connection.scalar("SELECT \(i) * \(i)", as: Int64.self)) }
                }
                var seen = 0
                for try await (i, square) in group {
                    #expect(square == i * i)
                    seen += 1
                }
                #expect(seen == 40)
            }
        }
    }

    @Test func cancellingTwoTasksThatShareAConnectionCancelsBothPromptly() async throws {
        try await TestDatabase.withConnection { connection in
            // One statement runs, the other waits its turn; cancelling both must end both.
            let group = Task {
                await withTaskGroup(of: (any Error)?.self) { group -> [(any Error)?] in
                    for _ in 0..<2 {
                        group.addTask { await thrownError { try await connection.query("SELECT pg_sleep(30)") } }
                    }
                    var errors: [(any Error)?] = []
                    for await error in group { errors.append(error) }
                    return errors
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            let (errors, elapsed) = await measure {
                group.cancel()
                return await group.value
            }
            #expect(elapsed < .seconds(10), "cancelled tasks took \(elapsed)")
            #expect(errors.count == 2)
            for error in errors {
                let cancelled = error is CancellationError || (error as? PostgresError)?.sqlState == .queryCanceled
                #expect(cancelled, "\(String(describing: error))")
            }
            #expect(try await connection.scalar("SELECT 1", as: Int32.self) == 1)
        }
    }

    @Test func fiftyConcurrentTasksThroughAPoolOfFourEachGetTheirOwnAnswer() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 4))
            do {
                try await pool.query("CREATE TABLE proposal (id int8 PRIMARY KEY, title text NOT NULL)")
                try await withThrowingTaskGroup(of: (Int64, Int64, String, Int32).self) { group in
                    for i in Int64(0)..<50 {
                        group.addTask {
                            try await pool.withConnection { connection in
                                try await connection.query("INSERT INTO proposal VALUES (\(i), \("提案\(i)"))")
                                let (id, title) = try await connection.query(
                                    "SELECT id, title FROM proposal WHERE id = \(i)"
                                ).single().decode((Int64, String).self)
                                let pid = try await connection.scalar("SELECT pg_backend_pid()", as: Int32.self)
                                #expect(pid == connection.backendPID)
                                return (i, id, title, pid)
                            }
                        }
                    }
                    var pids: Set<Int32> = []
                    var count = 0
                    for try await (i, id, title, pid) in group {
                        #expect(id == i)
                        #expect(title == "提案\(i)")
                        pids.insert(pid)
                        count += 1
                    }
                    #expect(count == 50)
                    #expect(pids.count <= 4)
                }
                #expect(try await pool.query("SELECT count(*) FROM proposal").single().decode(Int.self, at: 0) == 50)
                #expect(pool.statistics.open <= 4)
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    @Test func cancellingAPoolCheckoutBodyReturnsTheConnectionOutOfAnyTransaction() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 1))
            do {
                let task = Task {
                    try await pool.withTransaction { tx in try await tx.query("SELECT pg_sleep(30)") }
                }
                try await Task.sleep(for: .milliseconds(200))
                task.cancel()
                let error = await thrownError { _ = try await task.value }
                #expect(error != nil)
                let inTransaction = try await pool.withConnection { try await $0.inTransaction }
                #expect(inTransaction == false)
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
        }
    }
}

/// Waits until `connection`'s backend is running a statement (so a cancel reaches the server).
func waitUntilRunning(_ connection: PostgresConnection, seenBy observer: PostgresConnection) async throws {
    for _ in 0..<300 {
        let active = try await observer.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = \(connection.backendPID) AND state = 'active'",
            as: Int.self)
        if active == 1 { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("backend \(connection.backendPID) never started its statement")
}

@Suite struct ConnectionThreadTests {
    @Test func aPoolBodyRunsOnTheConnectionsOwnThreadAndOtherCodeDoesNot() async throws {
        try await TestDatabase.withDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 1))
            let (before, after, outside) = try await pool.withConnection { connection in
                let before = connection.isOnConnectionThread
                try await connection.query("SELECT 1")
                try await Task.sleep(for: .milliseconds(5))
                let after = connection.isOnConnectionThread
                let outside = await Task.detached { connection.isOnConnectionThread }.value
                return (before, after, outside)
            }
            await pool.close()
            // Statements of a checkout run inline on the connection's thread, and the body stays
            // there across suspensions; a task without the preference is elsewhere.
            #expect(before)
            #expect(after)
            #expect(!outside)
        }
    }

    @Test func aPlainConnectionRunsLibpqOffTheCallersThread() async throws {
        try await TestDatabase.withConnection { connection in
            #expect(!connection.isOnConnectionThread)
            // Every libpq operation runs on the connection's own thread, not the caller's.
            let onItsThread = try await connection.perform { core in core.thread.isCurrent }
            #expect(onItsThread)
            let value = try await connection.query("SELECT 7").single().decode(Int32.self)
            #expect(value == 7)
            #expect(!connection.isOnConnectionThread)
        }
    }
}
