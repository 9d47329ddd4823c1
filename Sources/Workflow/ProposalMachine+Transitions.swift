import TongxinBase

/// The proposal workflow's rules: given a state and an event, the next state or a refusal
/// that says why, on one line. Pure: no I/O, no clock (dates come with the events).
public enum ProposalMachine {
    public static func apply(_ event: ProposalEvent, to state: ProposalState) throws -> ProposalState {
        var next = state
        func refuse(_ why: String) -> WorkflowError {
            WorkflowError("cannot \(event.name): \(why)")
        }
        func require(_ allowed: ProposalStatus...) throws {
            guard allowed.contains(state.status) else {
                throw refuse("the proposal is \(state.status.rawValue), not \(allowed.map(\.rawValue).joined(separator: " or "))")
            }
        }
        /// The assignment of a unit that may reply now (assigned, answering, not replied or
        /// waiting for review in this round).
        func replyingUnit(_ unit: String) throws -> Int {
            try require(.assigned, .rehandling)
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw refuse("unit \(unit) is not assigned to this proposal")
            }
            guard state.assignments[index].role.replies else {
                throw refuse("unit \(unit) co-handles: it sends its opinion to the lead unit, which replies")
            }
            guard !state.assignments[index].replied else { throw refuse("unit \(unit) has replied already in this round") }
            guard !state.assignments[index].awaitingReview else { throw refuse("unit \(unit)'s reply awaits review already") }
            return index
        }

        switch event {
        case .register:
            try require(.filed)
            next.status = .registered
        case .decline:
            try require(.filed)
            next.status = .declined
        case .convert:
            try require(.filed)
            next.status = .converted
        case .mergeInto(let target):
            try require(.filed)
            next.status = .merged
            next.mergedInto = target
        case .returnToAuthor:
            try require(.filed)
            next.status = .returned
        case .resubmit:
            try require(.returned)
            next.status = .filed
        case .withdraw:
            try require(.filed, .returned, .registered)
            next.status = .withdrawn

        case .assign(let units, let day, let due):
            try require(.registered, .assigned)
            guard !units.isEmpty else { throw refuse("name at least one unit") }
            guard due > day else { throw refuse("the deadline \(due) is not after the assignment on \(day)") }
            let active = state.activeAssignments
            var all = active
            for (unit, role) in units {
                guard !all.contains(where: { $0.unit == unit }) else { throw refuse("unit \(unit) is already assigned") }
                all.append(AssignmentState(unit: unit, role: role, assignedOn: day, dueOn: due))
            }
            let leads = all.filter { $0.role == .lead }.count
            let parallels = all.filter { $0.role == .parallel }.count
            if leads > 1 { throw refuse("a proposal has one lead unit, not \(leads)") }
            if leads == 1, parallels > 0 { throw refuse("a lead unit and parallel units do not mix") }
            if leads == 0, parallels == 0 { throw refuse("name a lead unit or parallel units") }
            if leads == 0, parallels == 1 { throw refuse("parallel handling needs two units or more; make a single unit the lead") }
            if leads == 0, all.contains(where: { $0.role == .co }) {
                throw refuse("co-handling units work with a lead unit")
            }
            next.assignments = state.assignments + all.dropFirst(active.count)
            next.status = .assigned

        case .unitReturn(let unit, let day, let windowEnds):
            try require(.assigned)
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw refuse("unit \(unit) is not assigned")
            }
            guard !state.assignments[index].replied else { throw refuse("unit \(unit) has replied already") }
            guard day <= windowEnds else { throw refuse("the return window ended on \(windowEnds)") }
            next.assignments[index].returned = true
            // Without an answering unit the office must assign again.
            if !next.activeAssignments.contains(where: { $0.role.replies }) {
                next.status = .registered
            }

