import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process with stdout and stderr in a file, for tests that drive the programs
/// (`tongxin`, `tongxin-worker`) as an operator would: exit statuses, output, signals.
/// posix_spawn with a clean signal mask, so the child sees SIGTERM and SIGINT as from a shell.
public final class SpawnedProcess: Sendable {
    public let pid: Int32
    /// Where the child's stdout and stderr go.
    public let outputPath: String

    public init(_ path: String, _ arguments: [String], environment: [String: String]) throws {
        let directory = Subprocess.temporaryBase()
        var template = Array((directory + "/tongxin-child-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard fd >= 0 else {
            throw EmbeddedPostgresError(step: .run, message: "cannot create an output file in \(directory)")
        }
        defer { close(fd) }
        outputPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Spawn.start(path, arguments: [path] + arguments, environment: environment,
                           standard: .capture(into: fd), newProcessGroup: false) {
        case .success(let child): pid = child
        case .failure(let failure): throw EmbeddedPostgresError(step: .run, message: failure.message)
        }
    }

    deinit { unlink(outputPath) }

    /// Everything the child has written so far.
    public var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Blocks until the child ends; its exit status, or 128 + the signal that killed it.
    public func waitForExit() -> Int32 {
        Spawn.wait(pid)
    }
}
