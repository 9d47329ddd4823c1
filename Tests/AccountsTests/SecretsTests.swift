import Accounts
import Testing

@Suite struct SecretsTests {
    @Test func sha256HexIsTheStandardDigestInLowercaseHex() {
        #expect(Secrets.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Secrets.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func aPasswordHashVerifiesOnlyItsPasswordAndSaysWhenItsCostIsOld() throws {
        let cheap = Secrets.Cost(ops: 1, memoryKiB: 8)
        let hash = try Secrets.hashPassword("correct horse 电池", cost: cheap)
        #expect(hash.hasPrefix("$argon2id$"))
        #expect(Secrets.verifyPassword("correct horse 电池", hash: hash))
        #expect(!Secrets.verifyPassword("correct horse 电", hash: hash))
        #expect(!Secrets.verifyPassword("", hash: hash))
        #expect(!Secrets.verifyPassword("x", hash: "not a hash"))
        #expect(!Secrets.needsRehash(hash, cost: cheap))
        #expect(Secrets.needsRehash(hash, cost: Secrets.Cost(ops: 2, memoryKiB: 8)))
        // Two hashes of one password differ (their salts).
        #expect(try Secrets.hashPassword("correct horse 电池", cost: cheap) != hash)
    }

    @Test func codesAndTokensAreRandomAndCodesReadAsTyped() throws {
        let code = try Secrets.oneTimeCode()
        #expect(code.count == 14 && code.split(separator: "-").count == 3)
        #expect(Secrets.normalizedCode(code.lowercased().replacingOccurrences(of: "-", with: " ")) == code.replacingOccurrences(of: "-", with: ""))
        #expect(Secrets.normalizedCode("OIL0-1111-2222") == "011011112222")
        #expect(Secrets.normalizedCode("short") == nil)
        #expect(Secrets.normalizedCode("UUUU-UUUU-UUUU") == nil)
        let tokens = try (0..<50).map { _ in try Secrets.sessionToken() }
        #expect(Set(tokens).count == 50 && tokens.allSatisfy { $0.count == 43 })
        #expect(Secrets.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Secrets.equalInConstantTime("abc", "abc") && !Secrets.equalInConstantTime("abc", "abd") && !Secrets.equalInConstantTime("abc", "ab"))
    }

    @Test func passwordRulesRefuseShortLoginAndCommonPasswordsNamingTheField() throws {
        func refusal(_ password: String, login: String = "zhang.wei") -> String? {
            do { try PasswordRules.check(password, login: login); return nil } catch { return "\(error)" }
        }
        #expect(refusal("短密码") == "password: too short (3 characters; at least 10)")
        #expect(refusal("xxzhang.weixx") == "password: must not contain the login")
        for common in ["password123", "1q2w3e4r5t", "woaini1314", "Qwertyuiop", "1234567890", "aaaaaaaaaaaa", "abcabcabcabc", "9876543210", "!!password2026!!"] {
            #expect(refusal(common)?.hasPrefix("password: is a common password") == true, "\(common)")
        }
        #expect(refusal("雨后青山-7-tongxin-渡口") == nil)
        #expect(refusal("mauve kettle 1984 river") == nil)
        // The refusal never shows the password.
        #expect(refusal("password123")?.contains("password123") == false)
    }
}
