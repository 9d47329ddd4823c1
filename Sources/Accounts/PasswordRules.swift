import Foundation
import TongxinBase

/// What a new password must be: at least 10 characters, not the login (nor contain it), not a
/// common password (the list below, also with digits or symbols at its ends), not one character
/// or one keyboard run repeated. The error names the field and never shows the password.
public enum PasswordRules {
    public static let minimumLength = 10
    public static let maximumLength = 200

    public static func check(_ password: String, login: String, field: String = "password") throws {
        let count = password.count
        guard count >= minimumLength else {
            throw WorkflowError("\(field): too short (\(count) characters; at least \(minimumLength))")
        }
        guard count <= maximumLength else { throw WorkflowError("\(field): too long (at most \(maximumLength) characters)") }
        guard !password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw WorkflowError("\(field): has a control character")
        }
        let lower = password.lowercased()
        if !login.isEmpty, lower.contains(login.lowercased()) {
            throw WorkflowError("\(field): must not contain the login")
        }
        if isCommon(lower) {
            throw WorkflowError("\(field): is a common password (in the list of passwords people pick most); choose another")
        }
    }

    /// Common: in the list, or the list's word with digits and symbols around it, or one short
    /// pattern repeated (aaaaaaaaaa, 1212121212, abcabcabcabc).
    static func isCommon(_ lower: String) -> Bool {
        if CommonPasswords.set.contains(lower) { return true }
        let core = lower.trimmingCharacters(in: .init(charactersIn: "0123456789!@#$%^&*.?_-+= "))
        if core.count >= 4, CommonPasswords.set.contains(core) { return true }
        let chars = Array(lower)
        for period in 1...4 where chars.count >= period * 2 {
            if chars.indices.allSatisfy({ chars[$0] == chars[$0 % period] }) { return true }
        }
        // A run of one step (abcdefghij, 0123456789, 9876543210).
        let scalars = lower.unicodeScalars.map(\.value)
        if scalars.count >= 2 {
            let step = Int64(scalars[1]) - Int64(scalars[0])
            if abs(step) == 1, zip(scalars, scalars.dropFirst()).allSatisfy({ Int64($1) - Int64($0) == step }) { return true }
        }
        return false
    }
}

