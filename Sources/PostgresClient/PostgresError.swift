import Foundation

/// A five-character SQLSTATE code, as PostgreSQL reports it in `PG_DIAG_SQLSTATE`.
///
/// Match errors on the code, never on the message text:
/// ```swift
/// catch let error as PostgresError where error.sqlState == .uniqueViolation { … }
/// ```
public struct SQLState: Hashable, Sendable, RawRepresentable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// The two-character class (`"23"` for integrity constraint violations).
    public var errorClass: String { String(rawValue.prefix(2)) }

    public static let uniqueViolation: SQLState = "23505"
    public static let foreignKeyViolation: SQLState = "23503"
    public static let notNullViolation: SQLState = "23502"
    public static let checkViolation: SQLState = "23514"
    public static let exclusionViolation: SQLState = "23P01"
    public static let serializationFailure: SQLState = "40001"
    public static let deadlockDetected: SQLState = "40P01"
    public static let undefinedTable: SQLState = "42P01"
    public static let undefinedColumn: SQLState = "42703"
    public static let undefinedFunction: SQLState = "42883"
    public static let undefinedObject: SQLState = "42704"
    public static let duplicateTable: SQLState = "42P07"
    public static let duplicateSchema: SQLState = "42P06"
    public static let duplicateObject: SQLState = "42710"
    public static let dependentObjectsStillExist: SQLState = "2BP01"
    public static let invalidSchemaName: SQLState = "3F000"
    public static let syntaxError: SQLState = "42601"
    public static let insufficientPrivilege: SQLState = "42501"
    public static let queryCanceled: SQLState = "57014"
    public static let adminShutdown: SQLState = "57P01"
    public static let lockNotAvailable: SQLState = "55P03"
    public static let invalidTextRepresentation: SQLState = "22P02"
    public static let numericValueOutOfRange: SQLState = "22003"
    public static let invalidPassword: SQLState = "28P01"
    public static let invalidAuthorization: SQLState = "28000"
    public static let inFailedTransaction: SQLState = "25P02"
    public static let featureNotSupported: SQLState = "0A000"
    public static let readOnlySQLTransaction: SQLState = "25006"
}

/// Every failure of the data layer: a server error with its diagnostic fields, or a client-side
/// failure (connecting, a lost connection, misuse, a timeout).
///
/// `description` is one short line; `debugDescription` has every field.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The server reported an error for a statement (see `sqlState`).
        case server
        /// Connecting failed (libpq's reason is in `message`).
        case connectionFailed
        /// The connection broke or was closed while in use.
        case connectionClosed
        /// The client used the API wrongly (for example too many bind parameters).
        case misuse
        /// The server sent something this client did not expect.
        case protocolViolation
        /// A pool checkout or a wait ran out of time.
        case timeout
        /// The pool was shut down.
        case poolClosed
    }

    public var kind: Kind
    public var message: String
    public var sqlState: SQLState?
    public var severity: String?
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var dataType: String?
    public var position: String?
    public var context: String?
    /// The statement's SQL text (never its bind values).
    public var query: String?

    public init(kind: Kind, message: String, sqlState: SQLState? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
    }

    public var isUniqueViolation: Bool { sqlState == .uniqueViolation }
    public var isSerializationFailure: Bool { sqlState == .serializationFailure }
    public var isDeadlock: Bool { sqlState == .deadlockDetected }
    public var isUndefinedTable: Bool { sqlState == .undefinedTable }
    public var isInsufficientPrivilege: Bool { sqlState == .insufficientPrivilege }
    public var isQueryCanceled: Bool { sqlState == .queryCanceled }
    /// True for failures that a transaction retry can cure (serialization failure, deadlock).
    public var isRetryableTransactionFailure: Bool { isSerializationFailure || isDeadlock }
    /// True when the connection is unusable afterwards.
    public var isConnectionFailure: Bool { kind == .connectionClosed || kind == .connectionFailed }

    public var description: String {
        var line = PostgresError.oneLine(message)
        if let sqlState { line = "\(line) (SQLSTATE \(sqlState))" }
        return line
    }

    public var debugDescription: String {
        var parts = ["kind: \(kind)", "message: \(message)"]
        let fields: [(String, String?)] = [
            ("sqlState", sqlState?.rawValue), ("severity", severity), ("detail", detail),
            ("hint", hint), ("constraint", constraint), ("schema", schema), ("table", table),
            ("column", column), ("dataType", dataType), ("position", position),
            ("context", context), ("query", query),
        ]
        for (name, value) in fields {
            if let value { parts.append("\(name): \(value)") }
        }
        return "PostgresError(" + parts.joined(separator: ", ") + ")"
    }

    static func misuse(_ message: String) -> PostgresError {
        PostgresError(kind: .misuse, message: message)
    }

    /// libpq's multi-line messages folded onto one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

/// Thrown by `withTransaction` when the body failed and the rollback failed too: both are kept.
public struct PostgresTransactionError: Error, Sendable, CustomStringConvertible {
    /// What the body threw (or the commit's failure).
    public var bodyError: any Error
    /// What `ROLLBACK` threw, if it failed.
    public var rollbackError: PostgresError?
    public var description: String {
        var text = "transaction failed: \(bodyError)"
        if let rollbackError { text += "; rollback also failed: \(rollbackError)" }
        return text
    }
}

