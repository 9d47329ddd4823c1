public import Foundation
import Counties
import PostgresClient
import Workflow
import TongxinBase

/// What one fill did.
public struct DemoYearReport: Sendable, Hashable, Codable {
    public var countyName: String
    public var year: Int
    /// Store operations run (each one transaction), reference data included.
    public var transactions: Int
    public var proposals: Int
    public var microSuggestions: Int
    public var activities: Int
    /// The times the first and the last workflow step acted at.
    public var firstAction: Date
    public var lastAction: Date
}

/// Deterministic demo data: one county's year, played through the store's API step by step
/// (every step one audited transaction the state machine accepts), at plausible times.
///
/// The same profile and year always give the same data: all randomness comes from a SplitMix64
/// seeded by the profile; the clock is never read. Steps of all proposals, micro-suggestions and
/// activities are sorted by the time they act at and run in that order, so the audit log reads
/// as the year happened.
public enum DemoYear {
    /// `beforeStep` runs before each step with the time the step acts at: a replay runs the
    /// worker's jobs due by then, so reminders and overdue marks land on their days.
    public static func fill(
        _ store: WorkflowStore, profile: DemoProfile, year: Int, progress: (@Sendable (String) -> Void)? = nil,
        beforeStep: (@Sendable (Date) async throws -> Void)? = nil
    ) async throws -> DemoYearReport {
        try profile.validate()
        guard (2000...2100).contains(year) else { throw WorkflowError("demo: year \(year) is not from 2000 to 2100") }
        let label = "\(profile.countyName) \(year)"
        var names = SplitMix64(seed: profile.seed ^ 0x6E61_6D65)
        let people = DemoPeople(profile: profile, rng: &names)

        // Reference data, before the session.
        let opened = try CalendarDate(year: year, month: profile.sessionMonth, day: profile.sessionDay)
        let closed = try opened.adding(days: profile.sessionDays - 1)
        let setupDay = try opened.adding(days: -10)
        var setup = DemoSetup(store: store, day: setupDay)
        progress?("\(label): reference data")
        try await setup.run(profile: profile, people: people, year: year, opened: opened, closed: closed)

        // The county's rules and calendar decide the deadlines the plan must meet.
        let settings = try await store.read { $0.settings }
        var holidays = Set<CalendarDate>()
        var workdays = Set<CalendarDate>()
        for y in [year, year + 1] {
            for day in try await store.calendarDays(year: y) {
                if day.kind == "holiday" { holidays.insert(day.day) } else { workdays.insert(day.day) }
            }
        }
        let counting = WorkCalendar.Counting(rawValue: settings.dayCounting) ?? .calendar
        var planner = DemoPlanner(
            profile: profile, people: people, year: year, opened: opened, closed: closed,
            settings: settings,
            deadlines: WorkCalendar(counting: counting, holidays: holidays, makeUpWorkdays: workdays),
            working: WorkCalendar(counting: .working, holidays: holidays, makeUpWorkdays: workdays))
        try planner.planProposals()
        try planner.planSuggestions()
        try planner.planActivities()
        // Studios of earlier years, unless the county has them (an earlier demo year).
        let studiosBefore = try await store.activities(kind: .studioOpened).filter { $0.on.year < year }.count
        for action in planner.earlierStudios.dropFirst(studiosBefore) { try await setup.record(action) }
        let steps = planner.steps.sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }

        progress?("\(label): \(steps.count) steps")
        var runner = DemoRunner()
        for (index, step) in steps.enumerated() {
            do {
                try await beforeStep?(step.at.date)
                try await runner.run(step.action, on: store.at(step.at.date))
            } catch {
                throw WorkflowError("demo \(label): \(step.action.label) at \(step.at.day): \(error)")
            }
            if let progress, (index + 1) % 250 == 0 { progress("\(label): \(index + 1)/\(steps.count) steps") }
        }
        progress?("\(label): done, \(setup.transactions + steps.count) transactions")
        let first = steps.first?.at.date ?? setupDay.startDate
        let last = steps.last?.at.date ?? first
        return DemoYearReport(
            countyName: profile.countyName, year: year, transactions: setup.transactions + steps.count,
            proposals: profile.filed, microSuggestions: profile.microSuggestions,
            activities: planner.activityCount + setup.activities, firstAction: first, lastAction: last)
    }
}

// MARK: - Randomness

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and the same on every platform. The demo
/// year, the benchmarks and the chaos suite draw from it (a seed repeats a run).
package struct SplitMix64: Sendable, RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number from `low` to `high` (both included); `low` when `high` is below it.
    mutating func int(_ low: Int, _ high: Int) -> Int {
        guard high > low else { return low }
        let width = UInt64(high - low) + 1
        return low + Int(next() % width)
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / 9_007_199_254_740_992.0 < probability
    }

    mutating func pick<T>(_ items: [T]) -> T? {
        items.dropFirst(int(0, items.count - 1)).first
    }

    mutating func shuffled<T>(_ items: [T]) -> [T] {
        items.enumerated().map { (key: next(), offset: $0.offset, element: $0.element) }
            .sorted { ($0.key, $0.offset) < ($1.key, $1.offset) }
            .map(\.element)
    }
}

// MARK: - Time

/// A local day and a second of it: when a step acts.
struct Moment: Comparable, Sendable {
    var day: CalendarDate
    var seconds: Int

    static func < (a: Moment, b: Moment) -> Bool {
        (a.day.daysSinceEpoch, a.seconds) < (b.day.daysSinceEpoch, b.seconds)
    }

    var date: Date { LocalTime.time(on: day, seconds: seconds) }
}

extension CalendarDate {
    fileprivate var startDate: Date { LocalTime.time(on: self) }

    fileprivate func plus(_ days: Int) throws -> CalendarDate { try adding(days: days) }

    fileprivate func days(until other: CalendarDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }
}

// MARK: - People

struct DemoMember: Sendable {
    var name: String
    var sector: String
}

