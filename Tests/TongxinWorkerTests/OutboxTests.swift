import Foundation
import JobQueue
import Logging
import PostgresClient
import PostgresTestSupport
import CountiesTestSupport
import Synchronization
import Testing
@testable import TongxinWorker
import TongxinBase

/// A local HTTP server that records what it receives and answers with the statuses given.
final class WebhookReceiver: Sendable {
    final class Log: Sendable {
        let list = Mutex<[MetricsServer.HTTPRequest]>([])
    }

    let server: MetricsServer
    let log = Log()
    /// What arrived so far.
    var received: [MetricsServer.HTTPRequest] { log.list.withLock { $0 } }

    init(statuses: [String]) throws {
        let log = self.log
        server = try MetricsServer(host: "127.0.0.1", port: 0) { request in
            let n = log.list.withLock { list in
                list.append(request)
                return list.count
            }
            return (statuses[min(n, statuses.count) - 1], "text/plain", "ok\n")
        }
        server.start()
    }

    var url: String { "http://127.0.0.1:\(server.port)/hook" }
}

@Suite struct OutboxTests {
    @Test func aWebhookDeliveryCarriesItsIdempotencyKeyAndIsRetriedAfterAFailure() async throws {
        try await withQueue { configuration, pool in
            let receiver = try WebhookReceiver(statuses: ["500 Internal Server Error", "200 OK"])
            defer { receiver.server.stop() }
            let key = "leiyang:deadline:1:2:1:2021-06-10:remind-15"
            try await pool.query("""
                INSERT INTO tongxin.notification (county, kind, recipient, subject, message, idempotency_key, created_at)
                VALUES ('leiyang', 'deadline.remind', '城管局', '2021-001', '请按时答复。', \(key), '2021-05-26 09:00+08')
                """)
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "notification.deliver", county: "leiyang", args: "{\"key\": \"\(key)\"}", queue: "notify")], on: c)
            }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let sink = try WebhookSink(url: receiver.url)
            let worker = JobRunner(configuration: configuration, worker: JobRunnerConfiguration(concurrency: 1), handlers: [], logger: logger)
            let handlers = WorkerProgram.handlers(pool: worker.pool, sink: sink)
            let delivering = JobRunner(pool: worker.pool, worker: JobRunnerConfiguration(concurrency: 1), handlers: handlers, logger: logger)
            let start = Date()
            #expect(try await delivering.runDue(asOf: start) == 1)
            // The failure waits for its backoff (about a second on the same clock); then the
            // delivery succeeds.
            #expect(try await delivering.runDue(asOf: start) == 0)
            #expect(try await delivering.runDue(asOf: start.addingTimeInterval(10)) == 1)
            await delivering.close()
            let received = receiver.received
            #expect(received.count == 2)
            #expect(received.map { $0.headers["idempotency-key"] } == [key, key])
            #expect(received.allSatisfy { $0.method == "POST" && $0.path == "/hook" })
            let body = try JSONSerialization.jsonObject(with: Data(received[1].body.utf8)) as? [String: Any]
            #expect(body?["recipient"] as? String == "城管局")
            #expect(body?["idempotency_key"] as? String == key)
            #expect(body?["created_at"] as? String == "2021-05-26T09:00:00+08:00")
            let (state, channel) = try await pool.query("SELECT state, channel FROM tongxin.notification").single().decode((String, String?).self)
            #expect(state == "delivered" && channel == "webhook")
            let job = try await pool.withConnection { try await JobQueue.list(JobQueue.Filter(), on: $0) }
            #expect(job.map(\.state) == ["completed"])
            #expect(job.map(\.attempt) == [2])
        }
    }

    @Test func aDeliveredNotificationIsNotSentAgain() async throws {
        try await withQueue { configuration, pool in
            let receiver = try WebhookReceiver(statuses: ["200 OK"])
            defer { receiver.server.stop() }
            try await pool.query("""
                INSERT INTO tongxin.notification (county, kind, recipient, subject, message, idempotency_key, created_at, state)
                VALUES ('leiyang', 'deadline.remind', '城管局', '2021-001', '请按时答复。', 'k1', now(), 'delivered')
                """)
            try await pool.withConnection { c in
                try await JobQueue.enqueue([NewJob(kind: "notification.deliver", county: "leiyang", args: #"{"key": "k1"}"#, queue: "notify")], on: c)
            }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let pool2 = JobRunner.pool(configuration, JobRunnerConfiguration(concurrency: 1), logger)
            let worker = JobRunner(pool: pool2, worker: JobRunnerConfiguration(concurrency: 1),
                                   handlers: WorkerProgram.handlers(pool: pool2, sink: try WebhookSink(url: receiver.url)), logger: logger)
            #expect(try await worker.runDue(asOf: Date()) == 1)
            await worker.close()
            #expect(receiver.received.isEmpty)
        }
    }
}

/// GET over a plain socket (HTTP/1.0), the body.
func get(_ url: String) async throws -> String {
    try await offCooperativePool {
        guard let parsed = URL(string: url), let port = parsed.port else { return "" }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        let request = Array("GET \(parsed.path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        return text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    }
}

/// A scripted SMTP server for one session: records the commands and the message.
final class FakeSMTPServer: Sendable {
    let port: Int
    let fd: Int32
    let commands = Mutex<[String]>([])
    let message = Mutex("")

    init() throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(sock, 1)
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) } }
        fd = sock
        port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    private func serve() {
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return }
        defer { close(client) }
        func say(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) } }
        var buffer: [UInt8] = []
        func line() -> String? {
            while true {
                if let i = buffer.firstIndex(of: 10) {
                    let text = String(decoding: buffer[..<i], as: UTF8.self).trimmingCharacters(in: .newlines)
                    buffer.removeFirst(i + 1)
                    return text
                }
                var chunk = [UInt8](repeating: 0, count: 1024)
                let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return nil }
                buffer += chunk[0..<n]
            }
        }
        say("220 fake ESMTP\r\n")
        while let command = line() {
            commands.withLock { $0.append(command) }
            switch command.prefix(4).uppercased() {
            case "EHLO": say("250-fake\r\n250 OK\r\n")
            case "MAIL", "RCPT": say("250 OK\r\n")
            case "DATA":
                say("354 go ahead\r\n")
                var lines: [String] = []
                while let l = line(), l != "." { lines.append(l) }
                message.withLock { $0 = lines.joined(separator: "\n") }
                say("250 queued\r\n")
            case "QUIT":
                say("221 bye\r\n")
                return
            default: say("500 what\r\n")
            }
        }
    }

    deinit { close(fd) }
}

