import Foundation

/// A value guarded by an `NSLock`: the only mutable state in this module lives in one of these.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// Like `withLock`, but gives up (returning nil) when the lock is not free by `deadline`.
    /// Used at process exit, where waiting forever on a thread that will never run again would hang.
    func withLock<Result>(before deadline: Date, _ body: (inout Value) throws -> Result) rethrows -> Result? {
        guard lock.lock(before: deadline) else { return nil }
        defer { lock.unlock() }
        return try body(&value)
    }
}
