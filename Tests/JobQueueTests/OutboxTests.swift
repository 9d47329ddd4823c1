import CountiesTestSupport
import Foundation
import JobQueue
import PostgresClient
import Testing

@Suite struct OutboxTests {
    @Test func aNotificationIsAddedOnceListedDeliveredOnceAndCounted() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                let at = Date(timeIntervalSince1970: 1_620_000_000)
                for (kind, key) in [("deadline.remind", "leiyang:a"), ("deadline.remind", "leiyang:a"), ("deadline.overdue", "leiyang:b")] {
                    let (statement, delivery) = try Outbox.add(
                        county: "leiyang", kind: kind, recipient: "城管局", subject: "2021-001", message: "请按时答复。", key: key, at: at)
                    #expect(delivery.kind == Outbox.deliverKind && delivery.queue == Outbox.queue)
                    #expect(delivery.dedupeKey == "deliver:\(key)")
                    try await c.query(statement)
                    try await JobQueue.enqueue([delivery], on: c)
                }
                // The second add of a key is ignored, and so is its delivery job.
                let all = try await Outbox.list(county: "leiyang", on: c)
                #expect(all.count == 2)
                #expect(all.allSatisfy { $0.state == .pending && $0.channel == nil })
                let jobs = try await c.query("SELECT count(*) FROM tongxin.job WHERE kind = \(Outbox.deliverKind)").single().decode(Int.self)
                #expect(jobs == 2)

                let pending = try #require(try await Outbox.undelivered(key: "leiyang:a", on: c))
                #expect(pending.recipient == "城管局" && pending.createdAt == at)
                try await Outbox.markDelivered(id: pending.id, channel: "file", on: c)
                #expect(try await Outbox.undelivered(key: "leiyang:a", on: c) == nil)
                #expect(try await Outbox.undelivered(key: "nowhere", on: c) == nil)
                #expect(try await Outbox.pendingCount(on: c) == 1)

                let delivered = try await Outbox.list(state: .delivered, on: c)
                #expect(delivered.map(\.notification.idempotencyKey) == ["leiyang:a"])
                #expect(delivered.first?.channel == "file")
                #expect(try await Outbox.list(kind: "deadline.overdue", on: c).count == 1)
                #expect(try await Outbox.list(county: "linwu", on: c).isEmpty)
                let counts = try await Outbox.countsByKind(county: "leiyang", on: c)
                #expect(counts.map { "\($0.kind) \($0.count)" } == ["deadline.overdue 1", "deadline.remind 1"])
            }
        }
    }

    @Test func theJSONASinkSendsEscapesAndParsesBack() throws {
        let n = OutboxNotification(
            id: 7, county: "leiyang", kind: "deadline.remind", recipient: "城管局", subject: "2021-001", message: "《标题》\n\"引号\"",
            idempotencyKey: "leiyang:a", createdAt: Date(timeIntervalSince1970: 1_620_000_000))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(n.json().utf8)) as? [String: Any])
        #expect(object["message"] as? String == "《标题》\n\"引号\"")
        #expect(object["id"] as? Int == 7)
        #expect(object["created_at"] as? String == "2021-05-03T08:00:00+08:00")
    }
}
