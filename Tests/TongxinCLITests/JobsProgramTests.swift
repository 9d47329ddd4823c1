import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct JobsProgramTests {
    @Test func operatorsEnqueueDrainInspectAndRetryJobs() async throws {
        try await TestDatabase.withDatabase { configuration in
            let env = ["DATABASE_URL": Programs.url(configuration)]
            #expect(try await Programs.run("tongxin", ["migrate", "up"], environment: env).status == 0)
            let enqueued = try await Programs.run("tongxin", ["jobs", "enqueue", "noop", "--count", "5"], environment: env)
            #expect(enqueued.status == 0)
            #expect(enqueued.output.hasPrefix("enqueued 5 noop jobs on queue default in "))
            let failing = try await Programs.run(
                "tongxin", ["jobs", "enqueue", "noop", "--args", #"{"fail_attempts": 1}"#, "--max-attempts", "1", "--queue", "mail"], environment: env)
            #expect(failing.status == 0)
            let drained = try await Programs.run("tongxin-worker", ["--drain", "--log-level", "error"], environment: env)
            #expect(drained.status == 0, "\(drained.output)")
            let stats = try await Programs.run("tongxin", ["jobs", "stats", "--format", "csv"], environment: env)
            #expect(stats.output == [
                "queue,available,due,running,completed,cancelled,dead,oldest due (s)",
                "default,0,0,0,5,0,0,0.0",
                "mail,0,0,0,0,0,1,0.0",
            ].map { $0 + "\r\n" }.joined())
            let dead = try await Programs.run("tongxin", ["jobs", "dead", "--format", "json"], environment: env)
            let records = try JSONSerialization.jsonObject(with: Data(dead.output.utf8)) as? [[String: Any]] ?? []
            #expect(records.count == 1)
            #expect(records.first?["last_error"] as? String == "noop: failing attempt 1 of the first 1, as asked")
            let id = records.first?["id"] as? Int ?? 0
            let retried = try await Programs.run("tongxin", ["jobs", "retry", "\(id)"], environment: env)
            #expect(retried.lines == ["job \(id) (noop) is available again"])
            let cancelled = try await Programs.run("tongxin", ["jobs", "cancel", "\(id)"], environment: env)
            #expect(cancelled.lines == ["job \(id) (noop) cancelled"])
            let again = try await Programs.run("tongxin", ["jobs", "cancel", "\(id)"], environment: env)
            #expect(again.status == 1)
            #expect(again.lines == ["tongxin: job \(id) is cancelled, not available or dead"])
        }
    }

    @Test func badJobArgumentsGetOneLineAndWriteNothing() async throws {
        try await TestDatabase.withDatabase { configuration in
            let env = ["DATABASE_URL": Programs.url(configuration)]
            #expect(try await Programs.run("tongxin", ["migrate", "up"], environment: env).status == 0)
            let cases: [([String], String)] = [
                (["jobs", "enqueue", "Bad Kind"], "tongxin: kind: \"Bad Kind\" is not a valid kind name"),
                (["jobs", "enqueue", "noop", "--args", "[1]"], "tongxin: --args: not a JSON object"),
                (["jobs", "enqueue", "noop", "--run-at", "tomorrow"], "tongxin: --run-at: \"tomorrow\" is not a date or time like 2021-03-01 or 2021-03-01T09:30:00+08:00"),
                (["jobs", "list", "--state", "sleeping"], "tongxin: --state: \"sleeping\" is not one of available, running, completed, cancelled, dead"),
                (["jobs", "retry", "424242"], "tongxin: no job 424242"),
                (["notifications", "list", "--state", "lost"], "tongxin: --state: \"lost\" is not pending or delivered"),
            ]
            for (arguments, line) in cases {
                let outcome = try await Programs.run("tongxin", arguments, environment: env)
                #expect(outcome.status == 1, "\(arguments)")
                #expect(outcome.lines == [line])
            }
            let count = try await PostgresConnection.withConnection(configuration: configuration) {
                try await $0.query("SELECT count(*) FROM tongxin.job").single().decode(Int.self)
            }
            #expect(count == 0)
        }
    }
}

@Suite struct WorkerLogAndOutboxProgramTests {
    @Test func theWorkerLogsJSONLinesWhenAsked() async throws {
        try await TestDatabase.withDatabase { configuration in
            let env = ["DATABASE_URL": Programs.url(configuration)]
            #expect(try await Programs.run("tongxin", ["migrate", "up"], environment: env).status == 0)
            let outcome = try await Programs.run("tongxin-worker", ["--drain", "--log-format", "json"], environment: env)
            #expect(outcome.status == 0)
            let objects = outcome.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
            #expect(objects.count == outcome.lines.count)
            #expect(objects.contains { $0["message"] == "ready" && $0["level"] == "info" && $0["label"] == "tongxin.worker" })
        }
    }

    @Test func notificationsListShowsTheOutbox() async throws {
        try await TestDatabase.withDatabase { configuration in
            let env = ["DATABASE_URL": Programs.url(configuration)]
            #expect(try await Programs.run("tongxin", ["migrate", "up"], environment: env).status == 0)
            try await PostgresConnection.withConnection(configuration: configuration) { c in
                try await c.query("""
                    INSERT INTO tongxin.notification (county, kind, recipient, subject, message, idempotency_key, created_at) VALUES
                        ('leiyang', 'deadline.overdue', '城管局', '2021-001', '办理期限已过。', 'a', '2021-06-11 00:00+08'),
                        ('linwu', 'deadline.remind', '林业局', '2021-002', '请按时答复。', 'b', '2021-05-26 09:00+08')
                    """)
            }
            let listed = try await Programs.run("tongxin", ["notifications", "list", "--county", "leiyang", "--format", "json"], environment: env)
            #expect(listed.status == 0)
            let rows = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]] ?? []
            #expect(rows.count == 1)
            #expect(rows.first?["recipient"] as? String == "城管局")
            #expect(rows.first?["created_at"] as? String == "2021-06-11T00:00:00+08:00")
            #expect(rows.first?["state"] as? String == "pending")
        }
    }
}
