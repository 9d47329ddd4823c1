import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-process server behind `EmbeddedPostgres.shared()`: nil until first asked for, then the
/// server or the error that starting it gave (not retried: every test would pay for a failed initdb).
private let sharedServer = Locked<Result<EmbeddedPostgres, EmbeddedPostgresError>?>(nil)

/// Every server this process started and has not stopped, for the exit hook.
private let liveServers = Locked<(hookInstalled: Bool, servers: [ObjectIdentifier: WeakServer])>((false, [:]))

private struct WeakServer: @unchecked Sendable {
    weak var server: EmbeddedPostgres?
}

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
                return server
            } catch {
                let failure = error as? EmbeddedPostgresError
                    ?? EmbeddedPostgresError(step: .start, message: "\(error)")
                slot = .failure(failure)
                throw failure
            }
        }
    }

    /// Registers a started server with the exit hook (installed on first use), so that every
    /// server, shared or not, is stopped when the process exits normally.
    static func track(_ server: EmbeddedPostgres) {
        liveServers.withLock { state in
            state.servers[ObjectIdentifier(server)] = WeakServer(server: server)
            if !state.hookInstalled {
                state.hookInstalled = true
                atexit { stopLiveServersAtExit() }
            }
        }
    }

    static func untrack(_ id: ObjectIdentifier) {
        liveServers.withLock { state in
            state.servers[id] = nil
        }
    }
}

/// The `atexit` hook: runs on the exiting thread while other threads may still be mid-call, hence
/// the bounded waits for the locks.
private func stopLiveServersAtExit() {
    let servers = liveServers.withLock(before: Date().addingTimeInterval(30)) { state in
        state.servers.values.compactMap(\.server)
    } ?? []
    for server in servers {
        server.stopAtExit()
    }
}
