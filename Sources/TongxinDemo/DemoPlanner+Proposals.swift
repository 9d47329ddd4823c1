import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

extension DemoPlanner {
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

    func fallbackUnits(_ category: ProposalCategory) -> [String] {
        let preferred: [ProposalCategory: String] = [
            .economy: "发改局", .urbanRural: "住建局", .livelihood: "民政局", .educationCulture: "教育局",
            .ecology: "生态环境局", .agriculture: "农业农村局", .politicsLaw: "公安局", .other: "财政局",
        ]
        if let unit = preferred[category], profile.units.contains(unit) { return [unit] }
        return Array(profile.units.prefix(1))
    }

    /// Picks the kind and the authors.
    mutating func authors(_ draft: inout DemoDraft, featured: Bool = false, individual: Bool = false, avoiding: [String] = []) {
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

    mutating func file(_ draft: DemoDraft) {
        add(draft.filed, .file(draft.index, NewProposal(
            title: draft.title, body: body(draft.phrase), category: draft.category, kind: draft.kind, lead: draft.lead,
            coAuthors: draft.co, sessionYear: year)))
    }

    /// The day reviews start from: after the session, or after a between-session filing.
    func reviewBase(_ draft: DemoDraft) -> CalendarDate { draft.atSession ? closed : draft.filed.day }

    func replyCategory(_ rating: Rating?, _ rng: inout SplitMix64) -> ReplyCategory {
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
    mutating func planRegistered(_ draft: DemoDraft) throws -> (registered: Moment, firstRating: Moment?) {
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
    mutating func rateAll(_ p: Int, raters: [String], worst: Rating, after: Moment) throws -> Moment? {
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
    mutating func planOther(_ draft: DemoDraft, target: DemoDraft?) throws {
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
}
