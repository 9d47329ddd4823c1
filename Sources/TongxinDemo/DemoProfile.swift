public import Workflow
import TongxinBase

/// One county committee's year, as the demo-data generator (`DemoYear.fill`) plays it: sizes,
/// outcomes and activities, nothing that depends on the county's code or on the database.
///
/// Counts are exact: a fill produces exactly these figures (see `AnnualReport`). Dates are month
/// and day, placed in the year the fill is asked for.
public struct DemoProfile: Sendable, Hashable, Codable {
    /// An exchange visit (考察交流), hosted or made.
    public struct Visit: Sendable, Hashable, Codable {
        /// The peer committee as the seed names it, e.g. 昭平县政协 or 永州市零陵区政协.
        public var peer: String
        public var month: Int
        public var day: Int
        public var topic: String

        public init(peer: String, month: Int, day: Int, topic: String) {
            self.peer = peer
            self.month = month
            self.day = day
            self.topic = topic
        }
    }

    /// A proposal the county is known for: its title and the units that handle it. The first
    /// `keyProposals` of these become the key proposals; the rest are ordinary registered ones.
    public struct Featured: Sendable, Hashable, Codable {
        public var title: String
        public var category: ProposalCategory
        public var lead: String
        public var co: [String]

        public init(_ title: String, _ category: ProposalCategory, lead: String, co: [String] = []) {
            self.title = title
            self.category = category
            self.lead = lead
            self.co = co
        }
    }

    // Who.
    /// The county's Chinese name, e.g. 耒阳市.
    public var countyName: String
    /// The committee's sectors (界别).
    public var sectors: [String]
    public var memberCount: Int
    /// Handling units (承办单位); names ending in 公司 are state companies.
    public var units: [String]
    /// Townships and subdistricts: studios, titles of local proposals and micro-suggestions.
    public var townships: [String]

    // The session.
    public var sessionName: String
    public var sessionMonth: Int
    public var sessionDay: Int
    /// Days the session lasts (the last is its closing day).
    public var sessionDays: Int

    // Proposals.
    public var filedAtSession: Int
    public var filedBetweenSessions: Int
    /// Not registered: declined (with reason codes), converted to opinions, merged into a
    /// registered proposal, withdrawn by the author.
    public var declined: Int
    public var converted: Int
    public var merged: Int
    public var withdrawn: Int
    /// Registered proposals that were first returned to the author and resubmitted.
    public var returnedThenResubmitted: Int
    /// Registered proposals a wrongly assigned unit returned (then reassigned).
    public var unitReturns: Int
    /// Registered proposals with a first-round reply after the deadline.
    public var repliedLate: Int
    /// Registered proposals replied within an extended deadline (on time).
    public var extended: Int
    /// First-round rating of each registered proposal (the worst of its authors); unsatisfied
    /// ones are re-handled; not evaluated ones are never rated.
    public var satisfied: Int
    public var basic: Int
    public var unsatisfied: Int
    public var notEvaluated: Int
    /// Re-handled proposals rated unsatisfied again, closed by a consultation.
    public var consultations: Int
    public var keyProposals: Int
    public var featured: [Featured]

    // Micro-suggestions (微建议).
    public var microSuggestions: Int
    /// Replied after their working-day deadline.
    public var microSuggestionsLate: Int
    /// Rejected by the office (never routed).
    public var microSuggestionsRejected: Int

    // Activities.
    public var onlineEvents: Int
    /// Member online duty days in the year (the sum of the duty_day activities' days).
    public var dutyDays: Int
    /// Units under a democratic supervision group (民主监督小组).
    public var supervisedUnits: [String]
    public var studiosOpened: Int
    /// Studios at year end; the ones before this year are dated in the three years before.
    public var studiosTotal: Int
    public var hosted: [Visit]
    public var visited: [Visit]

    /// Everything random in the fill follows from it.
    public var seed: UInt64

