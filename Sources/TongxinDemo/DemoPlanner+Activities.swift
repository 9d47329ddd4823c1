import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

extension DemoPlanner {
    // MARK: Activities

    mutating func activity(_ at: Moment, _ kind: ActivityKind, on day: CalendarDate, member: String? = nil,
                                   unit: String? = nil, peer: String? = nil, days: Int = 1, note: String) {
        add(at, .activity(kind, on: day, member: member, unit: unit, peer: peer, days: days, note: note))
        activityCount += 1
    }

    /// `count` days spread evenly from `first` to `last`, one at random in each stretch.
    mutating func spread(_ count: Int, from first: CalendarDate, to last: CalendarDate) throws -> [CalendarDate] {
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

extension Array {
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

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
