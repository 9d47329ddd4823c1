import Accounts
import ArgumentParser
import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow

/// Options of the account commands: the connection; the connected login must be an operator's.
struct AccountOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("as"), help: "Act as this account (operators only).")
    var asLogin: String?

    /// Runs `body` with an account store whose changes are recorded as the connected operator's.
    func withAccounts<R: Sendable>(operatorOnly: Bool = true, _ body: (AccountStore) async throws -> R) async throws -> R {
        let pool = PostgresPool(configuration: connection.configuration, options: PostgresPoolOptions(maxConnections: 2))
        do {
            var actor = ""
            if operatorOnly {
                let principal = try await Principals.resolve(pool, as: asLogin)
                try Permissions.require(principal, .manageAccounts, .deployment)
                actor = principal.enteredBy.map { "\(principal.login), entered by \($0)" } ?? principal.login
            } else {
                let (principal, dbLogin) = try await AccountStore(pool: pool, actor: "").connectedPrincipal()
                actor = principal?.login ?? "pg:\(dbLogin)"
            }
            let value = try await body(AccountStore(pool: pool, actor: actor))
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// Reads a secret: from the terminal without echo, else one line of standard input. A secret
/// never comes from the command line.
enum SecretInput {
    static func read(_ prompt: String) throws -> String {
        if isatty(STDIN_FILENO) == 1 {
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
            defer {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            guard let line = readLine(strippingNewline: true) else { throw CommandFailure(message: "no input") }
            return line
        }
        guard let line = readLine(strippingNewline: true) else {
            throw CommandFailure(message: "standard input: expected a line (\(prompt.trimmingCharacters(in: .whitespaces)))")
        }
        return line
    }
}

/// `tongxin account …`: the people who use Tongxin.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Accounts: add, list, show, disable, enable, reset, grant; set a password; the password policy.",
        discussion: """
            Roles: member (委员, linked to a member), unit (承办单位, linked to a handling unit), staff \
            (提案委/办公室), supervisor (督办), leader (reads one or more counties), operator. A new or \
            reset account gets a one-time code (valid 24 h, used once) instead of a password; a \
            password is read from the terminal or standard input, never from the command line.
            """,
        subcommands: [Add.self, List.self, Show.self, Disable.self, Enable.self, Reset.self, Grant.self, Password.self, Policy.self, Roles.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an account; prints its one-time code.")
        @OptionGroup var options: AccountOptions
        @Argument(help: "The login: 3–64 of a–z, 0–9, '.', '_', '-'.") var login: String
        @Option(help: "member, unit, staff, supervisor, leader or operator.") var role: String
        @Option(help: "The county (a leader: one per --county).") var county: [String] = []
        @Option(help: "A member's account: the member's name in the county.") var member: String?
        @Option(help: "A unit's account: the handling unit's name in the county.") var unit: String?
        @Option(help: "The name shown (default: the member's or unit's name, else the login).") var name: String?
        @Option(name: .customLong("db-login"), help: "The PostgreSQL login that acts as this account in the CLI.") var dbLogin: String?

        func run() async throws {
            try await reportingFailures {
                let new = NewAccount(
                    login: login, role: try Role.parse(role, field: "--role"), counties: try county.map { try CountyCode($0) },
                    member: member, unit: unit, displayName: name, dbLogin: dbLogin)
                let (account, code) = try await options.withAccounts { try await $0.add(new) }
                print("added account \(account.login) (\(account.role.rawValue)\(account.counties.isEmpty ? "" : ", \(account.counties.joined(separator: ","))")); one-time code \(code), valid 24 h: sign in with it and choose a password")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts (of a county, of a role).")
        @OptionGroup var options: AccountOptions
        @OptionGroup var output: FormatOptions
        @Option(help: "Only those of this county.") var county: String?
        @Option(help: "Only this role.") var role: String?

        func run() async throws {
            try await reportingFailures {
                let county = try county.map { try CountyCode($0) }
                let role = try role.map { try Role.parse($0, field: "--role") }
                let accounts = try await options.withAccounts { try await $0.list(county: county, role: role) }
                try output.emit(accounts, columns: ["login", "role", "counties", "name", "db_login", "state"], rows: accounts.map {
                    [$0.login, $0.role.rawValue, $0.counties.joined(separator: ","), $0.displayName, $0.dbLogin ?? "", state($0)]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an account and its active sessions.")
        @OptionGroup var options: AccountOptions
        @OptionGroup var output: FormatOptions
        @Argument var login: String

        struct Shown: Encodable {
            let account: AccountRecord
            let sessions: [SessionRecord]
        }

        func run() async throws {
            try await reportingFailures {
                let shown = try await options.withAccounts { store in
                    Shown(account: try await store.account(login), sessions: try await store.sessions(login))
                }
                let a = shown.account
                try output.emit(shown, columns: ["field", "value"], rows: [
                    ["login", a.login], ["role", a.role.rawValue], ["counties", a.counties.joined(separator: ",")],
                    ["name", a.displayName], ["member_id", a.memberID.map(String.init) ?? ""], ["unit_id", a.unitID.map(String.init) ?? ""],
                    ["db_login", a.dbLogin ?? ""], ["state", state(a)], ["created", LocalTime.display(a.createdAt)],
                    ["sessions", shown.sessions.map { "\(LocalTime.display($0.createdAt)) \($0.source ?? "")" }.joined(separator: "; ")],
                ])
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: it cannot sign in, and its sessions end.")
        @OptionGroup var options: AccountOptions
        @Argument var login: String

        func run() async throws {
            try await reportingFailures {
                let account = try await options.withAccounts { try await $0.setDisabled(login, true) }
                print("disabled \(account.login); its sessions ended")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @OptionGroup var options: AccountOptions
        @Argument var login: String

        func run() async throws {
            try await reportingFailures {
                let account = try await options.withAccounts { try await $0.setDisabled(login, false) }
                print("enabled \(account.login)")
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace an account's password with a one-time code (valid 24 h, used once); its sessions end and its lock lifts.")
        @OptionGroup var options: AccountOptions
        @Argument var login: String

        func run() async throws {
            try await reportingFailures {
                let code = try await options.withAccounts { try await $0.reset(login) }
                print("reset \(login.lowercased()); one-time code \(code), valid 24 h: sign in with it and choose a password")
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Grant a leader counties to read (or --revoke them); link the PostgreSQL login that acts as the account (--db-login, '' unlinks).")
        @OptionGroup var options: AccountOptions
        @Argument var login: String
        @Option(help: "A county the leader may read (repeat).") var county: [String] = []
        @Option(help: "A county the leader may no longer read (repeat).") var revoke: [String] = []
        @Option(name: .customLong("db-login"), help: "The PostgreSQL login that acts as this account in the CLI.") var dbLogin: String?

        func run() async throws {
            try await reportingFailures {
                guard !county.isEmpty || !revoke.isEmpty || dbLogin != nil else {
                    throw CommandFailure(message: "grant: give --county, --revoke or --db-login")
                }
                let account = try await options.withAccounts {
                    try await $0.grant(login, counties: try county.map { try CountyCode($0) }, revoke: try revoke.map { try CountyCode($0) }, dbLogin: dbLogin)
                }
                print("\(account.login): counties \(account.counties.joined(separator: ",")), PostgreSQL login \(account.dbLogin ?? "(none)")")
            }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Choose a new password: reads the current password or one-time code, then the new password (twice), from the terminal or standard input.")
        @OptionGroup var options: AccountOptions
        @Argument var login: String

        func run() async throws {
            try await reportingFailures {
                let current = try SecretInput.read("current password or one-time code: ")
                let new = try SecretInput.read("new password (at least 10 characters): ")
                let again = try SecretInput.read("the new password again: ")
                guard new == again else { throw CommandFailure(message: "new password: the two entries differ") }
                try await options.withAccounts(operatorOnly: false) { try await $0.changePassword(login: login, current: current, new: new) }
                print("password of \(login.lowercased()) changed; its sessions ended")
            }
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the password policy: argon2id's cost (a raised cost reaches each hash at its next sign-in), the lock.")
        @OptionGroup var options: AccountOptions
        @OptionGroup var output: FormatOptions
        @Option(name: .customLong("hash-ops"), help: "argon2id passes (1–20; default 2).") var hashOps: Int?
        @Option(name: .customLong("hash-memory-mib"), help: "argon2id memory in MiB (default 64).") var hashMemoryMiB: Int?
        @Option(name: .customLong("lock-after"), help: "Failures in a row that lock an account (default 5).") var lockAfter: Int?
        @Option(name: .customLong("lock-minutes"), help: "How long a lock lasts (default 15).") var lockMinutes: Int?

        func run() async throws {
            try await reportingFailures {
                let policy = try await options.withAccounts { store in
                    var policy = try await store.policy()
                    if hashOps != nil || hashMemoryMiB != nil || lockAfter != nil || lockMinutes != nil {
                        if let hashOps { policy.cost.ops = hashOps }
                        if let hashMemoryMiB {
                            guard (1...4096).contains(hashMemoryMiB) else { throw CommandFailure(message: "--hash-memory-mib: give 1 to 4096") }
                            policy.cost.memoryKiB = hashMemoryMiB * 1024
                        }
                        if let lockAfter { policy.lockAfter = lockAfter }
                        if let lockMinutes { policy.lockMinutes = lockMinutes }
                        try await store.setPolicy(policy)
                    }
                    return policy
                }
                try output.emit(policy, columns: ["hash_ops", "hash_memory_kib", "lock_after", "lock_minutes"], rows: [
                    [String(policy.cost.ops), String(policy.cost.memoryKiB), String(policy.lockAfter), String(policy.lockMinutes)],
                ])
            }
        }
    }
}

extension AccountCommand {
    struct Roles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What each role may do, as the permission check decides it (yes, own: only its own records, —).",
            discussion: "The operator's column is for live counties; in demo and training counties the operator replays every action. --markdown prints the table docs/operations.md carries.")
        @OptionGroup var output: FormatOptions
        @Flag(help: "Print a Markdown table.") var markdown = false

        struct Row: Encodable {
            let action: String
            let roles: [String: String]
        }

        func run() async throws {
            let (roles, rows) = Permissions.matrix()
            let columns = ["action"] + roles.map { $0 == .system ? "worker" : $0.rawValue }
            let table = rows.map { [$0.action.rawValue] + $0.cells }
            if markdown {
                print("| " + columns.joined(separator: " | ") + " |")
                print("|" + columns.map { _ in " --- " }.joined(separator: "|") + "|")
                for row in table { print("| " + row.map { $0 == "—" ? "—" : $0 }.joined(separator: " | ") + " |") }
                return
            }
            try output.emit(rows.map { row in Row(action: row.action.rawValue, roles: Dictionary(uniqueKeysWithValues: zip(columns.dropFirst(), row.cells))) },
                            columns: columns, rows: table)
        }
    }
}

private func state(_ account: AccountRecord) -> String {
    if account.disabled { return "disabled" }
    if let until = account.lockedUntil, until > Date() { return "locked until \(LocalTime.display(until))" }
    if !account.hasPassword { return "awaiting first sign-in" }
    return account.mustChange ? "must change password" : "active"
}
