import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import JobQueue
import Migrations
import WorkflowStore
import TongxinBase

/// Email through an SMTP relay (plain SMTP, as to the host's Postfix, which handles TLS and
/// onward delivery): every notification goes to one mailbox (the proposal office's), the
/// recipient named in the subject. The idempotency key is in an `X-Idempotency-Key` header and
/// makes the Message-ID, so a repeated delivery is recognisable as the same message.
public struct SMTPSink: NotificationSink {
    let host: String
    let port: Int
    let from: String
    let to: String
    let timeout: Int

    /// `url` is `smtp://host[:port]` (default port 25).
    public init(url: String, from: String, to: String, timeout: Int = 10) throws {
        guard let parsed = URL(string: url), parsed.scheme?.lowercased() == "smtp", let host = parsed.host, !host.isEmpty else {
            throw JobError("--smtp-url: \"\(url.prefix(80))\" is not like smtp://host:25")
        }
        for (option, address) in [("--smtp-from", from), ("--smtp-to", to)] {
            guard address.contains("@"), !address.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "<" || $0 == ">" || $0 == " " }) else {
                throw JobError("\(option): \"\(address.prefix(80))\" is not an email address")
            }
        }
        self.host = host
        self.port = parsed.port ?? 25
        self.from = from
        self.to = to
        self.timeout = timeout
    }

    public var channel: String { "smtp" }

    public func deliver(_ notification: OutboxNotification) async throws {
        let message = self.message(notification)
        let (host, port, from, to, timeout) = (self.host, self.port, self.from, self.to, self.timeout)
        // Blocking socket I/O, on a thread of its own (not the cooperative pool).
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try SMTPSession.send(host: host, port: port, from: from, to: to, message: message, timeout: timeout)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "tongxin-smtp"
            thread.start()
        }
    }

    /// The RFC 5322 message: UTF-8 subject (RFC 2047) and body (base64).
    func message(_ n: OutboxNotification) -> String {
        func encoded(_ text: String) -> String { "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?=" }
        let digest = SHA256.hex(Array(n.idempotencyKey.utf8))
        let body = Data("\(n.message)\n\n\(n.kind) · \(n.county) · \(n.subject) · \(LocalTime.iso(n.createdAt))\n".utf8)
            .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let date = DateFormatter.rfc5322.string(from: n.createdAt)
        return [
            "From: Tongxin <\(from)>",
            "To: <\(to)>",
            "Subject: \(encoded("[\(n.recipient)] \(n.subject) \(n.message.prefix(30))"))",
            "Date: \(date)",
            "Message-ID: <\(digest)@tongxin>",
            "X-Idempotency-Key: \(n.idempotencyKey.filter { $0.isASCII && $0 != "\r" && $0 != "\n" })",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "",
            body,
        ].joined(separator: "\r\n")
    }
}

enum SMTPSession {
    static func send(host: String, port: Int, from: String, to: String, message: String, timeout: Int) throws {
        let fd = try connect(host: host, port: port, timeout: timeout)
        defer { close(fd) }
        var reader = LineReader(fd: fd)
        func expect(_ codes: Set<Int>, after command: String) throws {
            // Multi-line replies: "250-…" lines, then "250 …".
            while true {
                guard let line = reader.next() else { throw JobError("smtp \(host): connection closed after \(command)") }
                guard line.count >= 3, let code = Int(line.prefix(3)) else { throw JobError("smtp \(host): unreadable reply \"\(line.prefix(60))\"") }
                if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                guard codes.contains(code) else { throw JobError("smtp \(host): \(command) answered \(line.prefix(120))") }
                return
            }
        }
        func write(_ text: String) throws {
            let bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return -1 }
                    return Glibc.send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                }
                guard n > 0 else { throw JobError("smtp \(host): write failed: \(String(cString: strerror(errno)))") }
                sent += n
            }
        }
        try expect([220], after: "connecting")
        try write("EHLO tongxin\r\n")
        try expect([250], after: "EHLO")
        try write("MAIL FROM:<\(from)>\r\n")
        try expect([250], after: "MAIL FROM")
        try write("RCPT TO:<\(to)>\r\n")
        try expect([250, 251], after: "RCPT TO")
        try write("DATA\r\n")
        try expect([354], after: "DATA")
        // Dot-stuffing: a line starting with "." gets another.
        let stuffed = message.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
        try write(stuffed + "\r\n.\r\n")
        try expect([250], after: "the message")
        try write("QUIT\r\n")
        _ = reader.next()
    }

    static func connect(host: String, port: Int, timeout: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else { throw JobError("smtp: cannot resolve \(host): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(result) }
        var address: UnsafeMutablePointer<addrinfo>? = first
        var lastError = "no address"
        while let info = address {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                var limit = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                lastError = String(cString: strerror(errno))
                close(fd)
            }
            address = info.pointee.ai_next
        }
        throw JobError("smtp: cannot connect to \(host):\(port): \(lastError)")
    }

    /// CRLF-terminated lines from a socket.
    struct LineReader {
        let fd: Int32
        var buffer: [UInt8] = []

        init(fd: Int32) { self.fd = fd }

        mutating func next() -> String? {
            while true {
                if let i = buffer.firstIndex(of: 10) {
                    let line = buffer[..<i].last == 13 ? buffer[..<(i - 1)] : buffer[..<i]
                    let text = String(decoding: line, as: UTF8.self)
                    buffer.removeFirst(i + 1)
                    return text
                }
                var chunk = [UInt8](repeating: 0, count: 1024)
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return nil }
                buffer += chunk[0..<n]
            }
        }
    }
}

extension DateFormatter {
    static let rfc5322: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f
    }()
}
