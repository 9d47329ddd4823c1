import Accounts
import Counties
import Foundation
import Migrations
import PostgresClient
import Workflow

extension Bench {
    /// Accounts: what one password hash costs at the deployment's standard cost (the issue's
    /// floor: ≥ 50 ms, so guessing is slow), and whether a sign-in tells an unknown login from a
    /// wrong password by its time (it must not: both check a hash).
    static func accounts(_ pool: PostgresPool) async throws {
        let registry = CountyRegistry(pool: pool, migrations: try MigrationSet.builtIn(), actor: "bench")
        _ = try await registry.migrateControl()
        var hashes: [Double] = []
        for i in 0..<9 {
            let start = ContinuousClock.now
            _ = try Secrets.hashPassword("bench-password-\(i)-长城", cost: .standard)
            hashes.append(seconds(ContinuousClock.now - start) * 1000)
        }
        let hashMedian = median(hashes)
        report("accounts: one argon2id password hash at the standard cost (2 passes, 64 MiB; libsodium), median of 9",
               String(format: "%.0f ms", hashMedian), value: hashMedian, target: .atLeast(50, "50 ms"))

        let store = AccountStore(pool: pool, actor: "bench")
        var policy = try await store.policy()
        policy.cost = .standard
        try await store.setPolicy(policy)
        try await pool.query("DELETE FROM tongxin.account_event WHERE account_id IN (SELECT id FROM tongxin.account WHERE login = 'bench.signin')")
        try await pool.query("DELETE FROM tongxin.account_session WHERE account_id IN (SELECT id FROM tongxin.account WHERE login = 'bench.signin')")
        try await pool.query("DELETE FROM tongxin.account WHERE login = 'bench.signin'")
        let (_, code) = try await store.add(NewAccount(login: "bench.signin", role: .operator))
        try await store.changePassword(login: "bench.signin", current: code, new: "台阶-石桥-柳树-2026")
        // Alternating attempts, so the machine's drift falls on both alike. The account locks
        // after 5 failures: a locked account's attempts still check the hash (and still fail).
        var unknown: [Double] = []
        var wrong: [Double] = []
        for i in 0..<24 {
            for known in i.isMultiple(of: 2) ? [true, false] : [false, true] {
                let start = ContinuousClock.now
                do {
                    _ = try await store.signIn(login: known ? "bench.signin" : "bench.nobody\(i)", secret: "wrong-guess-\(i)")
                } catch {}
                let ms = seconds(ContinuousClock.now - start) * 1000
                if known { wrong.append(ms) } else { unknown.append(ms) }
            }
        }
        let (u, w) = (median(unknown), median(wrong))
        let ratio = max(u, w) / min(u, w)
        report(String(format: "accounts: a failed sign-in, unknown login vs wrong password (then locked), 24 alternating attempts each: medians %.1f vs %.1f ms", u, w),
               String(format: "%.3f×", ratio), value: ratio, target: .atMost(1.10, "1.10× (no tell by time)"))
    }
}
