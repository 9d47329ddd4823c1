import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A tiny HTTP/1.0 server on a local port for `/metrics` (Prometheus text) and `/healthz`:
/// one thread accepting; each connection's request read on a thread of its own (a slow client
/// holds up nobody), then answered by a task, so a request that waits (a scrape behind a slow
/// database) never holds up another (`/healthz`), and no thread blocks for async work. One
/// request per connection. Not for the internet: bind it to 127.0.0.1 (the default) and let
/// Prometheus scrape locally.
package final class MetricsServer: Sendable {
    package let port: Int
    private let socket: Int32
    private let stopped = Atomic<Bool>(false)
    private let respond: Responder

    /// What the server answers a request: an HTTP status line's code and reason, a content
    /// type and a body.
    package typealias Responder = @Sendable (HTTPRequest) async -> (status: String, type: String, body: String)

    /// A request as the responder sees it (header names lowercased).
    package struct HTTPRequest: Sendable {
        package var method: String
        package var path: String
        package var headers: [String: String]
        package var body: String
    }

    /// Binds `host:port` (port 0: any free port, see `port`).
    package init(host: String, port: Int, respond: @escaping Responder) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError("metrics: socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw MetricsServerError("metrics: \"\(host)\" is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw MetricsServerError("metrics: cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.socket = fd
        self.respond = respond
    }

    package func start() {
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "tongxin-metrics"
        thread.start()
    }

    package func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(socket, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in self.handle(client) }
            thread.name = "tongxin-metrics-request"
            thread.start()
        }
    }

    /// Reads the request on this thread, then answers it from a task, which closes the
    /// connection.
    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var contentLength = 0
        while request.count < 1_048_576 {
            if let end = headerEnd, request.count >= end + contentLength { break }
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            request += buffer[0..<n]
            if headerEnd == nil, let end = Self.headerEnd(request) {
                headerEnd = end
                let head = String(decoding: request[0..<end], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let end = headerEnd ?? request.count
        let head = String(decoding: request[0..<min(end, request.count)], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = (lines.first ?? "").split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let requestBody = String(decoding: request.dropFirst(end), as: UTF8.self)
        let respond = self.respond
        Task {
            let (status, type, body): (String, String, String)
            if parts.count >= 2 {
                let path = String(parts[1].split(separator: "?", maxSplits: 1).first ?? "")
                (status, type, body) = await respond(HTTPRequest(method: String(parts[0]), path: path, headers: headers, body: requestBody))
            } else {
                (status, type, body) = ("400 Bad Request", "text/plain", "bad request\n")
            }
            Self.send(status: status, type: type, body: body, to: client)
            close(client)
        }
    }

    private static func send(status: String, type: String, body: String, to client: Int32) {
        let bytes = Array(body.utf8)
        let answer = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let out = Array(answer.utf8) + bytes
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.send(client, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            sent += n
        }
    }
}

extension MetricsServer {
    /// Where the blank line after the headers ends, if it has arrived.
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}

struct MetricsServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