/// The county's members (unique names, spread over the sectors), its committee leaders and the
/// convenor of each sector group.
struct DemoPeople: Sendable {
    var members: [DemoMember] = []
    var leaders: [String] = []
    var convenors: [String] = []

    init(profile: DemoProfile, rng: inout SplitMix64) {
        var used = Set<String>()
        func name(_ rng: inout SplitMix64) -> String {
            for _ in 0..<200 {
                let surname = rng.pick(DemoCatalog.surnames) ?? "王"
                var given = rng.pick(DemoCatalog.givenCharacters) ?? "明"
                if rng.chance(0.7) { given += rng.pick(DemoCatalog.givenCharacters) ?? "" }
                let candidate = surname + given
                if !used.contains(candidate) {
                    used.insert(candidate)
                    return candidate
                }
            }
            let fallback = "委员\(used.count + 1)"
            used.insert(fallback)
            return fallback
        }
        let sectors = profile.sectors
        for index in 0..<profile.memberCount {
            // Every sector gets two members first, then sectors at random.
            let sector = index < sectors.count * 2
                ? sectors.dropFirst(index % sectors.count).first ?? ""
                : rng.pick(sectors) ?? ""
            members.append(DemoMember(name: name(&rng), sector: sector))
        }
        convenors = sectors.compactMap { sector in members.first(where: { $0.sector == sector })?.name }
        let level = String(profile.countyName.suffix(1))
        leaders = ["\(level)政协主席 " + name(&rng)] + (0..<3).map { _ in "\(level)政协副主席 " + name(&rng) }
    }
}

// MARK: - Reference data

/// Sectors, members, units, the session and (2021) the holiday calendar; what exists already is
/// kept, so a county can hold several demo years.
struct DemoSetup {
    let store: WorkflowStore
    let day: CalendarDate
    var transactions = 0
    var activities = 0
    private var second = 8 * 3600

    init(store: WorkflowStore, day: CalendarDate) {
        self.store = store
        self.day = day
    }

    /// The store acting at the setup day, a few seconds after the previous step.
    private mutating func next() -> WorkflowStore {
        second += 7
        transactions += 1
        return store.at(LocalTime.time(on: day, seconds: second))
    }

    mutating func run(profile: DemoProfile, people: DemoPeople, year: Int, opened: CalendarDate, closed: CalendarDate) async throws {
        if try await store.sessions().contains(where: { $0.year == year }) {
            throw WorkflowError("demo: county \(store.county) has a \(year) session already; fill a year once")
        }
        if year == 2021 {
            let known = Set(try await store.calendarDays(year: year).map(\.day))
            for entry in DemoCatalog.calendar2021 {
                let day = try CalendarDate(entry.day)
                if !known.contains(day) { try await next().setCalendarDay(day, kind: entry.kind) }
            }
        }
        let sectors = Set(try await store.sectors())
        for sector in profile.sectors where !sectors.contains(sector) {
            try await next().addSector(sector)
        }
        let members = Set(try await store.members().map(\.name))
        for member in people.members where !members.contains(member.name) {
            try await next().addMember(member.name, sector: member.sector)
        }
        let units = Set(try await store.units().map(\.name))
        for unit in profile.units where !units.contains(unit) {
            try await next().addUnit(unit, kind: unit.hasSuffix("公司") ? .stateCompany : .department)
        }
        try await next().openSession(year: year, name: profile.sessionName, openedOn: opened, closedOn: closed)
    }

    /// Activities of earlier years (studios opened before this year), recorded during setup.
    mutating func record(_ action: DemoAction) async throws {
        var runner = DemoRunner()
        try await runner.run(action, on: next())
        activities += 1
    }
}

// MARK: - Steps

enum DemoReview: Sendable {
    case register
    case decline(DeclineReason, String)
    case convert(String)
    case mergeInto(Int)
    case returnToAuthor(String)
}

/// One store operation; proposals and micro-suggestions by their index in the plan (their
/// numbers are known once filed).
enum DemoAction: Sendable {
    case file(Int, NewProposal)
    case review(Int, DemoReview)
    case resubmit(Int)
    case withdraw(Int, String)
    case assign(Int, lead: String?, co: [String], parallel: [String])
    case unitReturn(Int, unit: String, reason: String)
    case extend(Int, unit: String)
    case opinion(Int, unit: String, text: String)
    case reply(Int, unit: String, category: ReplyCategory, text: String)
    case evaluate(Int, member: String, rating: Rating, process: Rating?, comment: String?)
    case consult(Int, outcome: String)
    case markKey(Int, supervisor: String)
    case supervise(Int, kind: SupervisionKind, note: String)
    case fileSuggestion(Int, member: String, title: String, body: String)
    case routeSuggestion(Int, unit: String)
    case rejectSuggestion(Int, reason: String)
    case replySuggestion(Int, unit: String, text: String)
    case evaluateSuggestion(Int, rating: Rating)
    case activity(ActivityKind, on: CalendarDate, member: String?, unit: String?, peer: String?, days: Int, note: String)

    var label: String {
        switch self {
        case .file(let p, _): "file proposal #\(p + 1)"
        case .review(let p, _): "review proposal #\(p + 1)"
        case .resubmit(let p): "resubmit proposal #\(p + 1)"
        case .withdraw(let p, _): "withdraw proposal #\(p + 1)"
        case .assign(let p, _, _, _): "assign proposal #\(p + 1)"
        case .unitReturn(let p, _, _): "unit-return proposal #\(p + 1)"
        case .extend(let p, _): "extend proposal #\(p + 1)"
        case .opinion(let p, _, _): "opinion on proposal #\(p + 1)"
        case .reply(let p, _, _, _): "reply to proposal #\(p + 1)"
        case .evaluate(let p, _, _, _, _): "evaluate proposal #\(p + 1)"
        case .consult(let p, _): "consult on proposal #\(p + 1)"
        case .markKey(let p, _): "mark proposal #\(p + 1) key"
        case .supervise(let p, _, _): "supervise proposal #\(p + 1)"
        case .fileSuggestion(let s, _, _, _): "file micro-suggestion #\(s + 1)"
        case .routeSuggestion(let s, _): "route micro-suggestion #\(s + 1)"
        case .rejectSuggestion(let s, _): "reject micro-suggestion #\(s + 1)"
        case .replySuggestion(let s, _, _): "reply to micro-suggestion #\(s + 1)"
        case .evaluateSuggestion(let s, _): "evaluate micro-suggestion #\(s + 1)"
        case .activity(let kind, _, _, _, _, _, _): "activity \(kind.rawValue)"
        }
    }
}