    public init(
        countyName: String, sectors: [String], memberCount: Int, units: [String], townships: [String],
        sessionName: String, sessionMonth: Int, sessionDay: Int, sessionDays: Int,
        filedAtSession: Int, filedBetweenSessions: Int, declined: Int, converted: Int, merged: Int, withdrawn: Int,
        returnedThenResubmitted: Int, unitReturns: Int, repliedLate: Int, extended: Int,
        satisfied: Int, basic: Int, unsatisfied: Int, notEvaluated: Int, consultations: Int,
        keyProposals: Int, featured: [Featured],
        microSuggestions: Int, microSuggestionsLate: Int, microSuggestionsRejected: Int,
        onlineEvents: Int, dutyDays: Int, supervisedUnits: [String], studiosOpened: Int, studiosTotal: Int,
        hosted: [Visit], visited: [Visit], seed: UInt64
    ) {
        self.countyName = countyName
        self.sectors = sectors
        self.memberCount = memberCount
        self.units = units
        self.townships = townships
        self.sessionName = sessionName
        self.sessionMonth = sessionMonth
        self.sessionDay = sessionDay
        self.sessionDays = sessionDays
        self.filedAtSession = filedAtSession
        self.filedBetweenSessions = filedBetweenSessions
        self.declined = declined
        self.converted = converted
        self.merged = merged
        self.withdrawn = withdrawn
        self.returnedThenResubmitted = returnedThenResubmitted
        self.unitReturns = unitReturns
        self.repliedLate = repliedLate
        self.extended = extended
        self.satisfied = satisfied
        self.basic = basic
        self.unsatisfied = unsatisfied
        self.notEvaluated = notEvaluated
        self.consultations = consultations
        self.keyProposals = keyProposals
        self.featured = featured
        self.microSuggestions = microSuggestions
        self.microSuggestionsLate = microSuggestionsLate
        self.microSuggestionsRejected = microSuggestionsRejected
        self.onlineEvents = onlineEvents
        self.dutyDays = dutyDays
        self.supervisedUnits = supervisedUnits
        self.studiosOpened = studiosOpened
        self.studiosTotal = studiosTotal
        self.hosted = hosted
        self.visited = visited
        self.seed = seed
    }

    public var filed: Int { filedAtSession + filedBetweenSessions }
    public var registered: Int { filed - declined - converted - merged - withdrawn }
    /// 耒阳市政协, 临武县政协 …
    public var committeeName: String { countyName + "政协" }

    /// Refuses a profile whose figures do not add up (the fill checks it first).
    public func validate() throws {
        func check(_ ok: Bool, _ why: String) throws {
            if !ok { throw WorkflowError("demo profile \(countyName): \(why)") }
        }
        let counts = [
            memberCount, filedAtSession, filedBetweenSessions, declined, converted, merged, withdrawn,
            returnedThenResubmitted, unitReturns, repliedLate, extended, satisfied, basic, unsatisfied, notEvaluated,
            consultations, keyProposals, microSuggestions, microSuggestionsLate, microSuggestionsRejected, onlineEvents,
            dutyDays, studiosOpened, studiosTotal,
        ]
        try check(counts.allSatisfy { $0 >= 0 }, "counts are not negative")
        try check(!countyName.isEmpty && !sectors.isEmpty && !townships.isEmpty, "name, sectors and townships are given")
        try check(Set(sectors).count == sectors.count && Set(units).count == units.count, "sectors and units are named once")
        try check(memberCount >= max(20, sectors.count * 2), "at least 20 members, two per sector")
        try check(units.count >= 8, "at least 8 handling units")
        try check(supervisedUnits.allSatisfy(units.contains), "supervised units are handling units")
        try check(featured.allSatisfy { f in units.contains(f.lead) && f.co.allSatisfy(units.contains) }, "featured units are handling units")
        try check((1...12).contains(sessionMonth) && (1...28).contains(sessionDay) && (1...10).contains(sessionDays), "the session date")
        try check(sessionMonth <= 3, "the session is held in the first quarter")
        try check(filed >= 1 && registered >= 1, "at least one proposal is registered")
        try check(returnedThenResubmitted <= registered && unitReturns <= registered && keyProposals <= registered,
                  "returned, unit-returned and key proposals are registered ones")
        try check(repliedLate + extended <= registered, "late and extended replies are of registered proposals")
        try check(satisfied + basic + unsatisfied + notEvaluated == registered,
                  "ratings (\(satisfied)+\(basic)+\(unsatisfied)+\(notEvaluated)) add up to the \(registered) registered proposals")
        try check(consultations <= unsatisfied, "consultations follow unsatisfied proposals")
        try check(microSuggestionsLate + microSuggestionsRejected <= microSuggestions, "late and rejected micro-suggestions")
        try check(dutyDays == 0 || dutyDays <= 366 * 40, "duty days")
        try check(studiosOpened <= studiosTotal, "studios opened this year are among the total")
        let studioNames = townships.count + sectors.count + memberCount
        try check(studiosTotal <= studioNames, "at most \(studioNames) studios")
        for visit in hosted + visited {
            try check((1...12).contains(visit.month) && (1...28).contains(visit.day) && !visit.peer.isEmpty, "visit \(visit.peer)")
        }
    }
}
