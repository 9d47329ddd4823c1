import Foundation

/// Runs blocking work (starting a server, waiting for a child process) on a thread of its own,
/// never on Swift's cooperative pool.
public func offCooperativePool<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.start()
    }
}

/// The error `body` throws, whatever its type (nil when it throws nothing).
public func thrownError(_ body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}
