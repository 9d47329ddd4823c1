import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

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
