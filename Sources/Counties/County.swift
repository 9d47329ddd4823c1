public import Foundation
public import PostgresClient

/// A county committee's code: `^[a-z][a-z0-9_]{1,30}$`. Its schema is `county_<code>`.
public struct CountyCode: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) throws {
        let bytes = Array(value.utf8)
        func lower(_ b: UInt8) -> Bool { b >= 97 && b <= 122 }
        guard (2...31).contains(bytes.count), let first = bytes.first, lower(first),
            bytes.allSatisfy({ lower($0) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
        else {
            throw CountyError("invalid county code \"\(value.prefix(40))\": use 2-31 characters a-z, 0-9 and _, starting with a letter")
        }
        self.value = value
        self.schema = try PostgresIdentifier("county_" + value)
        self.role = try PostgresIdentifier(CountyRoles.prefix + value)
    }

    /// `county_<code>` (at most 38 characters).
    public let schema: PostgresIdentifier

    /// `tongxin_county_<code>` (at most 46 characters): the county's PostgreSQL role (see `CountyRoles`).
    public let role: PostgresIdentifier

    public var description: String { value }
}

/// A user-facing failure about counties, on one line.
public struct CountyError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The county is not registered (never was, or was dropped).
    public let isNoCounty: Bool

    public init(_ description: String) {
        self.description = description
        isNoCounty = false
    }

    private init(noCounty description: String) {
        self.description = description
        isNoCounty = true
    }

    /// "no county CODE".
    public static func noCounty(_ code: some CustomStringConvertible) -> CountyError {
        CountyError(noCounty: "no county \(code)")
    }
}

/// One registered county committee.
public struct County: Sendable, Hashable {
    public enum Status: String, Sendable, Codable {
        case active
        case archived
    }

    /// What the county is for: a live committee, or a demo or training county, where an
    /// operator may replay a year (steps at any time).
    public enum Purpose: String, Sendable, Codable, CaseIterable {
        case live, demo, training
    }

    public var code: CountyCode
    public var name: String
    public var region: String?
    public var status: Status
    public var purpose: Purpose = .live
    public var settings: CountySettings
    public var createdAt: Date
    public var updatedAt: Date

    public var schema: PostgresIdentifier { code.schema }
}

/// Per-county workflow settings, with the defaults of the domain rules.
public struct CountySettings: Sendable, Hashable, Codable {
    /// Months a unit has to reply after assignment.
    public var handlingMonths = 3
    /// Months with an approved extension.
    public var extendedHandlingMonths = 6
    /// Months for co-handling units to send their view to the lead unit.
    public var coHandlingViewMonths = 1
    /// Days in which a unit may return a wrongly assigned proposal.
    public var unitReturnDays = 10
    /// Days the proposer has to rate a reply.
    public var evaluationWindowDays = 30
    /// What an unrated reply counts as after the window: `not_evaluated` (excluded) or `satisfied`.
    public var afterEvaluationWindow = "not_evaluated"
    /// Working days for a micro-suggestion reply.
    public var microSuggestionReplyDays = 15
    /// `calendar` or `working` days for deadlines.
    public var dayCounting = "calendar"
    /// Minimum count for a place in a league table.
    public var leagueMinimumCount = 10
    /// Days before a unit's deadline when it is reminded, largest first (`15,7,1`).
    public var reminderDays = "15,7,1"
    /// Days after the deadline when an unanswered proposal is escalated to the proposal office.
    public var escalationDays = 30
    /// Days before a co-handling unit's view is due when it is reminded.
    public var coOpinionReminderDays = 7
    /// Days before the evaluation window ends when proposers who have not rated are reminded.
    public var evaluationReminderDays = 7
    /// Days between supervision reminders for an open key proposal.
    public var keyReminderDays = 30
    /// Days before a micro-suggestion's reply is due when its unit is reminded.
    public var suggestionReminderDays = 3
    /// Days a step may be entered late (补录, effective in the past), by staff with a reason.
    public var backdateDays = 30
    /// `on`: a supervisor (or the office) approves each unit's reply before the member sees it
    /// (and may correct its A–D category); `off`: a reply reaches the member at once.
    public var replyReview = "off"

