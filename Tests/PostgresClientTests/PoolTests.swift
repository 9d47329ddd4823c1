import Dispatch
import EmbeddedPostgres
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct PoolTests {
    /// A pool on a fresh database, its connections named `applicationName` in pg_stat_activity.
    func withPool<R: Sendable>(
        _ options: PostgresPoolOptions, _ body: (PostgresPool, String) async throws -> R
    ) async throws -> R {
        try await TestDatabase.withDatabase { configuration in
            var configuration = configuration
            let applicationName = "pool_" + UUID().uuidString.prefix(8).lowercased()
            configuration.applicationName = applicationName
            let pool = PostgresPool(configuration: configuration, options: options)
            do {
                let value = try await body(pool, applicationName)
                await pool.close()
                return value
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    @Test func anAffinityPrefersTheConnectionLastLentWithIt() async throws {
        try await withPool(PostgresPoolOptions(maxConnections: 2)) { pool, _ in
            // Two connections at once, tagged a and b.
            let (a, b) = try await pool.withConnection(affinity: "a") { first in
                let a = try await first.query("SELECT pg_backend_pid()").single().decode(Int32.self)
                let b = try await pool.withConnection(affinity: "b") { second in
                    try await second.query("SELECT pg_backend_pid()").single().decode(Int32.self)
                }
                return (a, b)
            }
            #expect(a != b)
            // b went back last, so without an affinity it comes first; a's affinity finds a.
            for _ in 0..<3 {
                #expect(try await pool.withConnection(affinity: "a") { try await $0.query("SELECT pg_backend_pid()").single().decode(Int32.self) } == a)
                #expect(try await pool.withConnection(affinity: "b") { try await $0.query("SELECT pg_backend_pid()").single().decode(Int32.self) } == b)
            }
            #expect(try await pool.withConnection { try await $0.query("SELECT pg_backend_pid()").single().decode(Int32.self) } == b)
        }
    }

    @Test func maxConnectionsIsRespectedUnderConcurrentLoad() async throws {
        try await withPool(PostgresPoolOptions(maxConnections: 3)) { pool, applicationName in
            let inside = Counter()
            let serverSeen = Counter()
            let statisticsSeen = Counter()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            inside.increment()
                            defer { inside.decrement() }
                            let open = pool.statistics.open
                            statisticsSeen.observe(open)
                            let (backends, echoed) = try await connection.query("""
                                SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = \(applicationName)),
                                       \(Int64(i)) FROM pg_sleep(0.05)
                                """).single().decode((Int, Int64).self)
                            serverSeen.observe(backends)
                            return Int(echoed)
                        }
                    }
                }
                var answers: [Int] = []
                for try await answer in group { answers.append(answer) }
                #expect(answers.sorted() == Array(0..<20))
            }
            #expect(inside.maximum <= 3)
            #expect(inside.maximum >= 2)
            #expect(serverSeen.maximum <= 3)
            #expect(serverSeen.maximum >= 1)
            #expect(statisticsSeen.maximum <= 3)
            let statistics = pool.statistics
            #expect(statistics.open <= 3)
            #expect(statistics.created <= 3)
            #expect(statistics.waiting == 0)
        }
    }

    @Test func aCheckoutWaitingLongerThanTheTimeoutFailsWithTimeout() async throws {
        let options = PostgresPoolOptions(maxConnections: 1, checkoutTimeout: .milliseconds(200))
        try await withPool(options) { pool, _ in
            let holder = await holdingTheConnection(pool, seconds: 10)
            let (error, elapsed) = await measure {
                await postgresError { try await pool.withConnection { _ in } }
            }
            #expect(error?.kind == .timeout)
            #expect(elapsed >= .milliseconds(200))
            // Failed before the holder let go (10 s): not a speed bound — on a loaded 2-core
            // machine running the whole suite, the timeout has fired 5.7 s late.
            #expect(elapsed < .seconds(9))
            holder.cancel()
            _ = await holder.result
            #expect(pool.statistics.waiting == 0)
            // Once free, the connection is lent again.
            let again = try await pool.query("SELECT 1").single().decode(Int32.self, at: 0)
            #expect(again == 1)
        }
    }

    @Test func waitersArrivingApartEachWaitTheirOwnTimeoutAndAServedOneGetsItsConnection() async throws {
        // One timer serves every waiter: a later waiter is not failed at an earlier one's
        // deadline, a waiter served meanwhile is not failed at all, and a waiter after a quiet
        // spell (the timer ended) still times out.
        let options = PostgresPoolOptions(maxConnections: 1, checkoutTimeout: .milliseconds(600))
        try await withPool(options) { pool, _ in
            let holder = await holdingTheConnection(pool, seconds: 10)
            let first = Task { await measure { await postgresError { try await pool.withConnection { _ in } } } }
            try await Task.sleep(for: .milliseconds(300))
            let second = Task { await measure { await postgresError { try await pool.withConnection { _ in } } } }
            let (firstError, _) = await first.value
            let (secondError, secondWaited) = await second.value
            #expect(firstError?.kind == .timeout)
            #expect(secondError?.kind == .timeout)
            #expect(secondWaited >= .milliseconds(600), "the second waiter waited its own 600 ms")
            holder.cancel()
            _ = await holder.result
            #expect(pool.statistics.waiting == 0)

            // A waiter that is served is answered with the connection, not a timeout.
            let briefHolder = await holdingTheConnection(pool, seconds: 0.1)
            #expect(try await pool.query("SELECT 1").single().decode(Int32.self, at: 0) == 1)
            try await briefHolder.value

            // After the quiet spell, the timer starts again for the next waiter.
            let holderAgain = await holdingTheConnection(pool, seconds: 10)
            let (late, waited) = await measure { await postgresError { try await pool.withConnection { _ in } } }
            #expect(late?.kind == .timeout)
            #expect(waited >= .milliseconds(600) && waited < .seconds(9))
            holderAgain.cancel()
            _ = await holderAgain.result
        }
    }

    @Test func aZeroCheckoutTimeoutFailsAtOnceWhenNoConnectionIsFree() async throws {
        // The timeout must hold however short it is: no checkout may wait for the holder.
        let options = PostgresPoolOptions(maxConnections: 1, checkoutTimeout: .zero)
        try await withPool(options) { pool, _ in
            // Held well past the 3 s of attempts, even on a loaded machine.
            let holder = await holdingTheConnection(pool, seconds: 10)
            // A race, so try many times while the connection is held.
            let begin = ContinuousClock.now
            var attempts = 0
            var outcomes: [String] = []
            while ContinuousClock.now - begin < .seconds(3), attempts < 50_000 {
                attempts += 1
                let (error, elapsed) = await measure { await thrownError { try await pool.withConnection { _ in } } }
                let kind = (error as? PostgresError)?.kind
                if kind != .timeout || elapsed > .seconds(2) {
                    outcomes.append("attempt \(attempts): \(error.map { "\($0)" } ?? "got a connection") after \(elapsed)")
                    break
                }
            }
            #expect(outcomes.isEmpty, "\(outcomes)")
            try await holder.value
        }
    }

    @Test func aConnectionReturnedInsideATransactionIsDiscardedNotReused() async throws {
        try await withPool(PostgresPoolOptions(maxConnections: 1)) { pool, _ in
            let first = try await pool.withConnection { connection in
                try await connection.query("BEGIN")
                try await connection.query("CREATE TABLE leaked (id int)")
                return try await connection.scalar("SELECT pg_backend_pid()", as: Int32.self)
            }
            let (second, inTransaction, tableExists) = try await pool.withConnection { connection in
                let pid = try await connection.scalar("SELECT pg_backend_pid()", as: Int32.self)
                let exists = try await connection.scalar("SELECT to_regclass('leaked') IS NOT NULL", as: Bool.self)
                return (pid, try await connection.inTransaction, exists)
            }
            #expect(second != first)
            #expect(inTransaction == false)
            #expect(tableExists == false)  // the abandoned transaction was rolled back
            #expect(pool.statistics.discarded == 1)
            #expect(pool.statistics.created == 2)
            // A cleanly returned connection is reused.
            let third = try await pool.withConnection { try await $0.scalar("SELECT pg_backend_pid()", as: Int32.self) }
            #expect(third == second)
        }
    }

    @Test func connectionsAreRecycledAfterMaxUsesPerConnection() async throws {
        try await withPool(PostgresPoolOptions(maxConnections: 1, maxUsesPerConnection: 3)) { pool, _ in
            var pids: [Int32] = []
            for _ in 0..<7 {
                pids.append(try await pool.withConnection { try await $0.scalar("SELECT pg_backend_pid()", as: Int32.self) })
            }
            #expect(pids[0] == pids[1] && pids[1] == pids[2])
            #expect(pids[3] != pids[2])
            #expect(pids[3] == pids[4] && pids[4] == pids[5])
            #expect(pids[6] != pids[5])
            #expect(Set(pids).count == 3)
            #expect(pool.statistics.created == 3)
        }
    }

    @Test func connectionsAreRecycledAfterMaxConnectionAge() async throws {
        let options = PostgresPoolOptions(maxConnections: 1, maxConnectionAge: .seconds(3))
        try await withPool(options) { pool, _ in
            let pid = { @Sendable (connection: PostgresConnection) async throws -> Int32 in
                try await connection.scalar("SELECT pg_backend_pid()", as: Int32.self)
            }
            let first = try await pool.withConnection(pid)
            let soon = try await pool.withConnection(pid)
            #expect(soon == first)
            try await Task.sleep(for: .milliseconds(3200))
            let later = try await pool.withConnection(pid)
            #expect(later != first)
            #expect(pool.statistics.discarded >= 1)
        }
    }

    @Test func brokenConnectionsAreReplacedAfterTheServerTerminatesThem() async throws {
        try await withPool(PostgresPoolOptions(maxConnections: 2)) { pool, applicationName in
            // Open both connections.
            let both = Gate(parties: 2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await pool.withConnection { _ in await both.arrive() } }
                }
                try await group.waitForAll()
            }
            #expect(pool.statistics.idle == 2)
            let terminated = try await withAdminConnection { admin in
                let pids = try await admin.query(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = \(applicationName)"
                ).decode(Int32.self)
                for pid in pids {
                    try await admin.query("SELECT pg_terminate_backend(\(pid))")
                }
                // Wait until the backends have really exited (and so closed their sockets): the
                // pool can only notice a hang-up that has happened.
                for _ in 0..<500 where pids.contains(where: { kill($0, 0) == 0 }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                return pids.count
            }
            #expect(terminated == 2)
            // Every next checkout succeeds on a fresh connection.
            for _ in 0..<4 {
                let value = try await pool.withConnection { try await $0.scalar("SELECT 41 + 1", as: Int32.self) }
                #expect(value == 42)
            }
            #expect(pool.statistics.created >= 3)
        }
    }

    @Test func thePoolRecoversFromARealServerRestart() async throws {
        let server = try await offCooperativePool { try EmbeddedPostgres.start() }
        do {
            var configuration = PostgresConfiguration(connectionString: server.connectionString(database: "postgres"))
            configuration.connectTimeout = .seconds(5)
            let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 3))
            let beforePIDs = Box<Set<Int32>>([])
            let all = Gate(parties: 3)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            let pid = try await connection.scalar("SELECT pg_backend_pid()", as: Int32.self)
                            beforePIDs.update { _ = $0.insert(pid) }
                            await all.arrive()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(beforePIDs.value.count == 3)
            #expect(pool.statistics.idle == 3)
            try await offCooperativePool { try server.restart() }
            var answers: [Int32] = []
            var failures: [String] = []
            for i in 0..<10 {
                do {
                    answers.append(try await pool.withConnection { try await $0.scalar("SELECT \(Int32(i))", as: Int32.self) })
                } catch {
                    failures.append("\(i): \(error)")
                }
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(answers == (0..<10).map { Int32($0) })
            await pool.close()
            try await offCooperativePool { try server.stop() }
        } catch {
            try? await offCooperativePool { try server.stop() }
            throw error
        }
    }

    @Test func closeFailsLaterAndWaitingCheckoutsWithPoolClosed() async throws {
        try await withPool(PostgresPoolOptions(maxConnections: 1, checkoutTimeout: .seconds(20))) { pool, _ in
            #expect(try await pool.query("SELECT 1").count == 1)
            let holding = Gate(parties: 2)
            let release = Gate(parties: 2)
            let holder = Task {
                try await pool.withConnection { connection in
                    await holding.arrive()
                    await release.arrive()
                    return try await connection.scalar("SELECT 5", as: Int32.self)
                }
            }
            await holding.arrive()
            let waiter = Task { try await pool.withConnection { _ in } }
            for _ in 0..<200 where pool.statistics.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(pool.statistics.waiting == 1)
            await pool.close()
            let waiterError = await postgresError { try await waiter.value }
            #expect(waiterError?.kind == .poolClosed)
            await release.arrive()
            #expect(try await holder.value == 5)  // a lent connection finishes its work
            let later = await postgresError { try await pool.withConnection { _ in } }
            #expect(later?.kind == .poolClosed)
            #expect(pool.statistics.open == 0)
            #expect(pool.statistics.idle == 0)
        }
    }

    @Test func poolTransactionsCommitAndRollBack() async throws {
        try await withPool(PostgresPoolOptions(maxConnections: 2)) { pool, _ in
            try await pool.query("CREATE TABLE proposal (id int PRIMARY KEY)")
            try await pool.withTransaction { tx in _ = try await tx.query("INSERT INTO proposal VALUES (1)") }
            let aborted = await thrownError {
                try await pool.withTransaction { tx in
                    try await tx.query("INSERT INTO proposal VALUES (2)")
                    throw SomeTestError(tag: "no")
                }
            }
            #expect(aborted as? SomeTestError == SomeTestError(tag: "no"))
            let ids = try await pool.query("SELECT id FROM proposal").values(Int32.self)
            #expect(ids == [1])
        }
    }
}

/// Takes the pool's connection and keeps it (in `pg_sleep`) until cancelled or `seconds` pass;
/// returns once it is held.
func holdingTheConnection(_ pool: PostgresPool, seconds: Double) async -> Task<Void, any Error> {
    let holding = Gate(parties: 2)
    let holder = Task {
        try await pool.withConnection { connection in
            await holding.arrive()
            try await connection.query("SELECT pg_sleep(\(seconds))")
        }
    }
    await holding.arrive()
    return holder
}
