import Testing
import Workflow
import TongxinBase

func day(_ text: String) -> CalendarDate {
    // Test constants are valid dates; a typo fails the test that uses it.
    (try? CalendarDate(text)) ?? CalendarDate(daysSinceEpochUnchecked: 0)
}

extension CalendarDate {
    init(daysSinceEpochUnchecked days: Int) {
        self = (try? CalendarDate(daysSinceEpoch: days)) ?? (try! CalendarDate(year: 1970, month: 1, day: 1))
    }
}

/// Applies events in order, failing the test with the refusal if one is refused.
func run(_ events: [ProposalEvent], from state: ProposalState) throws -> ProposalState {
    try events.reduce(state) { try ProposalMachine.apply($1, to: $0) }
}

func refusal(_ event: ProposalEvent, _ state: ProposalState) -> String? {
    do {
        _ = try ProposalMachine.apply(event, to: state)
        return nil
    } catch let error as WorkflowError {
        return error.description
    } catch {
        return "\(error)"
    }
}

@Suite struct ProposalMachineTests {
    let authors: ProposalState = ProposalState(raters: ["王委员", "李委员"])
    let assignLead = ProposalEvent.assign([("城管局", .lead), ("林业局", .co)], on: day("2021-03-10"), dueOn: day("2021-06-10"))

    @Test func theWholeHappyPathEndsClosed() throws {
        var state = try run([.register, assignLead], from: authors)
        #expect(state.status == .assigned)
        #expect(state.assignments.map(\.unit) == ["城管局", "林业局"])
        state = try ProposalMachine.apply(.reply(unit: "城管局", category: .a), to: state)
        #expect(state.status == .replied)
        state = try run([.evaluate(member: "王委员", rating: .satisfied)], from: state)
        #expect(state.status == .replied)  // one author still to rate
        state = try run([.evaluate(member: "李委员", rating: .basic)], from: state)
        #expect(state.status == .closed)
        #expect(state.ratings[1] == ["王委员": .satisfied, "李委员": .basic])
    }