struct DemoStep: Sendable {
    var at: Moment
    var sequence: Int
    var action: DemoAction
}

/// Runs steps, remembering the numbers the store gave.
struct DemoRunner {
    private var proposals: [Int: String] = [:]
    private var suggestions: [Int: String] = [:]

    private func proposal(_ index: Int) throws -> String {
        guard let number = proposals[index] else { throw WorkflowError("proposal #\(index + 1) is not filed yet") }
        return number
    }

    private func suggestion(_ index: Int) throws -> String {
        guard let number = suggestions[index] else { throw WorkflowError("micro-suggestion #\(index + 1) is not filed yet") }
        return number
    }

    mutating func run(_ action: DemoAction, on store: WorkflowStore) async throws {
        switch action {
        case .file(let p, let new):
            proposals[p] = try await store.file(new).number
        case .review(let p, let review):
            let decision: ReviewDecision
            switch review {
            case .register: decision = .register
            case .decline(let reason, let note): decision = .decline(reason, note: note)
            case .convert(let note): decision = .convert(note: note)
            case .mergeInto(let target): decision = .mergeInto(try proposal(target))
            case .returnToAuthor(let note): decision = .returnToAuthor(note: note)
            }
            try await store.review(try proposal(p), decision)
        case .resubmit(let p):
            try await store.resubmit(try proposal(p))
        case .withdraw(let p, let reason):
            try await store.withdraw(try proposal(p), reason: reason)
        case .assign(let p, let lead, let co, let parallel):
            try await store.assign(try proposal(p), lead: lead, co: co, parallel: parallel)
        case .unitReturn(let p, let unit, let reason):
            try await store.unitReturn(try proposal(p), unit: unit, reason: reason)
        case .extend(let p, let unit):
            try await store.extend(try proposal(p), unit: unit, until: nil)
        case .opinion(let p, let unit, let text):
            try await store.opinion(try proposal(p), unit: unit, text: text)
        case .reply(let p, let unit, let category, let text):
            try await store.reply(try proposal(p), unit: unit, category: category, text: text)
        case .evaluate(let p, let member, let rating, let process, let comment):
            try await store.evaluate(try proposal(p), member: member, rating: rating, processRating: process, comment: comment)
        case .consult(let p, let outcome):
            try await store.consult(try proposal(p), outcome: outcome, heldOn: nil)
        case .markKey(let p, let supervisor):
            try await store.markKey(try proposal(p), supervisor: supervisor)
        case .supervise(let p, let kind, let note):
            try await store.supervise(try proposal(p), supervisor: nil, kind: kind, note: note, heldOn: nil)
        case .fileSuggestion(let s, let member, let title, let body):
            suggestions[s] = try await store.fileSuggestion(member: member, title: title, body: body).number
        case .routeSuggestion(let s, let unit):
            try await store.routeSuggestion(try suggestion(s), unit: unit)
        case .rejectSuggestion(let s, let reason):
            try await store.rejectSuggestion(try suggestion(s), reason: reason)
        case .replySuggestion(let s, let unit, let text):
            try await store.replySuggestion(try suggestion(s), unit: unit, text: text)
        case .evaluateSuggestion(let s, let rating):
            try await store.evaluateSuggestion(try suggestion(s), rating: rating)
        case .activity(let kind, let day, let member, let unit, let peer, let days, let note):
            try await store.addActivity(kind, on: day, member: member, unit: unit, peer: peer, days: days, note: note)
        }
    }
}

// MARK: - The plan

/// A proposal as planned: what happens to it and when.
struct DemoDraft: Sendable {
    enum Fate: Sendable { case registered, declined, converted, merged, withdrawn }
    enum Timing: Sendable { case onTime, late, extended }

