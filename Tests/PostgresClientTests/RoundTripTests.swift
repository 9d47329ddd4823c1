import Foundation
@testable import PostgresClient
import PostgresTestSupport
import Testing

/// What goes over the wire, read from libpq's own protocol trace (PQtrace).
@Suite struct RoundTripTests {
    /// The protocol messages libpq sent and received while `body` ran.
    func traced(_ connection: PostgresConnection, _ body: () async throws -> Void) async throws -> [String] {
        let path = NSTemporaryDirectory() + "pqtrace-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await connection.perform { core in try core.startTrace(path: path) }
        do {
            try await body()
        } catch {
            try await connection.perform { core in core.stopTrace() }
            throw error
        }
        try await connection.perform { core in core.stopTrace() }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Lines of messages the client sent (`F`) of the given type.
    func sent(_ lines: [String], _ message: String) -> Int {
        lines.filter { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            return fields.count > 2 && fields[0] == "F" && fields[2] == message
        }.count
    }

    @Test func aPipelineOfTwoHundredInsertsIsOneRoundTrip() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE t (id int8)")
            let queries: [PostgresQuery] = (0..<200).map { "INSERT INTO t VALUES (\($0))" }
            let lines = try await traced(connection) { _ = try await connection.pipeline(queries) }
            // One Sync ends the batch: the server answers once, after all 200.
            #expect(sent(lines, "Sync") == 1)
            #expect(sent(lines, "Execute") == 200)
            #expect(sent(lines, "Parse") == 1)  // prepared once, run 200 times
            let count = try await connection.query("SELECT count(*) FROM t").single().decode(Int.self)
            #expect(count == 200)
        }
    }

    @Test func aCachedStatementRunsWithoutParsingAgain() async throws {
        try await TestDatabase.withConnection { connection in
            let first = try await traced(connection) { try await connection.query("SELECT \(1) + 1") }
            #expect(sent(first, "Parse") == 1)
            #expect(sent(first, "Sync") == 1)  // prepare and execute in one round trip
            let second = try await traced(connection) { try await connection.query("SELECT \(2) + 1") }
            #expect(sent(second, "Parse") == 0)
            #expect(sent(second, "Bind") == 1)
            #expect(sent(second, "Sync") == 1)
        }
    }
}
