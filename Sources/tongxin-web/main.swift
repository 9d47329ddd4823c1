import ArgumentParser
import CommandLineSupport
import Foundation
import Logging
import PostgresClient
import TongxinBase
import TongxinWeb
import TongxinWorker
#if canImport(Glibc)
/// glibc's mallopt (malloc.h, which the Glibc module leaves out).
@_silgen_name("mallopt") private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let M_ARENA_MAX: Int32 = -8
#endif

/// `tongxin-web`: the workflow in a browser for members, handling units, the office and leaders.
@main
struct TongxinWebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tongxin-web",
        abstract: "Tongxin's web application: serves the workflow's pages until SIGTERM or SIGINT.",
        version: TongxinVersion.current
    )

    static func main() async {
        await OneLineErrors.run(Self.self, program: "tongxin-web")
    }

    @Option(name: .customLong("database-url"), help: "libpq connection URI or key=value string (default: DATABASE_URL, then PG* defaults).")
    var databaseURL: String?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port; the log says which).")
    var port = 8080

    @Option(help: "The address people use, e.g. https://tongxin.example.gov.cn (https: cookies get Secure).")
    var publicURL: String?

    @Flag(help: "Take the client's address from X-Forwarded-For (only behind your own reverse proxy).")
    var trustProxy = false

    @Option(help: "Database connections at most (each runs its requests' queries on a thread of its own: a few per core serve best).")
    var poolSize = 4

    @Option(help: "Serve /metrics (Prometheus text) on this local port.")
    var metricsPort: Int?

    @Option(help: "Address for --metrics-port.")
    var metricsHost = "127.0.0.1"

    @Option(help: "Write the port listened on to this file once listening (for scripts with --port 0).")
    var portFile: String?

    @Option(help: "Log format: text or json.")
    var logFormat = "json"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port: use 0 to 65535") }
        guard (1...200).contains(poolSize) else { throw ValidationError("--pool-size: use 1 to 200") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port: use 0 to 65535") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format: text or json") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: trace, debug, info, notice, warning, error or critical") }
        if let publicURL {
            let lower = publicURL.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), URL(string: publicURL)?.host != nil else {
                throw ValidationError("--public-url: \"\(publicURL.prefix(60))\" is not an http:// or https:// address")
            }
        }
    }

    func run() async throws {
        #if canImport(Glibc)
        // glibc gives each thread that allocates its own heap arena (up to 8 per core): with
        // the event loops, the pool's connection threads and Swift's, that is most of the
        // resident set and none of the speed. Two arenas are plenty for a web process.
        _ = mallopt(M_ARENA_MAX, 2)
        #endif
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        JSONLogHandler.bootstrap(json: json, level: level)
        let logger = Logger(label: "tongxin.web")
        do {
            let configuration = WebConfiguration(
                host: host, port: port, publicURL: publicURL, trustProxy: trustProxy,
                database: PostgresConfiguration.resolve(explicit: databaseURL), poolSize: poolSize,
                metricsHost: metricsHost, metricsPort: metricsPort)
            let portFile = self.portFile
            try await WebProgram.run(configuration, logger: logger) { port in
                if let portFile { try? "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
            }
        } catch {
            let line = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
            logger.error("\(line)")
            throw ExitCode.failure
        }
    }
}
