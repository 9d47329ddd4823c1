import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct TransactionTests {
    @Test func withTransactionCommitsWhenTheBodyReturns() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int PRIMARY KEY, title text)")
            let value = try await a.withTransaction { tx in
                try await tx.query("INSERT INTO proposal VALUES (1, \("提案一"))")
                #expect(try await tx.inTransaction)
                // Not yet visible to anyone else.
                #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)
                return try await tx.scalar("SELECT count(*) FROM proposal", as: Int.self)
            }
            #expect(value == 1)
            #expect(try await a.inTransaction == false)
            #expect(try await b.scalar("SELECT title FROM proposal WHERE id = 1", as: String.self) == "提案一")
        }
    }

    @Test func aTransactionCanBeginAndEndWithItsStatementsInOneRoundTripEach() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int PRIMARY KEY, title text)")
            try await a.query("INSERT INTO proposal VALUES (1, 'one')")
            let titles = try await a.withTransaction(beginningWith: ["SELECT title FROM proposal WHERE id = 1 FOR UPDATE"]) { tx, rows in
                #expect(try await tx.inTransaction)
                let title = try rows.first?.single().decode(String.self)
                let written = try await tx.commit(after: ["INSERT INTO proposal VALUES (2, 'two')", "SELECT count(*) FROM proposal"])
                #expect(try await tx.inTransaction == false)
                let count = try written[1].single().decode(Int.self)
                return [title ?? "", "\(count)"]
            }
            #expect(titles == ["one", "2"])
            #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 2)
            // A failing statement before COMMIT: nothing is committed and the error comes back.
            await #expect(throws: PostgresError.self) {
                try await a.withTransaction(beginningWith: []) { tx, _ in
                    try await tx.query("INSERT INTO proposal VALUES (3, 'three')")
                    _ = try await tx.commit(after: ["INSERT INTO proposal VALUES (1, 'duplicate')"])
                }
            }
            #expect(try await a.inTransaction == false)
            #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 2)
        }
    }

    @Test func aTransactionThatIsItsPreludeAloneCommitsInTheSameRoundTrip() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int PRIMARY KEY, title text)")
            try await a.query("INSERT INTO proposal VALUES (1, 'one')")
            let options = PostgresTransactionOptions(readOnly: true, commitsWithPrelude: true)
            // The body sees the prelude's rows with the transaction already ended.
            let (title, open) = try await a.withTransaction(options, beginningWith: [
                "SELECT set_config('application_name', 'inside', true)", "SELECT title FROM proposal WHERE id = 1",
            ]) { tx, rows in
                (try rows.last?.single().decode(String.self), try await tx.inTransaction)
            }
            #expect(title == "one")
            #expect(open == false)
            // A setting local to the transaction ended with it: it was one transaction.
            #expect(try await a.scalar("SELECT current_setting('application_name')", as: String.self) != "inside")
            // A failing statement: the error comes back, nothing stays open, and a write in the
            // same prelude is not committed.
            let writing = PostgresTransactionOptions(commitsWithPrelude: true)
            await #expect(throws: PostgresError.self) {
                try await a.withTransaction(writing, beginningWith: ["INSERT INTO proposal VALUES (2, 'two')", "SELECT 1/0"]) { _, _ in }
            }
            #expect(try await a.inTransaction == false)
            #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 1)
            // The body's refusal after the commit is the body's error.
            let refusal = await thrownError {
                try await a.withTransaction(options, beginningWith: ["SELECT 1"]) { _, _ in throw SomeTestError(tag: "not yours") }
            }
            #expect((refusal as? SomeTestError)?.tag == "not yours")
            #expect(try await a.inTransaction == false)
            // Inside an open transaction it would commit the outer one: refused.
            let nested = await thrownError {
                try await a.withTransaction { tx in
                    try await tx.withTransaction(options, beginningWith: ["SELECT 1"]) { _, _ in }
                }
            }
            #expect((nested as? PostgresError)?.kind == .misuse)
        }
    }

    @Test func withTransactionRollsBackAndRethrowsTheBodysError() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int PRIMARY KEY, title text)")
            let error = await thrownError {
                try await a.withTransaction { tx in
                    try await tx.query("INSERT INTO proposal VALUES (1, 'doomed')")
                    throw SomeTestError(tag: "body failed")
                }
            }
            #expect(error as? SomeTestError == SomeTestError(tag: "body failed"))
            #expect(try await a.inTransaction == false)
            #expect(try await a.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)
            #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)
            // A server error in the body is rethrown as it was.
            let serverError = await postgresError {
                try await a.withTransaction { tx in
                    try await tx.query("INSERT INTO proposal VALUES (2, 'x')")
                    try await tx.query("INSERT INTO proposal VALUES (2, 'x')")
                }
            }
            #expect(serverError?.sqlState == .uniqueViolation)
            #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)
        }
    }

    @Test(arguments: [
        (PostgresIsolationLevel?.none, "read committed"),
        (PostgresIsolationLevel.readCommitted, "read committed"),
        (PostgresIsolationLevel.repeatableRead, "repeatable read"),
        (PostgresIsolationLevel.serializable, "serializable"),
    ])
    func isolationLevelIsAppliedToTheTransaction(level: PostgresIsolationLevel?, expected: String) async throws {
        try await TestDatabase.withConnection { connection in
            let serverDefault = try await connection.scalar("SHOW default_transaction_isolation", as: String.self)
            let shown = try await connection.withTransaction(PostgresTransactionOptions(isolation: level)) { tx in
                try await tx.scalar("SHOW transaction_isolation", as: String.self)
            }
            #expect(shown == (level == nil ? serverDefault : expected))
        }
    }

    @Test func readOnlyTransactionRejectsWritesWithSQLState25006() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE proposal (id int)")
            let readOnly = PostgresTransactionOptions(readOnly: true)
            let shown = try await connection.withTransaction(readOnly) { tx in
                try await tx.scalar("SHOW transaction_read_only", as: String.self)
            }
            #expect(shown == "on")
            let error = await postgresError {
                try await connection.withTransaction(readOnly) { tx in
                    _ = try await tx.query("INSERT INTO proposal VALUES (1)")
                }
            }
            #expect(error?.sqlState == .readOnlySQLTransaction)
            #expect(error?.sqlState?.rawValue == "25006")
            #expect(try await connection.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)
            let readWrite = try await connection.withTransaction { tx in
                try await tx.scalar("SHOW transaction_read_only", as: String.self)
            }
            #expect(readWrite == "off")
        }
    }

    @Test func serializationFailuresAreRetriedUntilTheBodySucceeds() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE attempt (n int)")
            let attempts = Counter()
            let result = try await connection.withTransaction(.serializable(retrying: 5)) { tx -> Int in
                let n = attempts.increment()
                try await tx.query("INSERT INTO attempt VALUES (\(Int32(n)))")
                if n <= 2 {
                    try await tx.executeUnsafeScript(
                        "DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = 'serialization_failure'; END $$")
                }
                return try await tx.scalar("SELECT current_setting('transaction_isolation')", as: String.self) == "serializable" ? n : -n
            }
            #expect(result == 3)
            #expect(attempts.value == 3)
            // Only the successful attempt's row survived.
            let rows = try await connection.query("SELECT n FROM attempt").values(Int32.self)
            #expect(rows == [3])
        }
    }

    @Test func aRealWriteSkewIsRetriedAndBothTransactionsEventuallyCommit() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE ledger (id int PRIMARY KEY, total int NOT NULL)")
            try await a.query("INSERT INTO ledger VALUES (1, 0), (2, 0)")
            let attempts = Counter()
            let bothRead = Gate(parties: 2)
            // Each reads the sum and writes its own row: a write skew the first time round.
            func transfer(_ connection: PostgresConnection, row: Int32) async throws {
                try await connection.withTransaction(.serializable(retrying: 10)) { tx in
                    let attempt = attempts.increment()
                    let sum = try await tx.scalar("SELECT sum(total)::int FROM ledger", as: Int32.self)
                    if attempt <= 2 { await bothRead.arrive() }
                    try await tx.query("UPDATE ledger SET total = \(sum + 1) WHERE id = \(row)")
                }
            }
            async let first: Void = transfer(a, row: 1)
            async let second: Void = transfer(b, row: 2)
            _ = try await (first, second)
            #expect(attempts.value >= 3)
            let totals = try await a.query("SELECT total FROM ledger ORDER BY id").values(Int32.self)
            // Serializable: one of them saw the other's write.
            #expect(totals.sorted() == [1, 2])
        }
    }

    @Test func maxAttemptsExhaustedRethrowsTheSerializationFailure() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE attempt (n int)")
            let attempts = Counter()
            let error = await postgresError {
                try await connection.withTransaction(PostgresTransactionOptions(maxAttempts: 3)) { tx in
                    let n = attempts.increment()
                    try await tx.query("INSERT INTO attempt VALUES (\(Int32(n)))")
                    try await tx.executeUnsafeScript(
                        "DO $$ BEGIN RAISE EXCEPTION 'always' USING ERRCODE = 'serialization_failure'; END $$")
                }
            }
            #expect(error?.sqlState == .serializationFailure)
            #expect(attempts.value == 3)
            #expect(try await connection.scalar("SELECT count(*) FROM attempt", as: Int.self) == 0)
            #expect(try await connection.inTransaction == false)

            // Errors other than serialization failures and deadlocks are not retried.
            let once = Counter()
            let other = await postgresError {
                try await connection.withTransaction(PostgresTransactionOptions(maxAttempts: 5)) { tx in
                    once.increment()
                    try await tx.query("SELECT * FROM no_such_table")
                }
            }
            #expect(other?.sqlState == .undefinedTable)
            #expect(once.value == 1)
        }
    }

    @Test func withTransactionInSchemaResolvesUnqualifiedNamesThereAndRestoresTheSearchPath() async throws {
        try await TestDatabase.withConnection { connection in
            let county = try PostgresIdentifier("county_0421")
            try await connection.query("CREATE SCHEMA \(identifier: county)")
            try await connection.query("CREATE TABLE public.proposal (title text)")
            try await connection.query("CREATE TABLE \(identifier: county).proposal (title text)")
            try await connection.query("INSERT INTO public.proposal VALUES ('public row')")
            try await connection.query("INSERT INTO \(identifier: county).proposal VALUES ('county row')")
            let defaultPath = try await connection.scalar("SHOW search_path", as: String.self)
            let select: PostgresQuery = "SELECT title FROM proposal"
            #expect(try await connection.scalar(select, as: String.self) == "public row")

            let (inside, schema) = try await connection.withTransaction(inSchema: county) { tx in
                try await tx.query("INSERT INTO proposal VALUES ('inserted inside')")
                let titles = try await tx.query("SELECT title FROM proposal ORDER BY title").values(String.self)
                let schema = try await tx.scalar("SELECT current_schema()::text", as: String.self)
                return (titles, schema)
            }
            #expect(inside == ["county row", "inserted inside"])
            #expect(schema == county.name)

            #expect(try await connection.scalar("SHOW search_path", as: String.self) == defaultPath)
            #expect(try await connection.scalar(select, as: String.self) == "public row")
            let countyCount = try await connection.scalar(
                "SELECT count(*) FROM \(identifier: county).proposal", as: Int.self)
            #expect(countyCount == 2)

            // setLocalSearchPath inside a plain transaction ends with it too, also on rollback.
            let rollback = await thrownError {
                try await connection.withTransaction { tx in
                    try await tx.setLocalSearchPath([county])
                    #expect(try await tx.scalar("SELECT min(title) FROM proposal", as: String.self) == "county row")
                    throw SomeTestError(tag: "rollback")
                }
            }
            #expect(rollback as? SomeTestError == SomeTestError(tag: "rollback"), "\(String(describing: rollback))")
            #expect(try await connection.scalar("SHOW search_path", as: String.self) == defaultPath)
            #expect(try await connection.scalar(select, as: String.self) == "public row")
        }
    }

    @Test func aNestedWithTransactionDoesNotCommitTheOuterTransaction() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int)")
            let error = await thrownError {
                try await a.withTransaction { outer in
                    try await outer.query("INSERT INTO proposal VALUES (1)")
                    try await outer.withTransaction { inner in
                        _ = try await inner.query("INSERT INTO proposal VALUES (2)")
                    }
                    throw SomeTestError(tag: "outer fails after the inner one returned")
                }
            }
            // The nested call is a savepoint: the outer failure undoes everything.
            #expect(error as? SomeTestError == SomeTestError(tag: "outer fails after the inner one returned"))
            let visible = try await b.query("SELECT id FROM proposal ORDER BY id").values(Int32.self)
            #expect(visible.isEmpty, "rows committed despite the outer rollback: \(visible)")
            #expect(try await a.inTransaction == false)
        }
    }

    @Test func aNestedWithTransactionThatThrowsUndoesOnlyItsOwnWork() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int)")
            try await a.withTransaction { outer in
                try await outer.query("INSERT INTO proposal VALUES (1)")
                let inner = await thrownError {
                    try await outer.withTransaction { inner in
                        try await inner.query("INSERT INTO proposal VALUES (2)")
                        throw SomeTestError(tag: "inner")
                    }
                }
                #expect(inner as? SomeTestError == SomeTestError(tag: "inner"))
                #expect(try await outer.inTransaction)
                try await outer.query("INSERT INTO proposal VALUES (3)")
            }
            let visible = try await b.query("SELECT id FROM proposal ORDER BY id").values(Int32.self)
            #expect(visible == [1, 3])
        }
    }

    @Test func aDeadlockReportedByTheServerIsRetried() async throws {
        try await TestDatabase.withConnection { connection in
            let attempts = Counter()
            let value = try await connection.withTransaction(PostgresTransactionOptions(maxAttempts: 3)) { tx -> Int in
                if attempts.increment() < 3 {
                    try await tx.executeUnsafeScript("DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'deadlock_detected'; END $$")
                }
                return try await tx.scalar("SELECT 7", as: Int.self)
            }
            #expect(value == 7)
            #expect(attempts.increment() == 4)
        }
    }

    @Test func aSwallowedErrorInTheBodyMakesCommitFailWithInFailedTransaction() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int PRIMARY KEY)")
            let error = await postgresError {
                try await a.withTransaction { tx in
                    try await tx.query("INSERT INTO proposal VALUES (1)")
                    _ = try? await tx.query("INSERT INTO proposal VALUES (1)")  // fails, error swallowed
                }
            }
            #expect(error?.sqlState == .inFailedTransaction)
            #expect(try await a.inTransaction == false)
            #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)
            // Twice: with COMMIT now a cached statement.
            let again = await postgresError {
                try await a.withTransaction { tx in
                    _ = try? await tx.query("SELECT 1 / \(Int32(0))")
                }
            }
            #expect(again?.sqlState == .inFailedTransaction)
            #expect(try await a.scalar("SELECT 1", as: Int32.self) == 1)
        }
    }

    @Test func cancellingTheTaskDuringATransactionLeavesNoTransactionOpen() async throws {
        try await withConnections(2) { connections, _ in
            let (a, b) = (connections[0], connections[1])
            try await a.query("CREATE TABLE proposal (id int)")
            // Cancelled while a statement runs on the server.
            let running = Task {
                try await a.withTransaction { tx in
                    try await tx.query("INSERT INTO proposal VALUES (1)")
                    try await tx.query("SELECT pg_sleep(30)")
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            try await waitUntilRunning(a, seenBy: b)
            running.cancel()
            let (result, elapsed) = await measure { await running.result }
            #expect(throws: (any Error).self) { try result.get() }
            #expect(elapsed < .seconds(10))
            #expect(try await a.inTransaction == false)
            #expect(try await b.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)

            // Cancelled while the body waits on something else (after its INSERT is done).
            let inserted = Gate(parties: 2)
            let waiting = Task {
                try await a.withTransaction { tx in
                    try await tx.query("INSERT INTO proposal VALUES (2)")
                    await inserted.arrive()
                    try await Task.sleep(for: .seconds(30))
                }
            }
            await inserted.arrive()
            waiting.cancel()
            let second = await waiting.result
            #expect(throws: CancellationError.self) { try second.get() }
            #expect(try await a.inTransaction == false)
            #expect(try await a.scalar("SELECT count(*) FROM proposal", as: Int.self) == 0)
        }
    }
}

/// Lets `parties` tasks wait for one another once (later arrivals pass straight through).
final class Gate: Sendable {
    private struct State {
        var arrived = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let parties: Int
    private let state = Box(State())

    init(parties: Int) { self.parties = parties }

    func arrive() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let release = state.update { state -> [CheckedContinuation<Void, Never>] in
                state.arrived += 1
                if state.arrived < parties {
                    state.waiters.append(continuation)
                    return []
                }
                let all = state.waiters + [continuation]
                state.waiters = []
                return all
            }
            for waiter in release { waiter.resume() }
        }
    }
}