@Suite struct SMTPSinkTests {
    @Test func aNotificationIsMailedToTheOfficeWithItsKey() async throws {
        let server = try FakeSMTPServer()
        let sink = try SMTPSink(url: "smtp://127.0.0.1:\(server.port)", from: "tongxin@leiyang.example", to: "office@leiyang.example")
        let notification = OutboxNotification(
            id: 7, county: "leiyang", kind: "deadline.overdue", recipient: "城管局", subject: "2021-001",
            message: "提案 2021-001 的办理期限已过，尚未答复。", idempotencyKey: "leiyang:deadline:1:2:1:2021-06-10:overdue",
            createdAt: Date(timeIntervalSince1970: 1_623_340_800))
        try await sink.deliver(notification)
        #expect(server.commands.withLock { $0 } == [
            "EHLO tongxin", "MAIL FROM:<tongxin@leiyang.example>", "RCPT TO:<office@leiyang.example>", "DATA", "QUIT",
        ])
        let message = server.message.withLock { $0 }
        #expect(message.contains("X-Idempotency-Key: leiyang:deadline:1:2:1:2021-06-10:overdue"))
        #expect(message.contains("Subject: =?UTF-8?B?"))
        let body = message.components(separatedBy: "\n\n").dropFirst().joined().replacingOccurrences(of: "\n", with: "")
        let text = Data(base64Encoded: body).map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(text.hasPrefix("提案 2021-001 的办理期限已过，尚未答复。"))
    }

    @Test func badSMTPSettingsAreRefusedWithOneLine() {
        #expect(throws: JobError.self) { try SMTPSink(url: "http://x", from: "a@b", to: "c@d") }
        let error = #expect(throws: JobError.self) { try SMTPSink(url: "smtp://relay", from: "a@b", to: "c@d>\r\nRCPT TO:<evil@x") }
        #expect(error?.description == "--smtp-to: \"c@d>\r\nRCPT TO:<evil@x\" is not an email address")
    }
}

@Suite struct SinkAndScheduleTests {
    @Test func theFileSinkAppendsOneJSONLinePerNotification() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tongxin-sink-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try FileSink(path: path)
        for n in 1...2 {
            try await sink.deliver(OutboxNotification(
                id: Int64(n), county: "leiyang", kind: "deadline.remind", recipient: "城管局", subject: "2021-00\(n)",
                message: "请按时答复。\"引号\"", idempotencyKey: "k\(n)", createdAt: Date(timeIntervalSince1970: 1_622_019_600)))
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["message"] as? String == "请按时答复。\"引号\"")
        #expect(first?["idempotency_key"] as? String == "k1")
        #expect(first?["created_at"] as? String == "2021-05-26T17:00:00+08:00")
    }

    @Test func dailyRollupsAreEnqueuedOncePerActiveCountyAndDay() async throws {
        try await withQueue { _, pool in
            try await pool.query("""
                INSERT INTO tongxin.county (code, name, schema_name, status) VALUES
                    ('leiyang', '耒阳市', 'county_leiyang', 'active'), ('linwu', '临武县', 'county_linwu', 'active'),
                    ('old', '旧县', 'county_old', 'archived')
                """)
            let day = try CalendarDate("2021-06-01")
            let first = try await pool.withConnection { try await JobRunner.enqueueRollups(day: day, on: $0) }
            let again = try await pool.withConnection { try await JobRunner.enqueueRollups(day: day, on: $0) }
            #expect(first == 2 && again == 0)
            let jobs = try await pool.query("SELECT county, args->>'year' FROM tongxin.job ORDER BY county").decode((String, String).self)
            #expect(jobs.map { "\($0.0) \($0.1)" } == ["leiyang 2021", "linwu 2021"])
        }
    }
}
