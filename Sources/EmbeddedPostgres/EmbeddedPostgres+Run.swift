import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EmbeddedPostgres {
    /// Runs `program` (a path, or a name looked up in PATH) with `arguments`, waits for it, and
    /// returns its exit status (128 + the signal number when a signal killed it).
    ///
    /// The child shares this process's stdin, stdout, stderr and process group (so an interactive
    /// `psql` works and Ctrl-C reaches it), and its environment is this process's, plus
    /// `self.environment` (PGHOST, PGPORT, PGUSER, PGDATABASE, DATABASE_URL), plus `environment`,
    /// each overriding the one before; PGHOSTADDR and PGSERVICE are dropped since they would
    /// steer libpq away from the throwaway server.
    ///
    /// While the child runs, SIGINT, SIGTERM and SIGHUP sent to this process are forwarded to it
    /// (a terminal's Ctrl-C, which the child receives itself, is not sent twice on Linux); the
    /// previous signal handlers are restored afterwards.
    public func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Int32 {
        var merged = ProcessInfo.processInfo.environment
        merged["PGHOSTADDR"] = nil
        merged["PGSERVICE"] = nil
        merged.merge(self.environment) { $1 }
        merged.merge(environment) { $1 }
        return try ChildProcess.run(program, arguments, environment: merged)
    }
}

/// The program given to `run`: spawned (see `Spawn`) in our process group, with our stdio.
enum ChildProcess {
    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func run(_ program: String, _ arguments: [String], environment: [String: String]) throws -> Int32 {
        guard let path = resolve(program, searchPath: environment["PATH"]) else {
            throw EmbeddedPostgresError(step: .run, message: "\(program): command not found")
        }

        SignalForwarding.begin()
        defer { SignalForwarding.end() }

        let pid: pid_t
        switch Spawn.start(
            path, arguments: [program] + arguments, environment: environment, standard: .inherit,
            newProcessGroup: false)
        {
        case .success(let spawned): pid = spawned
        case .failure(let failure): throw EmbeddedPostgresError(step: .run, message: failure.message)
        }
        let slot = SignalForwarding.register(pid)

        // Wait without reaping, so the pid cannot be reused while a signal may still be sent to it.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        SignalForwarding.unregister(slot)
        return Spawn.wait(pid)
    }

    /// `program` itself when it contains a slash, else the first executable `program` in
    /// `searchPath` (the child's PATH), falling back to this process's PATH.
    static func resolve(_ program: String, searchPath: String?) -> String? {
        if program.contains("/") {
            return program
        }
        let fileManager = FileManager.default
        let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                fileManager.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }
}

/// Forwards SIGINT/SIGTERM/SIGHUP to the children of running `run` calls.
///
/// The signal handler may only do async-signal-safe things, so it reads a fixed table of pids
/// (written under `state`'s lock by the threads that spawn children) and calls kill(2). Handlers
/// are installed when the first `run` begins and the previous ones restored when the last ends.
private enum SignalForwarding {
    static let capacity = 64
    /// Slots 0..<capacity: pids of running children (0 = free). Slot `capacity`: a signal that
    /// arrived while no child was registered yet, replayed to the next child to register.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<pid_t> = {
        let table = UnsafeMutablePointer<pid_t>.allocate(capacity: capacity + 1)
        table.initialize(repeating: 0, count: capacity + 1)
        return table
    }()

    struct State {
        var users = 0
        var previous: [Int32: sigaction] = [:]
    }

    static let state = Locked(State())

    static func begin() {
        _ = table  // initialize before a handler can touch it
        state.withLock { state in
            state.users += 1
            guard state.users == 1 else { return }
            table[capacity] = 0
            for signal in ChildProcess.forwardedSignals {
                var action = sigaction()
                #if canImport(Darwin)
                action.__sigaction_u.__sa_sigaction = forwardSignal
                #else
                action.__sigaction_handler.sa_sigaction = forwardSignal
                #endif
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_SIGINFO | SA_RESTART
                var old = sigaction()
                sigaction(signal, &action, &old)
                state.previous[signal] = old
            }
        }
    }

    static func end() {
        state.withLock { state in
            state.users -= 1
            guard state.users == 0 else { return }
            for (signal, old) in state.previous {
                var old = old
                sigaction(signal, &old, nil)
            }
            state.previous = [:]
        }
    }

    /// Records `pid` in a free slot, replaying a signal that came in before; returns the slot.
    static func register(_ pid: pid_t) -> Int? {
        state.withLock { _ in
            guard let slot = (0..<capacity).first(where: { table[$0] == 0 }) else { return nil }
            table[slot] = pid
            let pending = table[capacity]
            if pending != 0 {
                table[capacity] = 0
                kill(pid, pending)
            }
            return slot
        }
    }

    static func unregister(_ slot: Int?) {
        guard let slot else { return }
        state.withLock { _ in table[slot] = 0 }
    }
}

/// The signal handler (async-signal-safe: reads the table, calls kill).
private func forwardSignal(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    #if os(Linux)
    // Sent by the kernel for a terminal's Ctrl-C / hangup: the child, in our process group, got it too.
    if let info, info.pointee.si_code == SI_KERNEL {
        return
    }
    #endif
    let table = SignalForwarding.table
    var forwarded = false
    for slot in 0..<SignalForwarding.capacity where table[slot] != 0 {
        kill(table[slot], signal)
        forwarded = true
    }
    if !forwarded {
        table[SignalForwarding.capacity] = signal
    }
}

extension EmbeddedPostgres {
    /// Runs a program with this process's environment (PG* included), stdin from /dev/null,
    /// a clean signal mask, and returns its exit status and combined output (for tools such as
    /// pgbench that a benchmark drives).
    public static func capture(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try Subprocess.run(
            executable, arguments, as: nil, in: FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment)
        return (result.status, result.output)
    }
}