    var index: Int
    var filed: Moment
    var atSession: Bool
    var fate: Fate
    var phrase = ""
    var title = ""
    var category: ProposalCategory = .other
    var kind: ProposalKind = .individual
    var lead = ""
    var co: [String] = []
    /// Handling units, the lead first.
    var units: [String] = []
    var featured = false
    var returned = false
    var unitReturn = false
    var key = false
    var timing = Timing.onTime
    var rating: Rating?
    var consult = false
    var mergeTarget: Int?
    var mergedAuthors: [String] = []
    var registeredAt: Moment?
    var firstRating: Moment?
}

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
    private(set) var steps: [DemoStep] = []
    private(set) var activityCount = 0
    /// Studios of earlier years, recorded during setup.
    private(set) var earlierStudios: [DemoAction] = []
    private var sequence = 0
    private var rng: SplitMix64
    private var usedTitles = Set<String>()
    /// Topics (without adverbs) already used: each once while others are left.
    private var usedPhrases = Set<String>()

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

    private mutating func add(_ at: Moment, _ action: DemoAction) {
        steps.append(DemoStep(at: at, sequence: sequence, action: action))
        sequence += 1
    }

    // MARK: Days and times

    private static let officeHours = (8 * 3600 + 1800, 17 * 3600 + 30 * 60)
    private static let memberHours = (8 * 3600, 22 * 3600)

    private mutating func day(_ low: CalendarDate, _ high: CalendarDate) throws -> CalendarDate {
        try low.plus(rng.int(0, low.days(until: high)))
    }

    /// A working day from `low` to `high`, at random; when the span has none (a holiday week),
    /// the first one after it up to `limit` (default: two weeks later), else the random day.
    private mutating func workday(_ low: CalendarDate, _ high: CalendarDate, limit: CalendarDate? = nil) throws -> CalendarDate {
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
    private mutating func time(_ day: CalendarDate, _ hours: (Int, Int), after: Moment?) -> Moment {
        var day = day
        var low = hours.0
        if let after, after.day >= day {
            day = after.day
            low = max(low, after.seconds + 60)
        }
        let seconds = min(86_399, rng.int(low, max(low, hours.1)))
        return Moment(day: day, seconds: seconds)
    }

    private mutating func office(_ day: CalendarDate, after: Moment?) -> Moment {
        time(day, Self.officeHours, after: after)
    }

    private mutating func member(_ day: CalendarDate, after: Moment?) -> Moment {
        time(day, Self.memberHours, after: after)
    }

    // MARK: Units and texts

    private var company: String? { profile.units.first { $0.hasSuffix("公司") } }

    private func resolve(_ unit: String) -> String? {
        if unit == "@company" { return company }
        return profile.units.contains(unit) ? unit : nil
    }

    private mutating func town() -> String { rng.pick(profile.townships) ?? profile.countyName }

    private mutating func text(_ options: [String]?) -> String { rng.pick(options ?? []) ?? "已办理。" }

    /// A topic of the category mix, as a unique title.
    private mutating func topic() -> (phrase: String, title: String, category: ProposalCategory, units: [String]) {
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

    private mutating func body(_ phrase: String) -> String {
        let ideas = [
            "加强统筹协调，明确牵头单位和责任分工", "加大资金投入，纳入年度财政预算", "建立长效机制，定期督查通报",
            "广泛听取群众意见，分步组织实施", "完善政策措施，强化考核评价", "学习借鉴周边县市经验做法",
        ]
        let chosen = Array(rng.shuffled(ideas).prefix(3))
        let numbered = zip(["一是", "二是", "三是"], chosen).map { $0 + $1 }.joined(separator: "；")
        return "案由：\(phrase)。\n建议：\(numbered)。"
    }

    // MARK: Proposals

    mutating func planProposals() throws {
        let lastBetween = try CalendarDate(year: year, month: 7, day: 31)
        var moments: [Moment] = []
        for _ in 0..<max(0, profile.filedAtSession) {
            moments.append(member(try day(opened, closed), after: nil))
        }
        for _ in 0..<max(0, profile.filedBetweenSessions) {
            moments.append(member(try day(try closed.plus(20), lastBetween), after: nil))
        }
        moments.sort()
        var fates: [DemoDraft.Fate] = []
        fates += Array(repeating: .declined, count: profile.declined)
        fates += Array(repeating: .converted, count: profile.converted)
        fates += Array(repeating: .merged, count: profile.merged)
        fates += Array(repeating: .withdrawn, count: profile.withdrawn)
        fates += Array(repeating: .registered, count: profile.registered)
        fates = rng.shuffled(fates)
        var drafts = zip(moments, fates).enumerated().map { index, pair in
            DemoDraft(index: index, filed: pair.0, atSession: pair.0.day <= closed, fate: pair.1)
        }
        // Duplicates are merged among the session's proposals (before their handling starts):
        // a merged proposal filed between sessions swaps its fate with a registered session one.
        for index in drafts.indices {
            guard let draft = drafts.at(index), draft.fate == .merged, !draft.atSession else { continue }
            guard let swap = drafts.first(where: { $0.atSession && $0.fate == .registered }) else { break }
            drafts.update(index) { $0.fate = .registered }
            drafts.update(swap.index) { $0.fate = .merged }
        }

        // Registered ones: who is key, featured, returned, late, rated how.
        let registered = drafts.filter { $0.fate == .registered }.map(\.index)
        let preferSession = rng.shuffled(registered.filter { drafts.at($0)?.atSession == true })
            + rng.shuffled(registered.filter { drafts.at($0)?.atSession == false })
        for (position, index) in preferSession.enumerated() {
            drafts.update(index) { draft in
                draft.key = position < profile.keyProposals
                if let featured = profile.featured.at(position) {
                    draft.featured = true
                    draft.title = featured.title
                    draft.phrase = String(featured.title.dropFirst(2).dropLast(3))
                    draft.category = featured.category
                    draft.units = [featured.lead] + featured.co
                    usedTitles.insert(featured.title)
                    usedPhrases.insert(draft.phrase)
                }
            }
        }
        for index in rng.shuffled(registered).prefix(profile.returnedThenResubmitted) {
            drafts.update(index) { $0.returned = true }
        }
        let notFeatured = registered.filter { drafts.at($0)?.featured == false }
        for index in (rng.shuffled(notFeatured) + rng.shuffled(registered)).uniqued().prefix(profile.unitReturns) {
            drafts.update(index) { $0.unitReturn = true }
        }
        var timings = Array(repeating: DemoDraft.Timing.late, count: profile.repliedLate)
        timings += Array(repeating: .extended, count: profile.extended)
        timings += Array(repeating: .onTime, count: max(0, profile.registered - timings.count))
        var ratings: [Rating?] = Array(repeating: .satisfied, count: profile.satisfied)
        ratings += Array(repeating: .basic, count: profile.basic)
        ratings += Array(repeating: .unsatisfied, count: profile.unsatisfied)
        ratings += Array(repeating: nil, count: profile.notEvaluated)
        var consultations = profile.consultations
        for (index, (timing, rating)) in zip(registered, zip(rng.shuffled(timings), rng.shuffled(ratings))) {
            drafts.update(index) { draft in
                draft.timing = timing
                draft.rating = rating
                if rating == .unsatisfied, consultations > 0 {
                    draft.consult = true
                    consultations -= 1
                }
            }
        }

        // Titles, authors and units.
        var declineOptions = rng.shuffled(DemoCatalog.declined)
        var convertOptions = rng.shuffled(DemoCatalog.converted)
        for index in drafts.indices {
            guard var draft = drafts.at(index) else { continue }
            let featured = draft.featured
            switch draft.fate {
            case .registered, .withdrawn:
                if !draft.featured {
                    let chosen = topic()
                    draft.phrase = chosen.phrase
                    draft.title = chosen.title
                    draft.category = chosen.category
                    draft.units = chosen.units
                }
                if draft.units.isEmpty { draft.units = fallbackUnits(draft.category) }
                authors(&draft, featured: featured)
            case .declined:
                let option = declineOptions.first ?? DemoCatalog.declined.first
                declineOptions = Array(declineOptions.dropFirst()) + declineOptions.prefix(1)
                draft.title = option?.title ?? "关于若干问题的建议"
                draft.phrase = draft.title
                draft.category = .other
                authors(&draft, individual: true)
            case .converted:
                let option = convertOptions.first ?? "关于{town}路灯维修的建议"
                convertOptions = Array(convertOptions.dropFirst()) + convertOptions.prefix(1)
                draft.title = option.replacingOccurrences(of: "{town}", with: town())
                draft.phrase = draft.title
                draft.category = .urbanRural
                authors(&draft, individual: true)
            case .merged:
                break  // after the registered ones have titles
            }
            drafts.update(index) { $0 = draft }
        }
        var targets = rng.shuffled(registered.filter { drafts.at($0)?.atSession == true })
        if targets.isEmpty { targets = rng.shuffled(registered) }
        for index in drafts.indices {
            guard var draft = drafts.at(index), draft.fate == .merged else { continue }
            guard let target = targets.first, let base = drafts.at(target) else { continue }
            targets = Array(targets.dropFirst()) + [target]
            draft.mergeTarget = target
            draft.category = base.category
            draft.phrase = base.phrase
            var title = "关于\(base.phrase)的几点建议"
            if usedTitles.contains(title) { title = "关于\(base.phrase)的意见和建议" }
            if !base.phrase.hasPrefix("进一步"), DemoCatalog.furtherVerbs.contains(where: base.phrase.hasPrefix), rng.chance(0.5) {
                title = "关于进一步\(base.phrase)的建议"
            }
            draft.title = title
            usedTitles.insert(title)
            let individual = rng.chance(0.7)
            authors(&draft, individual: individual, avoiding: [base.lead] + base.co)
            drafts.update(index) { $0 = draft }
            let newAuthors = [draft.lead] + draft.co
            drafts.update(target) { $0.mergedAuthors += newAuthors }
        }

        // Timelines: registered ones first (merges need their target registered).
        for index in drafts.indices {
            guard let draft = drafts.at(index), draft.fate == .registered else { continue }
            let planned = try planRegistered(draft)
            drafts.update(index) { draft in
                draft.registeredAt = planned.registered
                draft.firstRating = planned.firstRating
            }
        }
        for draft in drafts where draft.fate != .registered {
            try planOther(draft, target: draft.mergeTarget.flatMap { drafts.at($0) })
        }
    }

    private func fallbackUnits(_ category: ProposalCategory) -> [String] {
        let preferred: [ProposalCategory: String] = [
            .economy: "发改局", .urbanRural: "住建局", .livelihood: "民政局", .educationCulture: "教育局",
            .ecology: "生态环境局", .agriculture: "农业农村局", .politicsLaw: "公安局", .other: "财政局",
        ]
        if let unit = preferred[category], profile.units.contains(unit) { return [unit] }
        return Array(profile.units.prefix(1))
    }

    /// Picks the kind and the authors.
    private mutating func authors(_ draft: inout DemoDraft, featured: Bool = false, individual: Bool = false, avoiding: [String] = []) {
        let roll = rng.int(1, 100)
        let kind: ProposalKind
        if individual {
            kind = .individual
        } else if featured {
            kind = roll <= 40 ? .sector : roll <= 60 ? .committee : .joint
        } else {
            kind = roll <= 55 ? .individual : roll <= 80 ? .joint : roll <= 93 ? .sector : .committee
        }
        let names = people.members.map(\.name).filter { !avoiding.contains($0) }
        let lead: String
        switch kind {
        case .sector: lead = rng.pick(people.convenors.filter { !avoiding.contains($0) }) ?? rng.pick(names) ?? ""
        default: lead = rng.pick(names) ?? ""
        }
        var co: [String] = []
        if kind == .joint {
            co = Array(rng.shuffled(names.filter { $0 != lead }).prefix(rng.int(1, 3)))
        }
        // A joint proposal without co-authors (no one left to ask) is an individual one.
        draft.kind = kind == .joint && co.isEmpty ? .individual : kind
        draft.lead = lead
        draft.co = co
    }

    private mutating func file(_ draft: DemoDraft) {
        add(draft.filed, .file(draft.index, NewProposal(
            title: draft.title, body: body(draft.phrase), category: draft.category, kind: draft.kind, lead: draft.lead,
            coAuthors: draft.co, sessionYear: year)))
    }

    /// The day reviews start from: after the session, or after a between-session filing.
    private func reviewBase(_ draft: DemoDraft) -> CalendarDate { draft.atSession ? closed : draft.filed.day }

    private func replyCategory(_ rating: Rating?, _ rng: inout SplitMix64) -> ReplyCategory {
        let roll = rng.int(1, 100)
        switch rating {
        case .satisfied: return roll <= 60 ? .a : .b
        case .basic: return roll <= 15 ? .a : roll <= 70 ? .b : .c
        case .unsatisfied: return roll <= 60 ? .c : .d
        case nil: return roll <= 40 ? .a : roll <= 75 ? .b : roll <= 92 ? .c : .d
        }
    }

    /// A registered proposal from filing to its last rating; returns when it was registered and
    /// first rated.
    private mutating func planRegistered(_ draft: DemoDraft) throws -> (registered: Moment, firstRating: Moment?) {
        let p = draft.index
        file(draft)
        var last = draft.filed
        let base = reviewBase(draft)
        var reviewDay: CalendarDate
        if draft.returned {
            let returnedOn = try workday(try base.plus(4), try base.plus(12))
            last = office(returnedOn, after: last)
            add(last, .review(p, .returnToAuthor(text(DemoCatalog.returnNotes))))
            last = member(try day(try last.day.plus(2), try last.day.plus(8)), after: last)
            add(last, .resubmit(p))
            reviewDay = try workday(try last.day.plus(2), try last.day.plus(7))
        } else {
            reviewDay = try workday(try base.plus(7), try base.plus(21))
        }
        last = office(reviewDay, after: last)
        add(last, .review(p, .register))
        let registeredAt = last

        // Assignment, and a wrongly assigned unit's return.
        var assignedOn = try workday(try last.day.plus(1), try last.day.plus(8))
        let correct = draft.units.first ?? profile.units.first ?? ""
        var co = Array(draft.units.dropFirst())
        var parallel: [String] = []
        let shape = rng.int(1, 100)
        if draft.unitReturn {
            co = []
            let wrong = rng.pick(profile.units.filter { !draft.units.contains($0) && $0 != company }) ?? ""
            last = office(assignedOn, after: last)
            add(last, .assign(p, lead: wrong, co: [], parallel: []))
            let window = try deadlines.adding(days: settings.unitReturnDays, to: assignedOn)
            let returnedOn = try workday(try assignedOn.plus(1), min(try assignedOn.plus(6), window), limit: window)
            last = office(returnedOn, after: last)
            add(last, .unitReturn(p, unit: wrong, reason: text(DemoCatalog.unitReturnReasons)))
            assignedOn = try workday(try returnedOn.plus(1), try returnedOn.plus(4))
        } else if draft.featured {
            // As the profile says.
        } else if shape <= 12, co.count >= 1 {
            parallel = [correct] + Array(co.prefix(1))
            co = []
        } else if shape <= 42, !co.isEmpty {
            co = Array(co.prefix(rng.int(1, 2)))
        } else {
            co = []
        }
        last = office(assignedOn, after: last)
        let assignedAt = last
        if parallel.isEmpty {
            add(last, .assign(p, lead: correct, co: co, parallel: []))
        } else {
            add(last, .assign(p, lead: nil, co: [], parallel: parallel))
        }
        let answering = parallel.isEmpty ? [correct] : parallel
        let due = try deadlines.adding(months: settings.handlingMonths, to: assignedOn)

        // Co-handling units' views within the first month.
        var opinionsDone = assignedAt
        for unit in co {
            let on = try workday(try assignedOn.plus(7), try assignedOn.plus(28))
            let at = office(on, after: assignedAt)
            add(at, .opinion(p, unit: unit, text: text(DemoCatalog.opinionTexts)))
            opinionsDone = max(opinionsDone, at)
        }

        // First-round replies.
        var replies: [Moment] = []
        for (position, unit) in answering.enumerated() {
            let earliest = max(try assignedOn.plus(30), try opinionsDone.day.plus(1))
            var repliedOn: CalendarDate
            switch (draft.timing, position) {
            case (.late, 0):
                repliedOn = try workday(try due.plus(3), try due.plus(30))
            case (.extended, 0):
                let extendOn = try workday(try assignedOn.plus(50), try due.plus(-5), limit: try due.plus(-1))
                add(office(extendOn, after: assignedAt), .extend(p, unit: unit))
                let longest = try deadlines.adding(months: settings.extendedHandlingMonths, to: assignedOn)
                repliedOn = try workday(try due.plus(5), min(try due.plus(50), try longest.plus(-3)), limit: longest)
            default:
                repliedOn = try workday(earliest, try due.plus(-2), limit: due)
            }
            if repliedOn <= opinionsDone.day { repliedOn = try opinionsDone.day.plus(1) }
            let at = office(repliedOn, after: opinionsDone)
            let category = replyCategory(draft.rating, &rng)
            add(at, .reply(p, unit: unit, category: category, text: text(DemoCatalog.replyTexts[category])))
            replies.append(at)
        }
        let firstReply = replies.min() ?? assignedAt
        var lastReply = replies.max() ?? assignedAt

        // Key proposals: marked after assignment, supervised while handled.
        if draft.key {
            let markedOn = try workday(try assignedOn.plus(1), try assignedOn.plus(10))
            let marked = office(markedOn, after: assignedAt)
            add(marked, .markKey(p, supervisor: rng.pick(people.leaders) ?? "政协主席"))
            var previous = marked
            for kind in [SupervisionKind.meeting, .siteVisit] {
                // While the units handle it: before the first reply.
                let latest = try firstReply.day.plus(-1)
                guard try previous.day.plus(1) <= latest else { break }
                let on = try workday(try previous.day.plus(1), min(latest, try previous.day.plus(40)), limit: latest)
                let at = office(on, after: previous)
                guard at < firstReply else { break }
                add(at, .supervise(p, kind: kind, note: text(DemoCatalog.supervisionNotes[kind])))
                previous = at
            }
        }

        // Ratings: every author (and the authors of merged proposals) within the window.
        let raters = ([draft.lead] + draft.co + draft.mergedAuthors).uniqued()
        guard let rating = draft.rating else { return (registeredAt, nil) }
        let window = settings.evaluationWindowDays
        if rating == .unsatisfied {
            let ratedOn = try day(try lastReply.day.plus(min(3, window)), try lastReply.day.plus(min(20, window)))
            let rated = member(ratedOn, after: lastReply)
            add(rated, .evaluate(p, member: draft.lead, rating: .unsatisfied, process: rng.chance(0.5) ? .basic : nil,
                                 comment: text(DemoCatalog.unsatisfiedComments)))
            let due2 = try deadlines.adding(months: settings.handlingMonths, to: rated.day)
            var second: [Moment] = []
            for unit in answering {
                let on = try workday(try rated.day.plus(25), try due2.plus(-2), limit: due2)
                let at = office(on, after: rated)
                // A second round that ends in a consultation could not solve it either.
                let category: ReplyCategory = draft.consult ? .c : rng.chance(0.5) ? .a : .b
                add(at, .reply(p, unit: unit, category: category, text: text(DemoCatalog.replyTexts[category])))
                second.append(at)
            }
            lastReply = second.max() ?? rated
            if draft.consult {
                let again = member(try day(try lastReply.day.plus(min(3, window)), try lastReply.day.plus(min(15, window))), after: lastReply)
                add(again, .evaluate(p, member: draft.lead, rating: .unsatisfied, process: nil, comment: text(DemoCatalog.unsatisfiedComments)))
                let held = office(try workday(try again.day.plus(5), try again.day.plus(20)), after: again)
                add(held, .consult(p, outcome: text(DemoCatalog.consultOutcomes)))
                return (registeredAt, rated)
            }
            try rateAll(p, raters: raters, worst: rng.chance(0.5) ? .satisfied : .basic, after: lastReply)
            return (registeredAt, rated)
        }
        return (registeredAt, try rateAll(p, raters: raters, worst: rating, after: lastReply))
    }

    /// Every rater rates once, the lead first with `worst`, the others as well or better;
    /// returns the first rating's time.
    @discardableResult
    private mutating func rateAll(_ p: Int, raters: [String], worst: Rating, after: Moment) throws -> Moment? {
        let window = settings.evaluationWindowDays
        var days = try raters.map { _ in try day(try after.day.plus(min(2, window)), try after.day.plus(min(25, window))) }
        days.sort()
        var previous = after
        var first: Moment?
        for (position, (rater, on)) in zip(raters, days).enumerated() {
            let rating: Rating = position == 0 ? worst : (worst == .basic && rng.chance(0.4) ? .basic : .satisfied)
            let at = member(on, after: previous)
            let process: Rating? = rng.chance(0.5) ? nil : (rating == .basic && rng.chance(0.5) ? .basic : .satisfied)
            let comment: String? = rng.chance(0.3) ? text(DemoCatalog.evaluationComments) : nil
            add(at, .evaluate(p, member: rater, rating: rating, process: process, comment: comment))
            previous = at
            if first == nil { first = at }
        }
        return first
    }

    /// Declined, converted, merged and withdrawn proposals.
    private mutating func planOther(_ draft: DemoDraft, target: DemoDraft?) throws {
        let p = draft.index
        file(draft)
        let base = reviewBase(draft)
        switch draft.fate {
        case .registered:
            break
        case .withdrawn:
            let on = try day(try draft.filed.day.plus(1), try draft.filed.day.plus(6))
            add(member(on, after: draft.filed), .withdraw(p, text(DemoCatalog.withdrawReasons)))
        case .declined:
            let at = office(try workday(try base.plus(7), try base.plus(21)), after: draft.filed)
            let option = DemoCatalog.declined.first { $0.title == draft.title }
            add(at, .review(p, .decline(option?.reason ?? .other, option?.note ?? "不予立案")))
        case .converted:
            let at = office(try workday(try base.plus(7), try base.plus(21)), after: draft.filed)
            add(at, .review(p, .convert(text(DemoCatalog.convertNotes))))
        case .merged:
            guard let target, let targetIndex = draft.mergeTarget else {
                throw WorkflowError("demo: proposal #\(p + 1) has no registered proposal to merge into")
            }
            var at = office(try workday(try base.plus(7), try base.plus(21)), after: draft.filed)
            if let registered = target.registeredAt, at <= registered {
                at = office(registered.day, after: registered)
            }
            // Merging adds raters: it must come before the target's rating begins.
            if let rated = target.firstRating, rated <= at {
                throw WorkflowError("demo: proposal #\(p + 1) would merge into #\(targetIndex + 1) after its rating began")
            }
            add(at, .review(p, .mergeInto(targetIndex)))
        }
    }

    // MARK: Micro-suggestions

    mutating func planSuggestions() throws {
        enum Fate { case onTime, late, rejected }
        var fates = Array(repeating: Fate.late, count: profile.microSuggestionsLate)
        fates += Array(repeating: .rejected, count: profile.microSuggestionsRejected)
        fates += Array(repeating: .onTime, count: max(0, profile.microSuggestions - fates.count))
        fates = rng.shuffled(fates)
        let last = try CalendarDate(year: year, month: 11, day: 30)
        var filings: [Moment] = []
        for _ in fates { filings.append(member(try day(opened, last), after: nil)) }
        filings.sort()
        let fallbackUnit = profile.units.contains("城管局") ? "城管局" : profile.units.first ?? ""
        for (s, (filed, fate)) in zip(filings, fates).enumerated() {
            let place = rng.pick(DemoCatalog.suggestionPlaces) ?? "集镇"
            let title: String
            let unit: String
            if rng.chance(0.5), let facility = rng.pick(DemoCatalog.suggestionFacilities) {
                title = "关于在\(town())\(place)增设\(facility.facility)的建议"
                unit = resolve(facility.unit) ?? fallbackUnit
            } else {
                let issue = rng.pick(DemoCatalog.suggestionIssues) ?? (issue: "路面坑洼积水", unit: "交通运输局")
                title = "\(town())\(place)\(issue.issue)问题亟待解决"
                unit = resolve(issue.unit) ?? fallbackUnit
            }
            let author = rng.pick(people.members)?.name ?? ""
            add(filed, .fileSuggestion(s, member: author, title: title, body: "\(title)，群众反映强烈，建议尽快处理。"))
            let routedOn = try workday(filed.day, try filed.day.plus(2))
            let routed = office(routedOn, after: filed)
            if fate == .rejected {
                add(routed, .rejectSuggestion(s, reason: text(DemoCatalog.rejectReasons)))
                continue
            }
            add(routed, .routeSuggestion(s, unit: unit))
            let due = try working.adding(workingDays: settings.microSuggestionReplyDays, to: routed.day)
            let repliedOn = fate == .late
                ? try workday(try due.plus(1), try due.plus(12))
                : try workday(try routed.day.plus(2), due, limit: due)
            let replied = office(repliedOn, after: routed)
            add(replied, .replySuggestion(s, unit: unit, text: text(DemoCatalog.suggestionReplies)))
            guard rng.chance(0.9) else { continue }
            let rating: Rating = fate == .late
                ? (rng.chance(0.5) ? .basic : .unsatisfied)
                : (rng.chance(0.8) ? .satisfied : .basic)
            add(member(try day(try replied.day.plus(1), try replied.day.plus(10)), after: replied), .evaluateSuggestion(s, rating: rating))
        }
    }

    // MARK: Activities

    private mutating func activity(_ at: Moment, _ kind: ActivityKind, on day: CalendarDate, member: String? = nil,
                                   unit: String? = nil, peer: String? = nil, days: Int = 1, note: String) {
        add(at, .activity(kind, on: day, member: member, unit: unit, peer: peer, days: days, note: note))
        activityCount += 1
    }

    /// `count` days spread evenly from `first` to `last`, one at random in each stretch.
    private mutating func spread(_ count: Int, from first: CalendarDate, to last: CalendarDate) throws -> [CalendarDate] {
        guard count > 0 else { return [] }
        let span = max(1, first.days(until: last) + 1)
        return try (0..<count).map { i in
            let low = try first.plus(span * i / count)
            let high = try first.plus(max(span * i / count, span * (i + 1) / count - 1))
            return try day(low, high)
        }
    }

    mutating func planActivities() throws {
        let start = try closed.plus(7)
        let end = try CalendarDate(year: year, month: 12, day: 20)

        // Online events (线上履职活动).
        let notes = rng.shuffled(DemoCatalog.onlineEventNotes)
        for (i, on) in try spread(profile.onlineEvents, from: start, to: end).enumerated() {
            let note = notes.at(i % max(1, notes.count)) ?? "线上履职活动"
            activity(time(on, (15 * 3600, 20 * 3600), after: nil), .onlineEvent, on: on, note: note)
        }

        // Online duty days: shifts of one to a few days whose days add up to the profile's total.
        let shifts = min(profile.dutyDays, max(1, profile.dutyDays / 4))
        var lengths = Array(repeating: 1, count: shifts)
        for _ in 0..<max(0, profile.dutyDays - shifts) {
            let i = rng.int(0, shifts - 1)
            lengths.update(i) { $0 += 1 }
        }
        for (on, length) in zip(try spread(shifts, from: start, to: end), lengths) {
            let member = rng.pick(people.members)?.name
            activity(time(on, (18 * 3600, 21 * 3600), after: nil), .dutyDay, on: on, member: member, days: length,
                     note: "政协云平台委员线上值班\(length)天")
        }

        // Democratic supervision groups: formed in spring, a consultation in summer or autumn.
        for unit in profile.supervisedUnits {
            let leader = rng.pick(people.members)?.name
            let formed = try workday(try CalendarDate(year: year, month: 3, day: 15), try CalendarDate(year: year, month: 4, day: 30))
            let formedAt = office(formed, after: nil)
            activity(formedAt, .supervisionGroup, on: formed, member: leader, unit: unit,
                     note: "\(unit)：\(DemoCatalog.supervisionGroupNotes.first ?? "")")
            let met = try workday(try CalendarDate(year: year, month: 6, day: 1), try CalendarDate(year: year, month: 10, day: 31))
            activity(office(met, after: formedAt), .supervisionGroup, on: met, member: leader, unit: unit,
                     note: "\(unit)：\(DemoCatalog.supervisionGroupNotes.last ?? "")")
        }

        // Member studios (委员工作室): townships, sectors and individual members.
        let total = profile.studiosTotal
        let personal = max(total > 0 ? 1 : 0, total / 6)
        let bySector = min(profile.sectors.count, total / 4)
        let byTown = max(0, min(profile.townships.count, total - personal - bySector))
        var studios: [(name: String, member: String?)] = []
        let townshipNames = rng.shuffled(profile.townships).prefix(byTown)
        for town in townshipNames { studios.append((name: "\(town)委员工作室", member: rng.pick(people.members)?.name)) }
        for sector in rng.shuffled(profile.sectors).prefix(bySector) {
            let member = people.members.first { $0.sector == sector }?.name
            studios.append((name: "\(sector)委员工作室", member: member))
        }
        for member in rng.shuffled(people.members).prefix(max(0, total - studios.count)) {
            studios.append((name: "\(member.name)委员工作室", member: member.name))
        }
        studios = rng.shuffled(studios)
        let earlier = max(0, total - profile.studiosOpened)
        for studio in studios.prefix(earlier) {
            let on = try day(try CalendarDate(year: year - 3, month: 3, day: 1), try CalendarDate(year: year - 1, month: 12, day: 20))
            earlierStudios.append(.activity(.studioOpened, on: on, member: studio.member, unit: nil, peer: nil, days: 1, note: studio.name))
        }
        let opened = studios.dropFirst(earlier)
        for (studio, on) in zip(opened, try spread(opened.count, from: start, to: end)) {
            let day = try workday(on, try on.plus(6))
            activity(office(day, after: nil), .studioOpened, on: day, member: studio.member, note: "\(studio.name)揭牌")
        }

        // Exchange visits.
        for (visits, kind) in [(profile.hosted, ActivityKind.visitHosted), (profile.visited, .visitMade)] {
            for visit in visits {
                let on = try CalendarDate(year: year, month: visit.month, day: visit.day)
                let note = kind == .visitHosted ? "接待\(visit.peer)来我\(profile.countyName.suffix(1))考察\(visit.topic)"
                    : "赴\(visit.peer)考察学习\(visit.topic)"
                activity(office(on, after: nil), kind, on: on, peer: visit.peer, note: note)
            }
        }
    }
}

// MARK: - Helpers

fileprivate extension Array {
    /// The element at `index`, or nil.
    func at(_ index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }

    /// Changes the element at `index` (nothing when there is none).
    mutating func update(_ index: Int, _ change: (inout Element) -> Void) {
        guard indices.contains(index) else { return }
        change(&self[index])
    }
}

fileprivate extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
