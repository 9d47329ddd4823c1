import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating-system account the server runs as, when that is not the current process's.
///
/// PostgreSQL refuses to run as root, so a root process hands the folder to `postgres` and runs
/// `initdb`/`pg_ctl` through `runuser -u postgres --`. Everyone else runs them directly.
struct ServerAccount: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t
    let runuser: String

    static let runuserCandidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]

    /// nil unless the process runs as root.
    static func forCurrentProcess() throws -> ServerAccount? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else {
            throw EmbeddedPostgresError(
                step: .discover,
                message: "running as root needs an operating-system user `postgres` to run the server as "
                    + "(`apt-get install -y postgresql` creates it)")
        }
        let fileManager = FileManager.default
        guard let runuser = runuserCandidates.first(where: { fileManager.isExecutableFile(atPath: $0) }) else {
            throw EmbeddedPostgresError(
                step: .discover,
                message: "running as root needs /usr/sbin/runuser (package util-linux) to run the server as `postgres`")
        }
        return ServerAccount(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, runuser: runuser)
    }

    /// The name of the effective user, for the default superuser role when not root.
    static func currentUserName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        let environment = ProcessInfo.processInfo.environment
        return environment["USER"] ?? environment["LOGNAME"] ?? "postgres"
    }

    /// Hands `path` to this account (the server must own its folder and files).
    func chown(_ path: String) throws {
        if Glibc_chown(path, uid, gid) != 0 {
            throw EmbeddedPostgresError(
                step: .prepare, message: "cannot chown \(path) to \(name): \(String(cString: strerror(errno)))")
        }
    }
}

// `chown` the C function, out of reach of the method above that shares its name.
private func Glibc_chown(_ path: String, _ uid: uid_t, _ gid: gid_t) -> Int32 {
    chown(path, uid, gid)
}