        case .extend(let unit, let newDue, let maximum):
            try require(.assigned, .rehandling)
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw refuse("unit \(unit) is not assigned")
            }
            guard !state.assignments[index].replied else { throw refuse("unit \(unit) has replied already") }
            guard newDue > state.assignments[index].dueOn else {
                throw refuse("the new deadline \(newDue) is not after the current one \(state.assignments[index].dueOn)")
            }
            guard newDue <= maximum else { throw refuse("the longest extension ends on \(maximum)") }
            next.assignments[index].dueOn = newDue
            next.assignments[index].extended = true
            next.assignments[index].extensionRequestedUntil = nil

        case .requestExtension(let unit, let until, let maximum):
            try require(.assigned, .rehandling)
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw refuse("unit \(unit) is not assigned")
            }
            let assignment = state.assignments[index]
            guard assignment.role.replies else { throw refuse("unit \(unit) is a co-handling unit: its view has no extension") }
            guard !assignment.replied else { throw refuse("unit \(unit) has replied already") }
            if let pending = assignment.extensionRequestedUntil {
                throw refuse("unit \(unit) asked for an extension already (until \(pending)); the office has not decided")
            }
            guard until > assignment.dueOn else { throw refuse("the deadline asked for, \(until), is not after the current one \(assignment.dueOn)") }
            guard until <= maximum else { throw refuse("the longest extension ends on \(maximum)") }
            next.assignments[index].extensionRequestedUntil = until

        case .refuseExtension(let unit):
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned && $0.extensionRequestedUntil != nil }) else {
                throw refuse("unit \(unit) has no extension request awaiting a decision")
            }
            next.assignments[index].extensionRequestedUntil = nil

        case .reply(let unit, let category):
            let index = try replyingUnit(unit)
            next.assignments[index].replied = true
            next.assignments[index].replyCategory = category
            if next.activeAssignments.filter({ $0.role.replies }).allSatisfy(\.replied) {
                next.status = .replied
            }

        case .submitReply(let unit, _):
            next.assignments[try replyingUnit(unit)].awaitingReview = true

        case .approveReply(let unit, let category):
            try require(.assigned, .rehandling)
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned && $0.awaitingReview }) else {
                throw refuse("no reply of unit \(unit) awaits review")
            }
            next.assignments[index].awaitingReview = false
            next.assignments[index].replied = true
            next.assignments[index].replyCategory = category
            if next.activeAssignments.filter({ $0.role.replies }).allSatisfy(\.replied) {
                next.status = .replied
            }

        case .sendBackReply(let unit):
            try require(.assigned, .rehandling)
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned && $0.awaitingReview }) else {
                throw refuse("no reply of unit \(unit) awaits review")
            }
            next.assignments[index].awaitingReview = false

        case .evaluate(let member, let rating, let day):
            try require(.replied)
            guard !state.needsConsultation else { throw refuse("round \(state.round) is rated; a consultation is due") }
            if let day, let ends = state.evaluationWindowEnds, day > ends {
                throw refuse("the evaluation window ended on \(ends)")
            }
            guard state.raters.contains(member) else { throw refuse("member \(member) is not an author of this proposal") }
            guard state.ratings[state.round]?[member] == nil else {
                throw refuse("member \(member) has rated round \(state.round) already")
            }
            next.ratings[state.round, default: [:]][member] = rating
            let round = next.ratings[state.round] ?? [:]
            if rating == .unsatisfied {
                if state.round == 1 {
                    // Re-handling starts; `rehandleDue` sets the new deadlines.
                    next.status = .rehandling
                    next.round = 2
                    for i in next.assignments.indices where next.assignments[i].role.replies && !next.assignments[i].returned {
                        next.assignments[i].replied = false
                        next.assignments[i].replyCategory = nil
                    }
                } else {
                    next.needsConsultation = true
                }
            } else if state.raters.isSubset(of: Set(round.keys)) {
                next.status = .closed
            }

        case .rehandleDue(let due):
            try require(.rehandling)
            for i in next.assignments.indices where next.assignments[i].role.replies && !next.assignments[i].returned {
                guard due > next.assignments[i].assignedOn else { throw refuse("the new deadline \(due) is before the assignment") }
                next.assignments[i].dueOn = due
                next.assignments[i].extended = false
            }

        case .coOpinion(let unit):
            try require(.assigned, .rehandling)
            guard state.activeAssignments.contains(where: { $0.unit == unit && $0.role == .co }) else {
                throw refuse("unit \(unit) is not a co-handling unit of this proposal")
            }

        case .acknowledge(let unit):
            try require(.assigned, .rehandling)
            guard let index = state.assignments.firstIndex(where: { $0.unit == unit && !$0.returned }) else {
                throw refuse("unit \(unit) is not assigned to this proposal")
            }
            guard !state.assignments[index].acknowledged else { throw refuse("unit \(unit) acknowledged it already") }
            next.assignments[index].acknowledged = true

        case .supervise:
            guard state.key else { throw refuse("only key proposals are supervised; mark it key first") }
            guard ![.withdrawn, .declined, .converted, .merged, .returned, .closed].contains(state.status) else {
                throw refuse("the proposal is \(state.status.rawValue)")
            }

        case .consult:
            guard state.status == .replied, state.needsConsultation else {
                throw refuse("a consultation follows an unsatisfied second round")
            }
            next.needsConsultation = false
            next.status = .closed

        case .markKey:
            guard ![.withdrawn, .declined, .converted, .merged, .returned].contains(state.status) else {
                throw refuse("the proposal is \(state.status.rawValue)")
            }
            guard !state.key else { throw refuse("the proposal is a key proposal already") }
            next.key = true

        case .closeEvaluation(let day, let deemSatisfied):
            try require(.replied)
            guard !state.needsConsultation else { throw refuse("round \(state.round) is rated; a consultation is due") }
            guard let ends = state.evaluationWindowEnds else { throw refuse("the proposal has no evaluation window") }
            guard day > ends else { throw refuse("the evaluation window runs until \(ends)") }
            if deemSatisfied {
                for member in state.raters where state.ratings[state.round]?[member] == nil {
                    next.ratings[state.round, default: [:]][member] = .satisfied
                }
            }
            next.status = .closed

        case .absorb(let authors):
            try require(.registered, .assigned, .replied, .rehandling)
            guard state.ratings.isEmpty else { throw refuse("rating has begun; merge before the reply is rated") }
            next.raters.formUnion(authors)
        }
        return next
    }
}
