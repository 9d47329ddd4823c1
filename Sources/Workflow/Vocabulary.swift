import Foundation
import TongxinBase

/// The shared national category list counties map their own categories onto, so that counties
/// stay comparable.
public enum ProposalCategory: String, Sendable, Hashable, CaseIterable, Codable {
    case economy
    case urbanRural = "urban_rural"
    case livelihood
    case educationCulture = "education_culture"
    case ecology
    case agriculture
    case politicsLaw = "politics_law"
    case other

    public var chinese: String {
        switch self {
        case .economy: "经济建设"
        case .urbanRural: "城乡建设"
        case .livelihood: "社会民生"
        case .educationCulture: "教育文化"
        case .ecology: "生态环境"
        case .agriculture: "农业农村"
        case .politicsLaw: "政治法治"
        case .other: "其他"
        }
    }
}

/// Who files a proposal: one member, members jointly (联名), a sector group (界别) or a special
/// committee (专委会).
public enum ProposalKind: String, Sendable, Hashable, CaseIterable, Codable {
    case individual, joint, sector, committee

    public var chinese: String {
        switch self {
        case .individual: "个人"
        case .joint: "联名"
        case .sector: "界别"
        case .committee: "专委会"
        }
    }
}

/// An activity counted in the year's figures.
public enum ActivityKind: String, Sendable, Hashable, CaseIterable, Codable {
    case onlineEvent = "online_event"
    case dutyDay = "duty_day"
    case studioOpened = "studio_opened"
    case supervisionGroup = "supervision_group"
    case visitHosted = "visit_hosted"
    case visitMade = "visit_made"

    /// The CLI spelling: `online-event`, `duty-day`, …
    public var argument: String { rawValue.replacingOccurrences(of: "_", with: "-") }
}

/// A supervision activity's kind (督办: meetings and site visits).
public enum SupervisionKind: String, Sendable, Hashable, CaseIterable, Codable {
    case meeting
    case siteVisit = "site_visit"
    case other
}

/// A handling unit's kind.
public enum UnitKind: String, Sendable, Hashable, CaseIterable, Codable {
    case department
    case stateCompany = "state_company"
    case other
}

/// Parsing of the vocabulary from user input: the English code (with `-` or `_`) or the
/// Chinese label; the error lists what is accepted.
public protocol Vocabulary: RawRepresentable, CaseIterable, Sendable where RawValue == String {
    /// Other spellings users type.
    var aliases: [String] { get }
}

extension Vocabulary {
    public var aliases: [String] { [] }

    public static func parse(_ text: String, field: String) throws -> Self {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let key = trimmed.lowercased().replacingOccurrences(of: "-", with: "_")
        if let value = allCases.first(where: { $0.rawValue.lowercased() == key || $0.aliases.contains(trimmed) || $0.aliases.contains(key) }) {
            return value
        }
        let names = allCases.map { $0.rawValue.replacingOccurrences(of: "_", with: "-") }.joined(separator: ", ")
        throw WorkflowError("\(field): \"\(text.prefix(40))\" is not one of \(names)")
    }
}

extension ProposalCategory: Vocabulary {
    public var aliases: [String] { [chinese] }
}
extension ProposalKind: Vocabulary {
    public var aliases: [String] { [chinese] }
}
extension ActivityKind: Vocabulary {}
extension SupervisionKind: Vocabulary {}
extension UnitKind: Vocabulary {}
extension DeclineReason: Vocabulary {}
extension AssignmentRole: Vocabulary {}
extension ProposalStatus: Vocabulary {}
extension SuggestionStatus: Vocabulary {}
extension ReplyCategory: Vocabulary {}
extension Rating: Vocabulary {
    public var aliases: [String] {
        switch self {
        case .satisfied: ["满意"]
        case .basic: ["基本满意", "basically_satisfied"]
        case .unsatisfied: ["不满意"]
        }
    }
}
