import CLibPQ
import Glibc
import Synchronization

/// The dedicated thread that owns one connection's libpq handle.
///
/// Every libpq call of a connection runs here, so blocking network waits never occupy Swift's
/// cooperative thread pool. The thread is also a `TaskExecutor`: a task that prefers it (the pool
/// sets that preference for the body of `withConnection`) runs its code on this thread between
/// queries, so a query costs no thread hop at all.
final class ConnectionThread: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    private struct State {
        var queue: [Work] = []
        var stopping = false
        var sleeping = false
        /// The loop has ended; late work no longer has a thread.
        var exited = false
    }

    private let state = Mutex(State())
    /// eventfd that wakes the thread: for new work and for cancellation requests.
    let wakeFD: Int32
    private var thread = pthread_t()
    private let started = Atomic<Bool>(false)

    init(name: String) throws {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else {
            throw PostgresError(kind: .connectionFailed, message: "eventfd failed: \(String(cString: strerror(errno)))")
        }
        wakeFD = fd
        let box = Unmanaged.passRetained(self)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 1 << 20)
        let rc = pthread_create(&thread, &attributes, { argument in
            guard let argument else { return nil }
            let me = Unmanaged<ConnectionThread>.fromOpaque(argument).takeRetainedValue()
            me.runLoop()
            return nil
        }, box.toOpaque())
        pthread_attr_destroy(&attributes)
        guard rc == 0 else {
            box.release()
            // deinit closes wakeFD: every stored property is set, so it runs after this throw.
            throw PostgresError(kind: .connectionFailed, message: "cannot start a connection thread: error \(rc)")
        }
        pthread_detach(thread)
        started.store(true, ordering: .releasing)
        _ = name
    }

    deinit { close(wakeFD) }

    /// True when the caller runs on this thread.
    var isCurrent: Bool {
        started.load(ordering: .acquiring) && pthread_equal(pthread_self(), thread) != 0
    }

    func submit(_ work: @escaping @Sendable () -> Void) {
        push(.closure(work))
    }

    func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    /// Runs the queued work, then ends the thread.
    func shutdown() {
        let wake = state.withLock { state -> Bool in
            state.stopping = true
            return state.sleeping
        }
        if wake { signal() }
    }

    /// Wakes the thread from a socket wait (cancellation) or from sleep.
    func signal() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Resets the eventfd after a wake-up.
    func drainSignal() {
        var value: UInt64 = 0
        _ = read(wakeFD, &value, 8)
    }

    private func push(_ work: Work) {
        let (wake, exited) = state.withLock { state -> (Bool, Bool) in
            if state.exited { return (false, true) }
            state.queue.append(work)
            return (state.sleeping, false)
        }
        if exited {
            // The connection is closed and its handle freed: a late closure finds no handle and
            // fails at once, so it may run here; a task that still prefers this executor moves on
            // to the global one.
            switch work {
            case .closure(let body): body()
            case .job(let job): globalConcurrentExecutor.enqueue(job)
            }
            return
        }
        if wake { signal() }
    }

    private func runLoop() {
        let executor = asUnownedTaskExecutor()
        while true {
            let (batch, stop) = state.withLock { state -> ([Work], Bool) in
                if state.queue.isEmpty {
                    state.sleeping = !state.stopping
                    state.exited = state.stopping
                    return ([], state.stopping)
                }
                state.sleeping = false
                let batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
                return (batch, false)
            }
            if stop { return }
            if batch.isEmpty {
                var descriptor = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, -1)
                drainSignal()
                continue
            }
            for work in batch {
                switch work {
                case .closure(let body): body()
                case .job(let job): job.runSynchronously(on: executor)
                }
            }
        }
    }
}
