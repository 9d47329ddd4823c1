import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-process server behind `EmbeddedPostgres.shared()`: nil until first asked for, then the
/// server or the error that starting it gave (not retried: every test would pay for a failed initdb).
private let sharedServer = Locked<Result<EmbeddedPostgres, EmbeddedPostgresError>?>(nil)

extension EmbeddedPostgres {
    /// One server per process, started (with default options) on first use and stopped and
    /// removed by an `atexit` hook when the process exits normally (`exit()` or returning from
    /// main, which is how both XCTest and Swift Testing end). Safe to call from any thread or task
    /// at once: the first caller starts the server while the others wait for it.
    ///
    /// Do not `stop()` the shared server; give each test its own database or schema instead. A
    /// process killed by a signal skips `atexit` and leaves the folder under /tmp (see
    /// `PrivateFolder` for how the next start cleans it up).
    public static func shared() throws -> EmbeddedPostgres {
        try sharedServer.withLock { slot -> EmbeddedPostgres in
            if let slot {
                return try slot.get()
            }
            do {
                let server = try start()
                slot = .success(server)
                atexit { stopSharedServerAtExit() }
                return server
            } catch {
                let failure = error as? EmbeddedPostgresError
                    ?? EmbeddedPostgresError(step: .start, message: "\(error)")
                slot = .failure(failure)
                throw failure
            }
        }
    }
}

/// The `atexit` hook: runs on the exiting thread while other threads may still be mid-call, hence
/// the bounded waits for the locks.
private func stopSharedServerAtExit() {
    let server = sharedServer.withLock(before: Date().addingTimeInterval(30)) { slot in
        try? slot?.get()
    }
    server??.stopAtExit()
}
