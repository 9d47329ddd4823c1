import Foundation
import PostgresClient
import PostgresTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Opens a second (third, …) connection to the same test database.
func openConnection(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
    try await PostgresConnection.connect(configuration: configuration)
}

/// Runs `body` with `count` connections to a fresh database of its own; closes them afterwards.
func withConnections<R: Sendable>(
    _ count: Int, _ body: ([PostgresConnection], PostgresConfiguration) async throws -> R
) async throws -> R {
    try await TestDatabase.withDatabase { configuration in
        var connections: [PostgresConnection] = []
        do {
            for _ in 0..<count { connections.append(try await openConnection(configuration)) }
            let value = try await body(connections, configuration)
            for connection in connections { await connection.close() }
            return value
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
    }
}

/// Runs `body` and returns the `PostgresError` it throws; records an issue when it throws
/// nothing or something else.
@discardableResult
func postgresError(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> PostgresError? {
    do {
        try await body()
        Issue.record("expected a PostgresError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        Issue.record("expected a PostgresError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}


/// Number of open file descriptors of this process.
func openFileDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// A counter shared between tasks.
final class Counter: Sendable {
    private let state = Mutex<(value: Int, maximum: Int)>((0, 0))

    /// Adds 1 and returns the new value.
    @discardableResult
    func increment() -> Int {
        state.withLock {
            $0.value += 1
            $0.maximum = max($0.maximum, $0.value)
            return $0.value
        }
    }

    func decrement() { state.withLock { $0.value -= 1 } }

    /// Records `value` as seen, for `maximum` (the counter's value is unchanged).
    func observe(_ value: Int) { state.withLock { $0.maximum = max($0.maximum, value) } }

    var value: Int { state.withLock { $0.value } }
    /// The highest value ever reached.
    var maximum: Int { state.withLock { $0.maximum } }
}

/// A single value shared between tasks.
final class Box<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
    func update<R>(_ body: (inout Value) -> R) -> R { state.withLock { body(&$0) } }
}

struct SomeTestError: Error, Equatable {
    var tag: String
}

extension PostgresConnection {
    /// The first column of the only row, decoded as `T`.
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as _: T.Type = T.self) async throws -> T {
        try await self.query(query).single().decode(T.self, at: 0)
    }
}

/// The elapsed time of `body`.
func measure<R>(_ body: () async throws -> R) async rethrows -> (R, Duration) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, ContinuousClock.now - start)
}

/// Runs `body` with a connection to the server's administrative database (`postgres`).
func withAdminConnection<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
    try await PostgresConnection.withConnection(configuration: try TestDatabase.serverConfiguration(), body)
}

extension PostgresRows {
    /// The first column of every row, decoded as `T`.
    func values<T: PostgresDecodable>(_: T.Type) throws -> [T] {
        try map { try $0.decode(T.self, at: 0) }
    }
}
