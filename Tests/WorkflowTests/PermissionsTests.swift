import Testing
import Workflow

@Suite struct PermissionsTests {
    let member = Principal(login: "zhang.san", role: .member, counties: ["a"], memberID: 1)
    let otherMember = Principal(login: "li.si", role: .member, counties: ["a"], memberID: 2)
    let lead = Principal(login: "unit.zj", role: .unit, counties: ["a"], unitID: 10)
    let co = Principal(login: "unit.cz", role: .unit, counties: ["a"], unitID: 11)
    let stranger = Principal(login: "unit.jy", role: .unit, counties: ["a"], unitID: 12)
    let staff = Principal(login: "staff.wang", role: .staff, counties: ["a"])
    let supervisor = Principal(login: "du.ban", role: .supervisor, counties: ["a"])
    let leader = Principal(login: "city", role: .leader, counties: ["a", "b"])
    let op = Principal(login: "ops", role: .operator, counties: [])
    var proposal: Target { Target(county: "a", authors: [1], units: [10: .lead, 11: .co]) }
    var elsewhere: Target { Target(county: "b", authors: [1], units: [10: .lead]) }

    func allowed(_ p: Principal, _ op: Action, _ t: Target) -> Bool { Permissions.may(p, op, t).isAllowed }

    @Test func aMemberActsOnTheirOwnProposalsOnly() {
        for operation in [Action.fileProposal, .withdrawProposal, .resubmitProposal, .evaluateProposal, .readProposal] {
            #expect(allowed(member, operation, proposal), "\(operation)")
            #expect(!allowed(otherMember, operation, proposal), "\(operation)")
        }
        for operation in [Action.reviewProposal, .assignProposal, .replyProposal, .evaluateOnBehalf, .markKey, .manageAccounts] {
            #expect(!allowed(member, operation, proposal), "\(operation)")
        }
        #expect(!allowed(member, .readProposal, elsewhere))  // the same member id in another county is another member
    }

    @Test func aUnitAnswersItsOwnAssignmentsAndNeverRates() {
        #expect(allowed(lead, .replyProposal, proposal) && allowed(lead, .returnAssignment, proposal) && allowed(lead, .readProposal, proposal))
        #expect(!allowed(lead, .giveOpinion, proposal))
        #expect(allowed(co, .giveOpinion, proposal) && !allowed(co, .replyProposal, proposal))
        #expect(!allowed(stranger, .readProposal, proposal) && !allowed(stranger, .replyProposal, proposal))
        for rating in [Action.evaluateProposal, .evaluateOnBehalf, .evaluateSuggestion, .evaluateSuggestionOnBehalf] {
            #expect(!allowed(lead, rating, proposal))
        }
        #expect(Permissions.may(lead, .evaluateProposal, proposal) == .refused("not allowed: unit.zj (unit) may not proposal.evaluate: a handling unit never rates"))
    }

    @Test func staffRunTheirCountyAndEnterOthersActsOnlyOnBehalf() {
        for operation in [Action.reviewProposal, .assignProposal, .extendDeadline, .consult, .markKey, .manageReference, .importData, .backdate,
                          .evaluateOnBehalf, .replyOnBehalf, .readAudit, .verifyAudit] {
            #expect(allowed(staff, operation, proposal), "\(operation)")
            #expect(!allowed(staff, operation, elsewhere), "\(operation)")
        }
        #expect(!allowed(staff, .evaluateProposal, proposal) && !allowed(staff, .replyProposal, proposal))
        #expect(!allowed(staff, .manageCounties, .deployment) && !allowed(staff, .replay, Target(county: "a", training: true)))
    }

    @Test func aSupervisorSupervisesALeaderReadsAnOperatorRunsTheDeployment() {
        #expect(allowed(supervisor, .supervise, proposal) && allowed(supervisor, .readProposal, proposal) && !allowed(supervisor, .assignProposal, proposal))
        #expect(allowed(leader, .readReports, proposal) && allowed(leader, .readReports, elsewhere) && allowed(leader, .compareCounties, elsewhere))
        #expect(!allowed(leader, .reviewProposal, proposal) && !allowed(leader, .readAudit, proposal))
        #expect(!allowed(leader, .readReports, Target(county: "c")))
        for operation in [Action.manageCounties, .runMigrations, .manageJobs, .manageAccounts, .exchange, .verifyAudit, .readReports] {
            #expect(allowed(op, operation, .deployment) || allowed(op, operation, proposal), "\(operation)")
        }
        #expect(!allowed(op, .reviewProposal, proposal) && !allowed(op, .readProposal, proposal))
        #expect(allowed(op, .replay, Target(county: "a", training: true)) && !allowed(op, .replay, proposal))
        // In a demo or training county the operator replays every role's acts.
        #expect(allowed(op, .evaluateProposal, Target(county: "a", training: true)) && allowed(op, .replyProposal, Target(county: "a", training: true)))
        #expect(allowed(.worker, .clockStep, proposal) && !allowed(.worker, .reviewProposal, proposal) && !allowed(staff, .clockStep, proposal))
    }

    @Test func anOperatorActingForAnAccountHasThatAccountsRightsAndIsRecorded() {
        let typed = member.actedFor(by: "pg:postgres")
        #expect(typed.enteredBy == "pg:postgres" && allowed(typed, .evaluateProposal, proposal) && !allowed(typed, .assignProposal, proposal))
        #expect(typed.described == "zhang.san (member), entered by pg:postgres")
    }
}
