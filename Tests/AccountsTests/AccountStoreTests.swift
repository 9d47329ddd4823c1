import Accounts
import Counties
import CountiesTestSupport
import Foundation
import PostgresClient
import Testing
import TongxinBase
import Workflow

/// A registry with county `code` (a member 张三 and a unit 住建局) and cheap password hashes.
func withAccounts<R: Sendable>(_ code: String = "acct", _ body: (AccountStore, PostgresPool, CountyCode) async throws -> R) async throws -> R {
    try await withRegistry { registry, pool in
        let county = try CountyCode(code)
        _ = try await registry.create(code: county, name: "测试县", region: nil)
        try await pool.query("INSERT INTO \(identifier: county.schema).member (name) VALUES ('张三'), ('李四')")
        try await pool.query("INSERT INTO \(identifier: county.schema).unit (name) VALUES ('住建局')")
        let store = AccountStore(pool: pool, actor: "test-operator")
        var policy = try await store.policy()
        #expect(policy.cost == Secrets.Cost.standard && policy.lockAfter == 5 && policy.lockMinutes == 15)
        policy.cost = Secrets.Cost(ops: 1, memoryKiB: 8)
        try await store.setPolicy(policy)
        return try await body(store, pool, county)
    }
}

func failure(_ body: () async throws -> Void) async -> String? {
    do { try await body(); return nil } catch { return "\(error)" }
}

