import Logging
import PostgresClient
import PostgresTestSupport
import Synchronization
import Testing

/// A log handler that keeps what it is given.
final class RecordingLogHandler: LogHandler, Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])
    var recorded: [Entry] { entries.withLock { $0 } }

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).mapValues { "\($0)" }
        entries.withLock { $0.append(Entry(level: event.level, message: "\(event.message)", metadata: metadata)) }
    }
}

@Suite struct NoticeTests {
    @Test func serverNoticesGoToTheConnectionsLoggerAtDebugLevel() async throws {
        try await TestDatabase.withDatabase { configuration in
            let handler = RecordingLogHandler()
            let logger = Logger(label: "test") { _ in handler }
            try await PostgresConnection.withConnection(configuration: configuration, logger: logger) { connection in
                try await connection.executeUnsafeScript("DO $$ BEGIN RAISE NOTICE 'hello 提案'; END $$")
                try await connection.query("CREATE TABLE IF NOT EXISTS t (a int)")
                try await connection.query("CREATE TABLE IF NOT EXISTS t (a int)")
            }
            let notices = handler.recorded.filter { $0.message == "server notice" }
            #expect(notices.map(\.level) == [.debug, .debug])
            #expect(notices.first?.metadata["db.message"] == "hello 提案")
            #expect(notices.first?.metadata["db.severity"] == "NOTICE")
            #expect(notices.last?.metadata["db.message"] == "relation \"t\" already exists, skipping")
        }
    }
}
