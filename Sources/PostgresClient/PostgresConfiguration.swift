public import Foundation
import CLibPQ

/// How to reach the server, following libpq's conventions.
///
/// `connectionString` is a URI (`postgresql://user@host/db`) or a key=value string
/// (`host=/tmp dbname=tongxin`); when it is nil or empty, libpq's defaults apply: the `PG*`
/// environment variables, `~/.pgpass`, service files.
public struct PostgresConfiguration: Sendable {
    public var connectionString: String?
    /// Overrides the database named by the connection string or `PGDATABASE`.
    public var database: String?
    /// Sent as `fallback_application_name`, so a connection string's own name wins.
    public var applicationName: String
    /// Used when the connection string has no `connect_timeout`.
    public var connectTimeout: Duration
    /// Prepared statements kept per connection (least recently used are deallocated); 0 disables.
    public var statementCacheCapacity: Int
    /// Named prepared statements, or none (`off`: unnamed statements only, as a transaction
    /// pooler such as pgbouncer < 1.21 needs); `auto`: on, unless the connection turns out to
    /// go through a pooler. Set by the connection string's `statement_cache=on|off|auto`
    /// (taken out of the string before libpq sees it), else by `TONGXIN_STATEMENT_CACHE`.
    public var statementCache: StatementCacheMode
    /// A `statement_cache` value that is none of on, off and auto (connecting refuses it).
    var invalidStatementCache: String?

    public enum StatementCacheMode: String, Sendable {
        case auto, on, off
    }

    public init(
        connectionString: String? = nil, applicationName: String = "tongxin",
        connectTimeout: Duration = .seconds(10), statementCacheCapacity: Int = 256,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let (text, fromString) = Self.takeStatementCache(from: connectionString)
        self.connectionString = text
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.statementCacheCapacity = statementCacheCapacity
        let setting = fromString ?? environment["TONGXIN_STATEMENT_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        if let setting {
            if let mode = StatementCacheMode(rawValue: setting.lowercased()) {
                self.statementCache = mode
            } else {
                self.statementCache = .auto
                self.invalidStatementCache = setting
            }
        } else {
            self.statementCache = .auto
        }
    }

    /// `explicit` (a `--database-url` option) if given, else `DATABASE_URL`, else libpq's defaults.
    public static func resolve(
        explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> PostgresConfiguration {
        if let explicit, !explicit.isEmpty { return PostgresConfiguration(connectionString: explicit, environment: environment) }
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return PostgresConfiguration(connectionString: url, environment: environment)
        }
        return PostgresConfiguration(environment: environment)
    }

    /// Takes Tongxin's own `statement_cache` parameter out of a URI's query or a key=value
    /// string (libpq refuses keywords it does not know); returns the rest and its value.
    static func takeStatementCache(from text: String?) -> (String?, String?) {
        guard let text, text.contains("statement_cache") else { return (text, nil) }
        if text.contains("://") {
            guard let mark = text.firstIndex(of: "?") else { return (text, nil) }
            var value: String?
            let kept = text[text.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: false).filter { item in
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.first == "statement_cache" else { return true }
                value = pair.count > 1 ? String(pair[1]) : ""
                return false
            }
            let base = String(text[..<mark])
            return (kept.isEmpty ? base : base + "?" + kept.joined(separator: "&"), value)
        }
        let pattern = #"(^|\s)statement_cache\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']*)"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..<text.endIndex, in: text)),
            let whole = Range(match.range, in: text), let valueRange = Range(match.range(at: 2), in: text)
        else { return (text, nil) }
        var value = String(text[valueRange])
        if value.hasPrefix("'") { value = String(value.dropFirst().dropLast()) }
        var rest = text
        rest.replaceSubrange(whole, with: " ")
        return (rest.trimmingCharacters(in: .whitespaces), value)
    }

    /// The settings as libpq environment variables (`PGHOST`, `PGPASSWORD`, …), for client
    /// programs such as pg_dump: a password then never shows on a command line.
    public func libpqEnvironment() throws -> [String: String] {
        let names: [String: String] = [
            "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE",
            "user": "PGUSER", "password": "PGPASSWORD", "passfile": "PGPASSFILE", "service": "PGSERVICE",
            "options": "PGOPTIONS", "application_name": "PGAPPNAME", "sslmode": "PGSSLMODE",
            "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslrootcert": "PGSSLROOTCERT", "sslcrl": "PGSSLCRL",
            "requiressl": "PGREQUIRESSL", "connect_timeout": "PGCONNECT_TIMEOUT",
            "target_session_attrs": "PGTARGETSESSIONATTRS", "gssencmode": "PGGSSENCMODE",
            "krbsrvname": "PGKRBSRVNAME", "channel_binding": "PGCHANNELBINDING",
        ]
        var environment: [String: String] = [:]
        if let text = connectionString, !text.isEmpty {
            var message: UnsafeMutablePointer<CChar>?
            guard let options = PQconninfoParse(text, &message) else {
                let reason = message.map { PostgresError.oneLine(String(cString: $0)) } ?? "cannot parse"
                if let message { PQfreemem(message) }
                throw PostgresError.misuse("connection string: \(reason)")
            }
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if let value = option.pointee.val, let name = names[String(cString: keyword)] {
                    environment[name] = String(cString: value)
                }
                option += 1
            }
        }
        if let database { environment["PGDATABASE"] = database }
        return environment
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> PostgresConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    /// The connection string with any password replaced, for logs and messages.
    public var redactedConnectionString: String {
        guard let text = connectionString, !text.isEmpty else { return "(libpq defaults)" }
        var out = text
        // URI form: scheme://user:password@host
        if let scheme = out.range(of: "://"), let at = out.range(of: "@", range: scheme.upperBound..<out.endIndex),
            let colon = out.range(of: ":", range: scheme.upperBound..<at.lowerBound)
        {
            out.replaceSubrange(colon.upperBound..<at.lowerBound, with: "****")
        }
        // key = value form (value bare or single-quoted with \' escapes) and URI query parameters.
        let pattern = #"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]*)"#
        if let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) {
            let range = NSRange(out.startIndex..<out.endIndex, in: out)
            out = regex.stringByReplacingMatches(in: out, options: [], range: range, withTemplate: "$1****")
        }
        return out
    }
}
