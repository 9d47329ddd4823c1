import Synchronization

/// Wakes waiting runners when jobs are announced. A runner notes the generation before it
/// claims, and waits only if nothing was announced since: no announcement is missed between
/// an empty claim and the wait.
final class Waker: Sendable {
    private enum Waiter {
        /// Registered, its continuation not stored yet.
        case pending
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }

    private struct State {
        var generation = 0
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())

    var generation: Int { state.withLock { $0.generation } }

    /// Wakes every waiting runner.
    func wake() {
        let continuations = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters {
                if case .waiting(let continuation) = waiter { woken.append(continuation) }
                state.waiters[id] = .fired
            }
            return woken
        }
        for continuation in continuations { continuation.resume() }
    }

    /// Returns when woken after `generation`, after `timeout`, or when the task is cancelled.
    func wait(since generation: Int, timeout: Duration) async {
        let id = state.withLock { state -> Int? in
            guard state.generation == generation else { return nil }
            state.nextID &+= 1
            // Registered at once: a wake() before the continuation is stored is not missed.
            state.waiters[state.nextID] = .pending
            return state.nextID
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let fired = self.state.withLock { state -> Bool in
                        if case .fired = state.waiters[id] {
                            state.waiters[id] = nil
                            return true
                        }
                        state.waiters[id] = .waiting(continuation)
                        return false
                    }
                    if fired { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.fire(id)
            }
            await group.next()
            group.cancelAll()
            self.fire(id)
        }
        state.withLock { _ = $0.waiters.removeValue(forKey: id) }
    }

    private func fire(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state.waiters[id] {
            case .waiting(let continuation):
                state.waiters[id] = .fired
                return continuation
            case .fired:
                return nil
            case .pending, nil:
                state.waiters[id] = .fired
                return nil
            }
        }
        continuation?.resume()
    }
}
