import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the PostgreSQL tools (initdb, pg_ctl), capturing their output.
///
/// Output goes to an anonymous temporary file rather than a pipe: nothing can deadlock on a full
/// pipe, and the postmaster that `pg_ctl start` leaves running cannot hold our end open. (See
/// `Spawn` for why this is posix_spawn and not Foundation's `Process`.)
enum Subprocess {
    struct Result: Sendable {
        var status: Int32
        var output: String
    }

    /// Runs `executable arguments` (through `runuser -u <account> --` when `account` is given)
    /// in `directory`, in a process group of its own (a terminal's Ctrl-C must not cut initdb
    /// short), with stdin from /dev/null and the environment minus `PG*` variables (a
    /// developer's PGPORT or PGDATA must not leak into the throwaway server). Returns the exit
    /// status (128 + signal number when killed by a signal) and the combined stdout and stderr.
    static func run(
        _ executable: String,
        _ arguments: [String],
        as account: ServerAccount?,
        in directory: String = "/",
        environment explicit: [String: String]? = nil
    ) throws -> Result {
        let outputFD = try anonymousFile()
        defer { close(outputFD) }

        let command = (account.map { [$0.runuser, "-u", $0.name, "--"] } ?? []) + [executable] + arguments
        var environment = explicit ?? ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["PWD"] = directory
        // posix_spawn has no portable "chdir in the child" (glibc's addchdir_np is not exported to
        // Swift), so a shell does the `cd` and then execs the command.
        let shellArguments = ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory] + command
        let pid: pid_t
        switch Spawn.start(
            "/bin/sh", arguments: shellArguments, environment: environment,
            standard: .capture(into: outputFD), newProcessGroup: true)
        {
        case .success(let spawned): pid = spawned
        case .failure(let failure):
            throw EmbeddedPostgresError(step: .prepare, message: "\(failure.message) (for \(executable))")
        }
        let status = Spawn.wait(pid)
        return Result(status: status, output: readAll(outputFD))
    }

    /// An unlinked temporary file open for reading and writing.
    private static func anonymousFile() throws -> Int32 {
        var template = Array((temporaryBase() + "/tongxin-pg-output-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw EmbeddedPostgresError(
                step: .prepare, message: "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        // Above stderr (a process started without stdin could get 0 here) and close-on-exec.
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        close(fd)
        guard moved >= 0 else {
            throw EmbeddedPostgresError(
                step: .prepare, message: "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        return moved
    }

    private static func readAll(_ fd: Int32) -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            offset += off_t(count)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// NSTemporaryDirectory() without its trailing slash, or /tmp.
    static func temporaryBase() -> String {
        var base = NSTemporaryDirectory()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        return base.isEmpty ? "/tmp" : base
    }
}