    public init() {}

    /// Whether replies wait for approval.
    public var reviewsReplies: Bool { replyReview == "on" }

    /// `reminder_days` as numbers, largest first (a stored value that does not parse gives the default).
    public var reminderDayList: [Int] {
        (try? CountySettings.parseDays(reminderDays, key: "reminder_days")) ?? [15, 7, 1]
    }

    /// Parses `15,7,1`: distinct whole numbers from 1 to 90, largest first.
    static func parseDays(_ text: String, key: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var days: [Int] = []
        for part in parts {
            guard let n = Int(part), (1...90).contains(n) else {
                throw CountyError("setting \(key): \"\(text.prefix(40))\" is not a list of days from 1 to 90 like 15,7,1")
            }
            days.append(n)
        }
        guard !days.isEmpty, Set(days).count == days.count else {
            throw CountyError("setting \(key): \"\(text.prefix(40))\" must list distinct days like 15,7,1")
        }
        return days.sorted(by: >)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case handlingMonths = "handling_months"
        case extendedHandlingMonths = "extended_handling_months"
        case coHandlingViewMonths = "co_handling_view_months"
        case unitReturnDays = "unit_return_days"
        case evaluationWindowDays = "evaluation_window_days"
        case afterEvaluationWindow = "after_evaluation_window"
        case microSuggestionReplyDays = "micro_suggestion_reply_days"
        case dayCounting = "day_counting"
        case leagueMinimumCount = "league_minimum_count"
        case reminderDays = "reminder_days"
        case escalationDays = "escalation_days"
        case coOpinionReminderDays = "co_opinion_reminder_days"
        case evaluationReminderDays = "evaluation_reminder_days"
        case keyReminderDays = "key_reminder_days"
        case suggestionReminderDays = "suggestion_reminder_days"
        case backdateDays = "backdate_days"
        case replyReview = "reply_review"
    }

