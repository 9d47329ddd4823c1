import CountiesTestSupport
import Foundation
import JobQueue
import PostgresClient
import Testing

@Suite struct PendingWritesTests {
    @Test func statementsKeepTheirOrderAndJobsFollowInOneInsert() async throws {
        try await withQueue { _, pool in
            try await pool.withConnection { c in
                try await c.query("CREATE TABLE public.seen (n int)")
                let first = PendingWrites()
                first.later("INSERT INTO public.seen VALUES (1)")
                try first.enqueue([NewJob(kind: "noop", dedupeKey: "a")])
                let second = PendingWrites()
                second.later(["INSERT INTO public.seen VALUES (2)", "INSERT INTO public.seen VALUES (3)"])
                try second.enqueue([NewJob(kind: "noop", dedupeKey: "b")])
                first.absorb(second)
                #expect(second.isEmpty)
                let queries = try first.queries()
                #expect(first.isEmpty)
                #expect(queries.count == 5, "three statements, one insert of both jobs, one announcement of their queue")
                try await c.withTransaction { tx in _ = try await tx.commit(after: queries) }
                let seen = try await c.query("SELECT n FROM public.seen ORDER BY n").decode(Int.self)
                #expect(seen == [1, 2, 3])
                let jobs = try await c.query("SELECT dedupe_key FROM tongxin.job ORDER BY dedupe_key").decode(String.self)
                #expect(jobs == ["a", "b"])
            }
        }
    }

    @Test func aBadJobIsRefusedWhenAddedNotAtTheCommit() {
        let writes = PendingWrites()
        #expect(throws: JobError.self) { try writes.enqueue([NewJob(kind: "no spaces allowed")]) }
        #expect(writes.isEmpty)
    }
}
