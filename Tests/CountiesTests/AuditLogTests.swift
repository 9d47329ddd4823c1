import Counties
import Foundation
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Testing

@Suite struct AuditLogTests {
    @Test func theChainHoldsUntilAnEntryIsEditedOrDeletedAndNamesTheFirstBrokenOne() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("audit1")
            _ = try await registry.create(code: code, name: "县", region: nil)
            let start = Date(timeIntervalSince1970: 1_615_000_000.123456)
            try await pool.withTransaction(PostgresTransactionOptions(searchPath: [code.schema])) { tx in
                for i in 0..<5 {
                    try await AuditLog.append(
                        on: tx, schema: code.schema, actor: "办公室", entity: "proposal", entityID: "2021-00\(i)",
                        action: "registered", detail: JSONB(["note": "第\(i)件", "b": "x"]), at: start.addingTimeInterval(Double(i)))
                }
            }
            #expect(try await pool.withConnection { try await AuditLog.firstBrokenEntry(on: $0, schema: code.schema) } == nil)
            let links = try await pool.query("SELECT prev_hash IS NULL, length(hash) FROM county_audit1.audit_log ORDER BY id")
                .decode((Bool, Int).self)
            #expect(links.map(\.0) == [true, false, false, false, false])
            #expect(links.allSatisfy { $0.1 == 64 })
            // A different session time zone changes nothing.
            try await pool.withConnection { connection in
                try await connection.query("SET TimeZone TO 'Asia/Shanghai'")
                #expect(try await AuditLog.firstBrokenEntry(on: connection, schema: code.schema) == nil)
                try await connection.query("RESET TimeZone")
            }
            let ids = try await pool.query("SELECT id FROM county_audit1.audit_log ORDER BY id").decode(Int64.self)
            try await pool.query("UPDATE county_audit1.audit_log SET action = 'declined' WHERE id = \(ids[2])")
            #expect(try await pool.withConnection { try await AuditLog.firstBrokenEntry(on: $0, schema: code.schema) } == ids[2])
            try await pool.query("UPDATE county_audit1.audit_log SET action = 'registered' WHERE id = \(ids[2])")
            try await pool.query("DELETE FROM county_audit1.audit_log WHERE id = \(ids[1])")
            #expect(try await pool.withConnection { try await AuditLog.firstBrokenEntry(on: $0, schema: code.schema) } == ids[2])
        }
    }

    @Test func detailTextIsStoredExactlyAndAMissingHeadIsAnError() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("audit3")
            _ = try await registry.create(code: code, name: "县", region: nil)
            let detail = ["quote": "他说\"好\"", "slash": "a\\b/c", "lines": "一\n二\r\t三", "control": "\u{1}\u{1F}", "emoji": "🙂", "": "empty key"]
            try await pool.withTransaction { tx in
                try await AuditLog.append(on: tx, schema: code.schema, actor: "a", entity: "e", entityID: "1", action: "x",
                                          detail: JSONB(detail), at: Date(timeIntervalSince1970: 1_615_000_000))
            }
            let stored = try await pool.query("SELECT detail FROM county_audit3.audit_log").single().decode(JSONB<[String: String]>.self)
            #expect(stored.value == detail)
            #expect(try await pool.withConnection { try await AuditLog.firstBrokenEntry(on: $0, schema: code.schema) } == nil)
            try await pool.query("DELETE FROM county_audit3.audit_head")
            await #expect(throws: CountyError.self) {
                try await pool.withTransaction { tx in
                    try await AuditLog.append(on: tx, schema: code.schema, actor: "a", entity: "e", entityID: "2", action: "x", at: Date())
                }
            }
            #expect(try await pool.query("SELECT count(*) FROM county_audit3.audit_log").single().decode(Int.self) == 1)
        }
    }

    @Test func concurrentAppendsKeepOneChain() async throws {
        try await withRegistry { registry, pool in
            let code = try CountyCode("audit2")
            _ = try await registry.create(code: code, name: "县", region: nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for i in 0..<10 {
                            try await pool.withTransaction(PostgresTransactionOptions(searchPath: [code.schema])) { tx in
                                try await AuditLog.append(on: tx, schema: code.schema, actor: "w\(worker)", entity: "proposal",
                                                          entityID: "\(i)", action: "filed", at: Date())
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await pool.query("SELECT count(*) FROM county_audit2.audit_log").single().decode(Int.self)
            #expect(count == 40)
            #expect(try await pool.withConnection { try await AuditLog.firstBrokenEntry(on: $0, schema: code.schema) } == nil)
        }
    }
}