    /// Settings missing from stored JSON take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CountySettings()
        handlingMonths = try c.decodeIfPresent(Int.self, forKey: .handlingMonths) ?? d.handlingMonths
        extendedHandlingMonths = try c.decodeIfPresent(Int.self, forKey: .extendedHandlingMonths) ?? d.extendedHandlingMonths
        coHandlingViewMonths = try c.decodeIfPresent(Int.self, forKey: .coHandlingViewMonths) ?? d.coHandlingViewMonths
        unitReturnDays = try c.decodeIfPresent(Int.self, forKey: .unitReturnDays) ?? d.unitReturnDays
        evaluationWindowDays = try c.decodeIfPresent(Int.self, forKey: .evaluationWindowDays) ?? d.evaluationWindowDays
        afterEvaluationWindow = try c.decodeIfPresent(String.self, forKey: .afterEvaluationWindow) ?? d.afterEvaluationWindow
        microSuggestionReplyDays = try c.decodeIfPresent(Int.self, forKey: .microSuggestionReplyDays) ?? d.microSuggestionReplyDays
        dayCounting = try c.decodeIfPresent(String.self, forKey: .dayCounting) ?? d.dayCounting
        leagueMinimumCount = try c.decodeIfPresent(Int.self, forKey: .leagueMinimumCount) ?? d.leagueMinimumCount
        reminderDays = try c.decodeIfPresent(String.self, forKey: .reminderDays) ?? d.reminderDays
        escalationDays = try c.decodeIfPresent(Int.self, forKey: .escalationDays) ?? d.escalationDays
        coOpinionReminderDays = try c.decodeIfPresent(Int.self, forKey: .coOpinionReminderDays) ?? d.coOpinionReminderDays
        evaluationReminderDays = try c.decodeIfPresent(Int.self, forKey: .evaluationReminderDays) ?? d.evaluationReminderDays
        keyReminderDays = try c.decodeIfPresent(Int.self, forKey: .keyReminderDays) ?? d.keyReminderDays
        suggestionReminderDays = try c.decodeIfPresent(Int.self, forKey: .suggestionReminderDays) ?? d.suggestionReminderDays
        backdateDays = try c.decodeIfPresent(Int.self, forKey: .backdateDays) ?? d.backdateDays
        replyReview = try c.decodeIfPresent(String.self, forKey: .replyReview) ?? d.replyReview
    }

    /// The setting names `county set` accepts.
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Sets one setting from text, validated; the error names the key and the allowed values.
    public mutating func set(_ key: String, to text: String) throws {
        func number(_ range: ClosedRange<Int>) throws -> Int {
            guard let value = Int(text), range.contains(value) else {
                throw CountyError("setting \(key): \"\(text.prefix(40))\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        func choice(_ allowed: [String]) throws -> String {
            guard allowed.contains(text) else {
                throw CountyError("setting \(key): \"\(text.prefix(40))\" is not one of \(allowed.joined(separator: ", "))")
            }
            return text
        }
        switch CodingKeys(rawValue: key) {
        case .handlingMonths: handlingMonths = try number(1...12)
        case .extendedHandlingMonths: extendedHandlingMonths = try number(1...24)
        case .coHandlingViewMonths: coHandlingViewMonths = try number(1...6)
        case .unitReturnDays: unitReturnDays = try number(1...60)
        case .evaluationWindowDays: evaluationWindowDays = try number(1...365)
        case .afterEvaluationWindow: afterEvaluationWindow = try choice(["not_evaluated", "satisfied"])
        case .microSuggestionReplyDays: microSuggestionReplyDays = try number(1...90)
        case .dayCounting: dayCounting = try choice(["calendar", "working"])
        case .leagueMinimumCount: leagueMinimumCount = try number(1...1000)
        case .reminderDays: reminderDays = try CountySettings.parseDays(text, key: key).map(String.init).joined(separator: ",")
        case .escalationDays: escalationDays = try number(1...365)
        case .coOpinionReminderDays: coOpinionReminderDays = try number(1...60)
        case .evaluationReminderDays: evaluationReminderDays = try number(1...60)
        case .keyReminderDays: keyReminderDays = try number(1...365)
        case .suggestionReminderDays: suggestionReminderDays = try number(1...30)
        case .backdateDays: backdateDays = try number(0...365)
        case .replyReview: replyReview = try choice(["off", "on"])
        case nil:
            throw CountyError("unknown setting \"\(key.prefix(40))\"; settings are \(CountySettings.keys.joined(separator: ", "))")
        }
        guard extendedHandlingMonths >= handlingMonths else {
            throw CountyError("setting \(key): extended_handling_months (\(extendedHandlingMonths)) must not be below handling_months (\(handlingMonths))")
        }
    }

    /// Checks every value against the ranges `set` enforces (for settings read from a file).
    public func validate() throws {
        for line in lines {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            // Each value on its own first (the relation between the two months is checked last).
            var copy = CountySettings()
            copy.handlingMonths = 1
            copy.extendedHandlingMonths = 24
            try copy.set(parts[0], to: parts[1])
        }
        guard extendedHandlingMonths >= handlingMonths else {
            throw CountyError("setting extended_handling_months (\(extendedHandlingMonths)) must not be below handling_months (\(handlingMonths))")
        }
    }

    /// Each setting as `key=value`, in a fixed order.
    public var lines: [String] {
        [
            "handling_months=\(handlingMonths)", "extended_handling_months=\(extendedHandlingMonths)",
            "co_handling_view_months=\(coHandlingViewMonths)", "unit_return_days=\(unitReturnDays)",
            "evaluation_window_days=\(evaluationWindowDays)", "after_evaluation_window=\(afterEvaluationWindow)",
            "micro_suggestion_reply_days=\(microSuggestionReplyDays)", "day_counting=\(dayCounting)",
            "league_minimum_count=\(leagueMinimumCount)", "reminder_days=\(reminderDays)",
            "escalation_days=\(escalationDays)", "co_opinion_reminder_days=\(coOpinionReminderDays)",
            "evaluation_reminder_days=\(evaluationReminderDays)", "key_reminder_days=\(keyReminderDays)",
            "suggestion_reminder_days=\(suggestionReminderDays)", "backdate_days=\(backdateDays)",
            "reply_review=\(replyReview)",
        ]
    }
}
