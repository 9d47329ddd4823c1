import Counties
import Foundation
import JobQueue
import Testing
import TongxinBase
@testable import WorkflowStore

@Suite struct BatchTests {
    private func entry(_ county: CountyCode, _ entity: String, _ id: String) -> WorkflowStore.Batch.Item {
        .audit(WorkflowStore.Batch.AuditItem(
            schema: county.schema, actor: "test", entity: entity, id: id, action: "file", detail: [:], at: Date()))
    }

    @Test func theYearsOfAuditedChangesOutliveADrainAsAnImportFlushesRowByRow() throws {
        let county = try CountyCode("leiyang")
        let batch = WorkflowStore.Batch(county: county, today: try CalendarDate("2026-12-05"))
        batch.append(entry(county, "proposal", "2021-001"))
        let writes = PendingWrites()
        try batch.drain(into: writes)
        #expect(!writes.isEmpty)
        #expect(batch.auditedYears == [2021], "drained, still asked for")
        batch.append(entry(county, "suggestion", "W2022-003"))
        batch.append(entry(county, "member", "7"))
        #expect(batch.auditedYears == [2021, 2022, 2026], "a micro-suggestion by its number, a member by the day")
        batch.discard()
        #expect(batch.auditedYears == [2021])
    }
}