    @Test func theEvaluationWindowClosesOnlyAfterItsLastDay() throws {
        var replied = try run([.register, assignLead, .reply(unit: "城管局", category: .a)], from: authors)
        replied = try ProposalMachine.apply(.evaluate(member: "王委员", rating: .basic), to: replied)
        replied.evaluationWindowEnds = day("2021-07-01")
        #expect(refusal(.closeEvaluation(on: day("2021-07-01"), deemSatisfied: false), replied)
                == "cannot close-evaluation: the evaluation window runs until 2021-07-01")
        let notEvaluated = try ProposalMachine.apply(.closeEvaluation(on: day("2021-07-02"), deemSatisfied: false), to: replied)
        #expect(notEvaluated.status == .closed)
        #expect(notEvaluated.ratings[1] == ["王委员": .basic])
        let deemed = try ProposalMachine.apply(.closeEvaluation(on: day("2021-07-02"), deemSatisfied: true), to: replied)
        #expect(deemed.ratings[1] == ["王委员": .basic, "李委员": .satisfied])
        #expect(refusal(.closeEvaluation(on: day("2021-07-02"), deemSatisfied: false), notEvaluated)
                == "cannot close-evaluation: the proposal is closed, not replied")
    }

    @Test func refusedStepsSayWhyOnOneLine() throws {
        let filed = authors
        #expect(refusal(.reply(unit: "城管局", category: .a), filed) == "cannot reply: the proposal is filed, not assigned or rehandling")
        let declined = try ProposalMachine.apply(.decline(.personalMatter), to: filed)
        #expect(refusal(.register, declined) == "cannot register: the proposal is declined, not filed")
        let assigned = try run([.register, assignLead], from: filed)
        #expect(refusal(.reply(unit: "文旅广体局", category: .a), assigned) == "cannot reply: unit 文旅广体局 is not assigned to this proposal")
        #expect(refusal(.reply(unit: "林业局", category: .a), assigned) == "cannot reply: unit 林业局 co-handles: it sends its opinion to the lead unit, which replies")
        let replied = try ProposalMachine.apply(.reply(unit: "城管局", category: .b), to: assigned)
        #expect(refusal(.reply(unit: "城管局", category: .a), replied) == "cannot reply: the proposal is replied, not assigned or rehandling")
        let rated = try ProposalMachine.apply(.evaluate(member: "王委员", rating: .satisfied), to: replied)
        #expect(refusal(.evaluate(member: "王委员", rating: .basic), rated) == "cannot evaluate: member 王委员 has rated round 1 already")
        #expect(refusal(.evaluate(member: "张三", rating: .basic), rated) == "cannot evaluate: member 张三 is not an author of this proposal")
        #expect(refusal(.consult, rated) == "cannot consult: a consultation follows an unsatisfied second round")
    }

    @Test func assignmentsNeedOneLeadOrSeveralParallelUnits() throws {
        let registered = try ProposalMachine.apply(.register, to: authors)
        let (on, due) = (day("2021-03-10"), day("2021-06-10"))
        #expect(refusal(.assign([("a", .lead), ("b", .lead)], on: on, dueOn: due), registered) == "cannot assign: a proposal has one lead unit, not 2")
        #expect(refusal(.assign([("a", .lead), ("b", .parallel)], on: on, dueOn: due), registered) == "cannot assign: a lead unit and parallel units do not mix")
        #expect(refusal(.assign([("a", .parallel)], on: on, dueOn: due), registered) == "cannot assign: parallel handling needs two units or more; make a single unit the lead")
        #expect(refusal(.assign([("a", .co)], on: on, dueOn: due), registered) == "cannot assign: name a lead unit or parallel units")
        #expect(refusal(.assign([], on: on, dueOn: due), registered) == "cannot assign: name at least one unit")
        #expect(refusal(.assign([("a", .lead)], on: due, dueOn: on), registered)?.hasPrefix("cannot assign: the deadline 2021-03-10 is not after") == true)
        // Parallel units each answer their part: replied once all have.
        var state = try ProposalMachine.apply(.assign([("a", .parallel), ("b", .parallel)], on: on, dueOn: due), to: registered)
        state = try ProposalMachine.apply(.reply(unit: "a", category: .a), to: state)
        #expect(state.status == .assigned)
        state = try ProposalMachine.apply(.reply(unit: "b", category: .c), to: state)
        #expect(state.status == .replied)
    }

    @Test func anUnsatisfiedFirstRoundIsRehandledAndAnUnsatisfiedSecondNeedsAConsultation() throws {
        var state = try run([.register, assignLead, .reply(unit: "城管局", category: .c)], from: authors)
        state = try ProposalMachine.apply(.evaluate(member: "王委员", rating: .unsatisfied), to: state)
        #expect(state.status == .rehandling)
        #expect(state.round == 2)
        #expect(state.assignments.first?.replied == false)
        state = try ProposalMachine.apply(.rehandleDue(day("2021-10-10")), to: state)
        #expect(state.assignments.first?.dueOn == day("2021-10-10"))
        state = try ProposalMachine.apply(.reply(unit: "城管局", category: .b), to: state)
        #expect(state.status == .replied)
        state = try ProposalMachine.apply(.evaluate(member: "王委员", rating: .unsatisfied), to: state)
        #expect(state.status == .replied)
        #expect(state.needsConsultation)
        #expect(refusal(.evaluate(member: "李委员", rating: .satisfied), state) == "cannot evaluate: round 2 is rated; a consultation is due")
        state = try ProposalMachine.apply(.consult, to: state)
        #expect(state.status == .closed)
    }

    @Test func everyAuthorOfAMergedProposalRatesTheLeadProposalsReply() throws {
        var state = try run([.register, .absorb(authors: ["赵委员"]), assignLead, .reply(unit: "城管局", category: .a)], from: authors)
        state = try run([.evaluate(member: "王委员", rating: .satisfied), .evaluate(member: "李委员", rating: .satisfied)], from: state)
        #expect(state.status == .replied)  // 赵委员, author of the merged proposal, has not rated yet
        state = try ProposalMachine.apply(.evaluate(member: "赵委员", rating: .basic), to: state)
        #expect(state.status == .closed)
        let merged = try ProposalMachine.apply(.mergeInto(proposal: "2021-012"), to: ProposalState(raters: ["赵委员"]))
        #expect(merged.status == .merged)
        #expect(merged.mergedInto == "2021-012")
    }

    @Test func aUnitMayReturnAWrongAssignmentWithinTheWindowOnly() throws {
        let assigned = try run([.register, assignLead], from: authors)
        let returned = try ProposalMachine.apply(.unitReturn(unit: "城管局", on: day("2021-03-15"), windowEnds: day("2021-03-20")), to: assigned)
        #expect(returned.status == .registered)  // no answering unit left: assign again
        #expect(refusal(.unitReturn(unit: "城管局", on: day("2021-03-25"), windowEnds: day("2021-03-20")), assigned) == "cannot unit-return: the return window ended on 2021-03-20")
        let coReturned = try ProposalMachine.apply(.unitReturn(unit: "林业局", on: day("2021-03-15"), windowEnds: day("2021-03-20")), to: assigned)
        #expect(coReturned.status == .assigned)
        let reassigned = try ProposalMachine.apply(.assign([("应急管理局", .lead)], on: day("2021-03-16"), dueOn: day("2021-06-16")), to: returned)
        #expect(reassigned.activeAssignments.map(\.unit) == ["林业局", "应急管理局"])
    }

    @Test func extensionsGoUpToTheMaximumOnly() throws {
        let assigned = try run([.register, assignLead], from: authors)
        let extended = try ProposalMachine.apply(.extend(unit: "城管局", newDue: day("2021-09-10"), maximum: day("2021-09-10")), to: assigned)
        #expect(extended.assignments.first?.dueOn == day("2021-09-10"))
        #expect(extended.assignments.first?.extended == true)
        #expect(refusal(.extend(unit: "城管局", newDue: day("2021-09-11"), maximum: day("2021-09-10")), assigned) == "cannot extend: the longest extension ends on 2021-09-10")
    }

    @Test func withdrawingAndResubmittingFollowTheRules() throws {
        let returned = try ProposalMachine.apply(.returnToAuthor, to: authors)
        #expect(try ProposalMachine.apply(.resubmit, to: returned).status == .filed)
        #expect(try ProposalMachine.apply(.withdraw, to: returned).status == .withdrawn)
        let assigned = try run([.register, assignLead], from: authors)
        #expect(refusal(.withdraw, assigned) == "cannot withdraw: the proposal is assigned, not filed or returned or registered")
        let key = try ProposalMachine.apply(.markKey, to: assigned)
        #expect(key.key)
        #expect(refusal(.markKey, key) == "cannot mark-key: the proposal is a key proposal already")
    }
}

