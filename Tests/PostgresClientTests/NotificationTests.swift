import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct NotificationTests {
    @Test func aNotificationFromAnotherConnectionArrivesWithChannelPayloadAndSender() async throws {
        try await withConnections(2) { connections, _ in
            let (listener, sender) = (connections[0], connections[1])
            let channel = try PostgresIdentifier("proposal_events")
            try await listener.listen(channel)
            try await sender.notify(channel, payload: "提案 42 submitted")
            let notification = try #require(try await listener.nextNotification(timeout: .seconds(10)))
            #expect(notification.channel == channel.name)
            #expect(notification.payload == "提案 42 submitted")
            #expect(notification.processID == sender.backendPID)
            // Sent with plain SQL too, and several arrive in order.
            try await sender.query("NOTIFY proposal_events, 'one'")
            try await sender.query("SELECT pg_notify('proposal_events', \("two"))")
            let one = try await listener.nextNotification(timeout: .seconds(10))
            let two = try await listener.nextNotification(timeout: .seconds(10))
            #expect(one?.payload == "one")
            #expect(two?.payload == "two")
            try await listener.unlisten(channel)
            try await sender.notify(channel, payload: "after unlisten")
            #expect(try await listener.nextNotification(timeout: .milliseconds(300)) == nil)
        }
    }

    @Test func nextNotificationReturnsNilAfterTheTimeoutWhenNothingArrives() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.listen(try PostgresIdentifier("quiet_channel"))
            let timeout = Duration.milliseconds(400)
            let (notification, elapsed) = try await measure { try await connection.nextNotification(timeout: timeout) }
            #expect(notification == nil)
            #expect(elapsed >= timeout)
            #expect(elapsed < .seconds(5))
            #expect(try await connection.scalar("SELECT 1", as: Int32.self) == 1)
        }
    }

    @Test func cancellingAWaitForANotificationEndsItPromptlyWithCancellationError() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.listen(try PostgresIdentifier("quiet_channel"))
            let start = ContinuousClock.now
            let waiting = Task { try await connection.nextNotification(timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(200))
            waiting.cancel()
            let result = await waiting.result
            let elapsed = ContinuousClock.now - start
            #expect(throws: CancellationError.self) { _ = try result.get() }
            #expect(elapsed < .seconds(20))  // promptly: long before the wait's 60 s, even on a loaded machine
            // The connection still works and still listens.
            #expect(try await connection.scalar("SELECT 2", as: Int32.self) == 2)
            try await connection.notify(try PostgresIdentifier("quiet_channel"), payload: "self")
            let own = try await connection.nextNotification(timeout: .seconds(10))
            #expect(own?.payload == "self")
            #expect(own?.processID == connection.backendPID)
        }
    }

    @Test func aNotificationSentInARolledBackTransactionIsNeverDelivered() async throws {
        try await withConnections(2) { connections, _ in
            let (listener, sender) = (connections[0], connections[1])
            let channel = try PostgresIdentifier("proposal_events")
            try await listener.listen(channel)
            let aborted = await thrownError {
                try await sender.withTransaction { tx in
                    try await tx.notify(channel, payload: "rolled back")
                    throw SomeTestError(tag: "abort")
                }
            }
            #expect(aborted as? SomeTestError == SomeTestError(tag: "abort"))
            try await sender.withTransaction { tx in
                try await tx.notify(channel, payload: "committed")
            }
            let first = try await listener.nextNotification(timeout: .seconds(10))
            #expect(first?.payload == "committed")
            #expect(try await listener.nextNotification(timeout: .milliseconds(300)) == nil)
        }
    }

    @Test func aWaitingListenerWakesWhenTheNotificationArrives() async throws {
        try await withConnections(2) { connections, _ in
            let (listener, sender) = (connections[0], connections[1])
            let channel = try PostgresIdentifier("wake_up")
            try await listener.listen(channel)
            let received = Task { try await listener.nextNotification(timeout: .seconds(120)) }
            try await Task.sleep(for: .milliseconds(150))
            let (notification, elapsed) = try await measure { () async throws -> PostgresNotification? in
                try await sender.notify(channel, payload: "now")
                return try await received.value
            }
            #expect(notification?.payload == "now")
            // Woken by the notification, long before the wait's 120 s: not a speed bound (with the
            // whole suite on two cores it once took 7 s).
            #expect(elapsed < .seconds(60))
        }
    }
}
