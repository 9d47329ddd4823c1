import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// posix_spawn, for both the PostgreSQL tools and the program given to `run`.
///
/// Why not Foundation's `Process`: on Linux it learns that a child has exited when a socket it
/// hands to the child is closed, and `pg_ctl start` passes that socket on to the postmaster it
/// leaves running, so `waitUntilExit()` hangs for the server's whole life. It also puts every
/// child in a new process group, which stops an interactive `psql` (SIGTTIN) under
/// `tongxin-devdb run`. Here every descriptor above stderr is closed in the child, so nothing of
/// ours (or of another thread's `Process`) leaks into a server.
enum Spawn {
    enum Standard {
        /// stdin, stdout and stderr as this process has them.
        case inherit
        /// stdin from /dev/null, stdout and stderr to the given descriptor.
        case capture(into: Int32)
    }

    /// Signals whose handlers are reset to the default in the child.
    static let resetSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE]

    /// Starts `path` with `arguments` (argv[0] included) and `environment`; returns its pid or
    /// the errno of the failure.
    static func start(
        _ path: String,
        arguments: [String],
        environment: [String: String],
        standard: Standard,
        newProcessGroup: Bool
    ) -> Swift.Result<pid_t, SpawnFailure> {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }

        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        switch standard {
        case .inherit:
            #if canImport(Darwin)
            for fd: Int32 in 0...2 { posix_spawn_file_actions_addinherit_np(&actions, fd) }
            #endif
        case .capture(let output):
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, output, 1)
            posix_spawn_file_actions_adddup2(&actions, output, 2)
        }

        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
        if let failure = closeDescriptorsFrom3(&actions) {
            return .failure(failure)
        }
        #endif
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }

        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in resetSignals {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var pid: pid_t = 0
        let error = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard error == 0 else {
            return .failure(SpawnFailure(path: path, code: error))
        }
        return .success(pid)
    }

    /// waitpid until `pid` ends; its exit status, or 128 + the signal that killed it.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return 128 + SIGKILL }
        }
        return decode(status)
    }

    static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    #if !canImport(Darwin)
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc ≥ 2.34's posix_spawn_file_actions_addclosefrom_np, which the Glibc module does not
    /// export (it needs _GNU_SOURCE). nil on older C libraries.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Closes every descriptor ≥ 3 in the child: with closefrom when the C library has it, else
    /// one close action per descriptor open now (from /proc/self/fd).
    private static func closeDescriptorsFrom3(_ actions: inout posix_spawn_file_actions_t) -> SpawnFailure? {
        if let addCloseFrom {
            let error = addCloseFrom(&actions, 3)
            return error == 0 ? nil : SpawnFailure(path: "posix_spawn_file_actions_addclosefrom_np", code: error)
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd >= 3 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        return nil
    }
    #endif
}

struct SpawnFailure: Error {
    var path: String
    var code: Int32

    var message: String {
        "cannot run \(path): \(String(cString: strerror(code)))"
    }
}