@Suite struct AccountStoreTests {
    @Test func anAccountIsAddedWithAOneTimeCodeThatSignsInOnceAndForcesAPassword() async throws {
        try await withAccounts { store, pool, county in
            let (account, code) = try await store.add(NewAccount(login: "Zhang.San", role: .member, counties: [county], member: "张三"))
            #expect(account.login == "zhang.san" && account.role == .member && account.memberID != nil && account.displayName == "张三")
            #expect(account.mustChange && !account.hasPassword)
            #expect(account.principal.counties == ["acct"])
            // The code is stored only as its hash.
            let stored = try await pool.query("SELECT reset_code_hash FROM tongxin.account WHERE login = 'zhang.san'").single().decode(String.self)
            #expect(!stored.contains(code) && stored.count == 64)
            let first = try await store.signIn(login: "zhang.san", secret: code.lowercased())
            #expect(first.mustChange)
            #expect(await failure { _ = try await store.signIn(login: "zhang.san", secret: code) } == AccountStore.signInFailure)
            // A weak new password is refused, naming the field; then a good one.
            let fresh = try await store.reset("zhang.san")
            #expect(await failure { try await store.changePassword(login: "zhang.san", current: fresh, new: "password123") }?
                .hasPrefix("new password: is a common password") == true)
            try await store.changePassword(login: "zhang.san", current: fresh, new: "青山绿水-长流-2026")
            let signed = try await store.signIn(login: "zhang.san", secret: "青山绿水-长流-2026")
            #expect(!signed.mustChange && signed.account.hasPassword)
            // Nothing anywhere holds the password or the code.
            let dump = try await pool.query("SELECT string_agg(t::text, ' ') FROM tongxin.account_event t").single().decode(String.self)
            #expect(!dump.contains("青山绿水") && !dump.contains(fresh))
        }
    }

    @Test func addingRefusesWhatDoesNotFitTheRoleInOneLine() async throws {
        try await withAccounts { store, pool, county in
            #expect(await failure { _ = try await store.add(NewAccount(login: "x", role: .staff, counties: [county])) }?.hasPrefix("login:") == true)
            try await pool.query("UPDATE \(identifier: county.schema).member SET active = false WHERE name = '李四'")
            #expect(await failure { _ = try await store.add(NewAccount(login: "li.si", role: .member, counties: [county], member: "李四")) }
                == "--member: no active member \"李四\" in county acct")
            #expect(await failure { _ = try await store.add(NewAccount(login: "nobody", role: .member, counties: [county], member: "王五")) }
                == "--member: no active member \"王五\" in county acct")
            #expect(await failure { _ = try await store.add(NewAccount(login: "op.one", role: .operator, counties: [county])) }
                == "--county: an operator's account belongs to no county")
            #expect(await failure { _ = try await store.add(NewAccount(login: "staff.a", role: .staff, counties: [try CountyCode("nosuch")])) }
                == "--county: no active county nosuch")
            #expect(await failure { _ = try await store.add(NewAccount(login: "unit.a", role: .unit, counties: [county])) }
                == "--unit: a unit's account names its handling unit")
            _ = try await store.add(NewAccount(login: "staff.a", role: .staff, counties: [county], dbLogin: "clerk_a"))
            #expect(await failure { _ = try await store.add(NewAccount(login: "staff.a", role: .staff, counties: [county])) }
                == "login: an account staff.a exists already")
            #expect(await failure { _ = try await store.add(NewAccount(login: "staff.b", role: .staff, counties: [county], dbLogin: "clerk_a")) }
                == "--db-login: PostgreSQL login clerk_a acts as another account already")
            #expect(try await store.list(county: county).map(\.login) == ["staff.a"])
        }
    }

    @Test func fiveWrongPasswordsLockTheAccountAndAnUnknownLoginReadsTheSame() async throws {
        try await withAccounts { store, pool, county in
            let (_, code) = try await store.add(NewAccount(login: "unit.zj", role: .unit, counties: [county], unit: "住建局"))
            try await store.changePassword(login: "unit.zj", current: code, new: "住建局回复-2026-秋")
            let before = AccountStore.passwordChecks
            let unknown = await failure { _ = try await store.signIn(login: "no.such.login", secret: "whatever-it-is") }
            #expect(AccountStore.passwordChecks > before)  // an unknown login's password is checked too
            for _ in 0..<5 {
                let wrong = await failure { _ = try await store.signIn(login: "unit.zj", secret: "wrong-password-1") }
                #expect(wrong == unknown && wrong == AccountStore.signInFailure, "\(wrong ?? "")")
            }
            // Locked: the right password is refused, with the same message.
            #expect(await failure { _ = try await store.signIn(login: "unit.zj", secret: "住建局回复-2026-秋") } == AccountStore.signInFailure)
            let locked = try await store.account("unit.zj")
            let lockEnds = try #require(locked.lockedUntil)
            #expect(lockEnds.timeIntervalSinceNow > 14 * 60 && lockEnds.timeIntervalSinceNow <= 15 * 60)
            // When the lock ends the right password works again and the count starts over.
            try await pool.query("UPDATE tongxin.account SET locked_until = now() - interval '1 second' WHERE login = 'unit.zj'")
            _ = try await store.signIn(login: "unit.zj", secret: "住建局回复-2026-秋")
            #expect(try await store.account("unit.zj").lockedUntil == nil)
            // A disabled account reads the same too.
            _ = try await store.setDisabled("unit.zj", true)
            #expect(await failure { _ = try await store.signIn(login: "unit.zj", secret: "住建局回复-2026-秋") } == AccountStore.signInFailure)
        }
    }

    @Test func aSourceThatKeepsFailingIsSlowed() async throws {
        try await withAccounts { store, _, _ in
            for i in 0..<AccountStore.sourceFailuresAllowed {
                _ = await failure { _ = try await store.signIn(login: "guess\(i)", secret: "nope-nope-nope", source: "203.0.113.9") }
            }
            let slowed = await failure { _ = try await store.signIn(login: "guess", secret: "nope-nope-nope", source: "203.0.113.9") }
            #expect(slowed == AccountStore.signInFailure)  // the 11th failure starts the wait
            let waiting = await failure { _ = try await store.signIn(login: "guess", secret: "nope-nope-nope", source: "203.0.113.9") }
            #expect(waiting?.hasPrefix("sign-in: too many failed sign-ins from this address; try again in") == true)
            // Another address is not slowed.
            #expect(await failure { _ = try await store.signIn(login: "guess", secret: "nope-nope-nope", source: "198.51.100.1") } == AccountStore.signInFailure)
        }
    }

    @Test func sessionsExpireWhenIdleOrOldAndEndOnSignOutPasswordChangeAndDisable() async throws {
        try await withAccounts { store, pool, county in
            let (_, code) = try await store.add(NewAccount(login: "staff.wang", role: .staff, counties: [county]))
            try await store.changePassword(login: "staff.wang", current: code, new: "提案委-办公室-2026")
            let a = try await store.signIn(login: "staff.wang", secret: "提案委-办公室-2026", source: "10.0.0.1", userAgent: "test")
            let b = try await store.signIn(login: "staff.wang", secret: "提案委-办公室-2026")
            let c = try await store.signIn(login: "staff.wang", secret: "提案委-办公室-2026")
            #expect(try await store.session(a.token)?.login == "staff.wang")
            #expect(try await store.sessions("staff.wang").count == 3)
            #expect(try await store.session("forged-token") == nil)
            // Only hashes are stored.
            let hashes = try await pool.query("SELECT token_hash FROM tongxin.account_session").decode(String.self)
            #expect(!hashes.contains(a.token) && hashes.contains(Secrets.sha256Hex(a.token)))
            // Idle for 31 minutes: gone. Older than 12 hours: gone.
            try await pool.query("UPDATE tongxin.account_session SET last_seen_at = now() - interval '31 minutes' WHERE token_hash = \(Secrets.sha256Hex(a.token))")
            #expect(try await store.session(a.token) == nil)
            try await pool.query("UPDATE tongxin.account_session SET expires_at = now() - interval '1 second' WHERE token_hash = \(Secrets.sha256Hex(b.token))")
            #expect(try await store.session(b.token) == nil)
            try await store.signOut(c.token)
            #expect(try await store.session(c.token) == nil)
            let d = try await store.signIn(login: "staff.wang", secret: "提案委-办公室-2026")
            try await store.changePassword(login: "staff.wang", current: "提案委-办公室-2026", new: "提案委-办公室-2027")
            #expect(try await store.session(d.token) == nil)
            let e = try await store.signIn(login: "staff.wang", secret: "提案委-办公室-2027")
            _ = try await store.setDisabled("staff.wang", true)
            _ = try await store.setDisabled("staff.wang", false)
            #expect(try await store.session(e.token) == nil)
        }
    }

    @Test func aRaisedCostReachesAStoredHashAtTheNextSignIn() async throws {
        try await withAccounts { store, pool, county in
            let (_, code) = try await store.add(NewAccount(login: "lead.er", role: .leader, counties: [county]))
            try await store.changePassword(login: "lead.er", current: code, new: "全市-比较-各县-2026")
            let old = try await pool.query("SELECT password_hash FROM tongxin.account WHERE login = 'lead.er'").single().decode(String.self)
            #expect(old.contains("m=8,t=1"))
            var policy = try await store.policy()
            policy.cost = Secrets.Cost(ops: 2, memoryKiB: 16)
            try await store.setPolicy(policy)
            _ = try await store.signIn(login: "lead.er", secret: "全市-比较-各县-2026")
            let new = try await pool.query("SELECT password_hash FROM tongxin.account WHERE login = 'lead.er'").single().decode(String.self)
            #expect(new.contains("m=16,t=2") && new != old)
            _ = try await store.signIn(login: "lead.er", secret: "全市-比较-各县-2026")
        }
    }

    @Test func aLeaderIsGrantedCountiesAndALoginIsLinked() async throws {
        try await withRegistry { registry, pool in
            for code in ["lda", "ldb"] { _ = try await registry.create(code: try CountyCode(code), name: code, region: nil) }
            let store = AccountStore(pool: pool, actor: "test")
            _ = try await store.add(NewAccount(login: "city.leader", role: .leader, counties: [try CountyCode("lda")]))
            let granted = try await store.grant("city.leader", counties: [try CountyCode("ldb")], dbLogin: "city_leader")
            #expect(granted.counties == ["lda", "ldb"] && granted.dbLogin == "city_leader")
            #expect(await failure { _ = try await store.grant("city.leader", revoke: [try CountyCode("lda"), try CountyCode("ldb")]) }
                == "--revoke: a leader keeps at least one county")
            let operatorPrincipal = try await store.connectedPrincipal()
            #expect(operatorPrincipal.principal?.role == .operator)  // the test's login owns the schema
        }
    }
}