@Suite struct WorkCalendarTests {
    // 2021 National Day: 1-7 October off; Sunday 26 September and Saturday 9 October worked (调休).
    let china2021 = WorkCalendar(
        counting: .working,
        holidays: Set(["2021-10-01", "2021-10-04", "2021-10-05", "2021-10-06", "2021-10-07"].map(day)),
        makeUpWorkdays: [day("2021-09-26"), day("2021-10-09")])

    @Test func workingDaysSkipWeekendsAndHolidaysAndCountMakeUpDays() throws {
        #expect(china2021.isWorkingDay(day("2021-09-26")))  // Sunday, made up
        #expect(!china2021.isWorkingDay(day("2021-10-04")))  // Monday, holiday
        #expect(!china2021.isWorkingDay(day("2021-10-02")))  // Saturday
        #expect(china2021.isWorkingDay(day("2021-10-09")))  // Saturday, made up
        // 15 working days for a micro-suggestion filed on Friday 24 September 2021:
        // 26, 27, 28, 29, 30 Sep, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20 Oct.
        #expect(try china2021.adding(workingDays: 15, to: day("2021-09-24")) == day("2021-10-20"))
        let plain = WorkCalendar(counting: .calendar)
        #expect(try plain.adding(days: 15, to: day("2021-09-24")) == day("2021-10-09"))
        #expect(try china2021.adding(days: 0, to: day("2021-09-24")) == day("2021-09-24"))
        #expect(throws: WorkflowError.self) { try china2021.adding(days: -1, to: day("2021-09-24")) }
    }

