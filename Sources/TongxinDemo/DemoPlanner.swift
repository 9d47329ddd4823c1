import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

struct DemoPlanner {
    let profile: DemoProfile
    let people: DemoPeople
    let year: Int
    let opened: CalendarDate
    let closed: CalendarDate
    let settings: CountySettings
    /// Proposal deadlines, in the county's counting.
    let deadlines: WorkCalendar
    /// Working days (micro-suggestions, office hours).
    let working: WorkCalendar
    var steps: [DemoStep] = []
    var activityCount = 0
    /// Studios of earlier years, recorded during setup.
    var earlierStudios: [DemoAction] = []
    var sequence = 0
    var rng: SplitMix64
    var usedTitles = Set<String>()
    /// Topics (without adverbs) already used: each once while others are left.
    var usedPhrases = Set<String>()

    init(
        profile: DemoProfile, people: DemoPeople, year: Int, opened: CalendarDate, closed: CalendarDate,
        settings: CountySettings, deadlines: WorkCalendar, working: WorkCalendar
    ) {
        self.profile = profile
        self.people = people
        self.year = year
        self.opened = opened
        self.closed = closed
        self.settings = settings
        self.deadlines = deadlines
        self.working = working
        self.rng = SplitMix64(seed: profile.seed)
    }

    mutating func add(_ at: Moment, _ action: DemoAction) {
        steps.append(DemoStep(at: at, sequence: sequence, action: action))
        sequence += 1
    }

    // MARK: Days and times

    static let officeHours = (8 * 3600 + 1800, 17 * 3600 + 30 * 60)
    static let memberHours = (8 * 3600, 22 * 3600)

    mutating func day(_ low: CalendarDate, _ high: CalendarDate) throws -> CalendarDate {
        try low.plus(rng.int(0, low.days(until: high)))
    }

    /// A working day from `low` to `high`, at random; when the span has none (a holiday week),
    /// the first one after it up to `limit` (default: two weeks later), else the random day.
    mutating func workday(_ low: CalendarDate, _ high: CalendarDate, limit: CalendarDate? = nil) throws -> CalendarDate {
        let start = try day(low, high)
        var probe = start
        while probe <= high {
            if working.isWorkingDay(probe) { return probe }
            probe = try probe.plus(1)
        }
        probe = start
        while probe >= low {
            if working.isWorkingDay(probe) { return probe }
            probe = try probe.plus(-1)
        }
        probe = try max(low, high).plus(1)
        let last = try limit ?? max(low, high).plus(14)
        while probe <= last {
            if working.isWorkingDay(probe) { return probe }
            probe = try probe.plus(1)
        }
        return start
    }

    /// A time on `day` within `hours`, after `after` when that is the same day (or later).
    mutating func time(_ day: CalendarDate, _ hours: (Int, Int), after: Moment?) -> Moment {
        var day = day
        var low = hours.0
        if let after, after.day >= day {
            day = after.day
            low = max(low, after.seconds + 60)
        }
        let seconds = min(86_399, rng.int(low, max(low, hours.1)))
        return Moment(day: day, seconds: seconds)
    }

    mutating func office(_ day: CalendarDate, after: Moment?) -> Moment {
        time(day, Self.officeHours, after: after)
    }

    mutating func member(_ day: CalendarDate, after: Moment?) -> Moment {
        time(day, Self.memberHours, after: after)
    }

    // MARK: Units and texts

    var company: String? { profile.units.first { $0.hasSuffix("公司") } }

    func resolve(_ unit: String) -> String? {
        if unit == "@company" { return company }
        return profile.units.contains(unit) ? unit : nil
    }

    mutating func town() -> String { rng.pick(profile.townships) ?? profile.countyName }

    mutating func text(_ options: [String]?) -> String { rng.pick(options ?? []) ?? "已办理。" }

    /// A topic of the category mix, as a unique title.
    mutating func topic() -> (phrase: String, title: String, category: ProposalCategory, units: [String]) {
        let weights: [(ProposalCategory, Int)] = [
            (.economy, 14), (.urbanRural, 20), (.livelihood, 20), (.educationCulture, 15), (.ecology, 10),
            (.agriculture, 13), (.politicsLaw, 6), (.other, 2),
        ]
        var fallback: (phrase: String, title: String, category: ProposalCategory, units: [String])?
        for attempt in 0..<40 {
            var roll = rng.int(1, weights.reduce(0) { $0 + $1.1 })
            var category = ProposalCategory.other
            for (candidate, weight) in weights {
                if roll <= weight {
                    category = candidate
                    break
                }
                roll -= weight
            }
            let local = DemoCatalog.townTopics.filter { $0.category == category }
            let general = DemoCatalog.topics.filter { $0.category == category }
            let useLocal = !local.isEmpty && rng.chance(0.35)
            guard let chosen = rng.pick(useLocal ? local : general) else { continue }
            let phrase = chosen.phrase.replacingOccurrences(of: "{town}", with: town())
            if attempt < 30, usedPhrases.contains(phrase) { continue }
            var adverb = ""
            if DemoCatalog.furtherVerbs.contains(where: phrase.hasPrefix), rng.chance(0.3) {
                adverb = "进一步"
            } else if DemoCatalog.earnestVerbs.contains(where: phrase.hasPrefix), rng.chance(0.12) {
                adverb = "切实"
            }
            let title = "关于\(adverb)\(phrase)的建议"
            let units = chosen.units.compactMap(resolve)
            let candidate = (phrase: adverb + phrase, title: title, category: category, units: units)
            if fallback == nil { fallback = candidate }
            if !usedTitles.contains(title) {
                usedTitles.insert(title)
                usedPhrases.insert(phrase)
                return candidate
            }
        }
        return fallback ?? (phrase: "加强基层社会治理", title: "关于加强基层社会治理的建议", category: .politicsLaw, units: [])
    }

    mutating func body(_ phrase: String) -> String {
        let ideas = [
            "加强统筹协调，明确牵头单位和责任分工", "加大资金投入，纳入年度财政预算", "建立长效机制，定期督查通报",
            "广泛听取群众意见，分步组织实施", "完善政策措施，强化考核评价", "学习借鉴周边县市经验做法",
        ]
        let chosen = Array(rng.shuffled(ideas).prefix(3))
        let numbered = zip(["一是", "二是", "三是"], chosen).map { $0 + $1 }.joined(separator: "；")
        return "案由：\(phrase)。\n建议：\(numbered)。"
    }
}
