import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct ConnectionTests {
    @Test func selectOneReturnsOneAndReportsTheServerVersion() async throws {
        try await TestDatabase.withConnection { connection in
            let rows = try await connection.query("SELECT 1 AS one, \(41 + 1) AS answer")
            let (one, answer) = try rows.single().decode((Int32, Int).self)
            #expect(one == 1)
            #expect(answer == 42)
            #expect(connection.serverVersion >= 150000)
        }
    }
}