    @Test func monthDeadlinesClampToTheMonthAndMoveToTheNextWorkingDay() throws {
        let plain = WorkCalendar(counting: .calendar)
        #expect(try plain.adding(months: 3, to: day("2021-11-30")) == day("2022-02-28"))
        // 3 months after 1 July is Friday 1 October, a holiday: the next working day is 8 October.
        #expect(try china2021.adding(months: 3, to: day("2021-07-01")) == day("2021-10-08"))
        #expect(try plain.adding(months: 3, to: day("2021-07-01")) == day("2021-10-01"))
    }
}

@Suite struct AcknowledgeTests {
    let assigned: ProposalState = {
        let state = ProposalState(raters: ["王委员"])
        return (try? run([.register, .assign([("城管局", .lead), ("林业局", .co)], on: day("2021-03-10"), dueOn: day("2021-06-10"))], from: state))
            ?? state
    }()

    @Test func aUnitAcknowledgesItsAssignmentOnceWhileTheProposalIsHandled() throws {
        let next = try ProposalMachine.apply(.acknowledge(unit: "林业局"), to: assigned)
        #expect(next.status == .assigned && next.assignments.map(\.acknowledged) == [false, true])
        #expect(refusal(.acknowledge(unit: "林业局"), next) == "cannot acknowledge: unit 林业局 acknowledged it already")
        #expect(refusal(.acknowledge(unit: "教育局"), assigned) == "cannot acknowledge: unit 教育局 is not assigned to this proposal")
        #expect(refusal(.acknowledge(unit: "城管局"), ProposalState(raters: ["王委员"]))?.hasPrefix("cannot acknowledge: the proposal is filed") == true)
    }
}

@Suite struct ExtensionRequestTests {
    let assigned: ProposalState = {
        let state = ProposalState(raters: ["王委员"])
        return (try? run([.register, .assign([("城管局", .lead), ("林业局", .co)], on: day("2021-03-10"), dueOn: day("2021-06-10"))], from: state))
            ?? state
    }()

    @Test func aReplyingUnitAsksOnceWithinTheMaximumAndTheOfficeDecides() throws {
        let asked = try ProposalMachine.apply(.requestExtension(unit: "城管局", until: day("2021-08-10"), maximum: day("2021-09-10")), to: assigned)
        #expect(asked.assignments[0].extensionRequestedUntil == day("2021-08-10") && asked.assignments[0].dueOn == day("2021-06-10"))
        #expect(refusal(.requestExtension(unit: "城管局", until: day("2021-08-20"), maximum: day("2021-09-10")), asked)
            == "cannot request-extension: unit 城管局 asked for an extension already (until 2021-08-10); the office has not decided")
        #expect(refusal(.requestExtension(unit: "林业局", until: day("2021-08-10"), maximum: day("2021-09-10")), assigned)
            == "cannot request-extension: unit 林业局 is a co-handling unit: its view has no extension")
        #expect(refusal(.requestExtension(unit: "城管局", until: day("2021-10-10"), maximum: day("2021-09-10")), assigned)
            == "cannot request-extension: the longest extension ends on 2021-09-10")
        #expect(refusal(.requestExtension(unit: "城管局", until: day("2021-06-01"), maximum: day("2021-09-10")), assigned)?
            .hasPrefix("cannot request-extension: the deadline asked for, 2021-06-01, is not after") == true)
        let approved = try ProposalMachine.apply(.extend(unit: "城管局", newDue: day("2021-08-10"), maximum: day("2021-09-10")), to: asked)
        #expect(approved.assignments[0].dueOn == day("2021-08-10") && approved.assignments[0].extensionRequestedUntil == nil)
        let refused = try ProposalMachine.apply(.refuseExtension(unit: "城管局"), to: asked)
        #expect(refused.assignments[0].extensionRequestedUntil == nil && refused.assignments[0].dueOn == day("2021-06-10"))
        #expect(refusal(.refuseExtension(unit: "城管局"), refused) == "cannot refuse-extension: unit 城管局 has no extension request awaiting a decision")
    }
}
