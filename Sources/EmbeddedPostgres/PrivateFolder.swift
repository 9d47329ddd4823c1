import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The private folder of one throwaway server: `<tmp>/tongxin-pg-XXXXXX`, mode 0700, owned by the
/// server's account. It holds `data/` (the cluster), `server.log`, the unix socket
/// `.s.PGSQL.<port>`, and `owner` ("<pid> <hostname>" of the process that created it).
///
/// A process that crashes or is killed (SIGKILL, or a signal it does not handle) before calling
/// `stop()` leaves its folder under /tmp (or $TMPDIR), usually with the server still running.
/// `reapOrphans` — run by every `EmbeddedPostgres.start` — stops and removes such folders once
/// their creating process is gone; `rm -rf /tmp/tongxin-pg-*` after `pg_ctl stop` does it by hand.
enum PrivateFolder {
    static let prefix = "tongxin-pg-"
    static let ownerFile = "owner"

    /// NSTemporaryDirectory(), unless the socket path would get too long for a sockaddr_un
    /// (108 bytes) or, when the server runs as another account, that account cannot reach it.
    static func base(port: Int, account: ServerAccount?) -> String {
        let candidate = Subprocess.temporaryBase()
        let socketPathLength = candidate.utf8.count + "/\(prefix)XXXXXX/.s.PGSQL.\(port)".utf8.count
        if socketPathLength > 100 { return "/tmp" }
        if account != nil && !searchableByEveryone(candidate) { return "/tmp" }
        return candidate
    }

    /// Creates the folder (mkdtemp: unique, mode 0700), records its owner process, and hands it to
    /// `account` when given.
    static func create(in base: String, account: ServerAccount?) throws -> String {
        var template = Array((base + "/\(prefix)XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard created else {
            throw EmbeddedPostgresError(
                step: .prepare,
                message: "cannot create a folder in \(base): \(String(cString: strerror(errno)))")
        }
        let folder = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        do {
            try writeOwner(folder)
            guard chmod(folder, 0o700) == 0 else {
                throw EmbeddedPostgresError(
                    step: .prepare, message: "cannot chmod \(folder): \(String(cString: strerror(errno)))")
            }
            try account?.chown(folder)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        return folder
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func writeOwner(_ folder: String) throws {
        let contents = "\(getpid()) \(hostname())\n"
        do {
            try contents.write(toFile: folder + "/" + ownerFile, atomically: false, encoding: .utf8)
        } catch {
            throw EmbeddedPostgresError(step: .prepare, message: "cannot write \(folder)/\(ownerFile): \(error)")
        }
    }

    /// Stops and removes folders in `base` left behind by processes on this host that are gone.
    /// Best effort: anything unexpected (another user's folder, a live owner, a failed stop) is
    /// left alone.
    static func reapOrphans(in base: String, binDirectory: String, account: ServerAccount?) {
        let fileManager = FileManager.default
        guard let entries = try? fileManager.contentsOfDirectory(atPath: base) else { return }
        let serverUID = account?.uid ?? geteuid()
        let thisHost = hostname()
        for entry in entries where entry.hasPrefix(prefix) {
            let folder = base + "/" + entry
            var info = stat()
            guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == serverUID else {
                continue
            }
            guard let owner = try? String(contentsOfFile: folder + "/" + ownerFile, encoding: .utf8) else { continue }
            let fields = owner.split(whereSeparator: \.isWhitespace)
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, pid != getpid(),
                String(fields[1]) == thisHost,
                kill(pid, 0) == -1, errno == ESRCH
            else { continue }

            let data = folder + "/data"
            if fileManager.fileExists(atPath: data + "/postmaster.pid") {
                let stopped = try? Subprocess.run(
                    binDirectory + "/pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"],
                    as: account, in: folder)
                if stopped?.status != 0 && fileManager.fileExists(atPath: data + "/postmaster.pid") {
                    continue
                }
            }
            try? fileManager.removeItem(atPath: folder)
        }
    }

    /// Whether every folder on the way to `path` lets other users through (o+x).
    private static func searchableByEveryone(_ path: String) -> Bool {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            guard stat(prefix, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
        }
        return true
    }
}
