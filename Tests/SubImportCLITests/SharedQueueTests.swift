import Foundation
import SubImportSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Many workers, one PostgreSQL queue: three real `subimport work` processes, each with its own
/// state folder (as on three hosts), share one queue and one provider account against the real
/// sandbox injecting faults; one is killed with SIGKILL mid-run.
@Suite(
    .enabled(
        if: ScratchPostgres.isAvailable, "needs SUBIMPORT_TEST_POSTGRES_URL (scripts/test.sh starts a test cluster)"))
struct SharedQueueTests {
    let folder = TestFolder()

    /// Measures a rate: `scripts/test.sh` runs it after the other tests, on a quiet machine.
    @Test func threeWorkersOneKilledSettleEveryRowOnceAtTheSharedRate() async throws {
        let database = try ScratchPostgres()
        var configuration = SandboxConfiguration(quota: 0)
        configuration.failRate = 0.05
        configuration.ambiguousRate = 0.02
        configuration.answerDelayMs = 2
        let sandbox = try await SandboxServer.start(configuration)
        let count = 300
        let rate = 60.0
        let environment = sandboxCredentials.merging(database.environment) { $1 }
        let shared = ["--queue", database.url, "--base-url", sandbox.baseURL, "--reports", folder.file("reports")]
        let enqueued = try await CLI.run(
            ["enqueue", folder.write("shared.csv", validRows(count)), "--state", folder.file("state0")] + shared,
            environment: environment)
        #expect(enqueued.status == 0, "\(enqueued.stderr)")

        let workers = try (1...3).map { index in
            try CLI.Running(
                [
                    "work", "--state", folder.file("state\(index)"), "--rate", "\(rate)", "--burst", "1",
                    "--concurrency", "4", "--retry-base-delay", "0.05",
                ] + shared, environment: environment)
        }
        #expect(await waitUntil { sandbox.requestCount() >= count / 3 }, "\(workers[0].stderr)")
        kill(workers[0].process.processIdentifier, SIGKILL)
        _ = await workers[0].finish()
        for worker in workers.dropFirst() {
            let output = await worker.finish(timeout: 60)
            #expect(output.status == 0, "\(output.stderr)")
        }

        // Every row settled once: created, with exactly one creating attempt.
        let jobs = try database.query(
            """
            SELECT job.state, COALESCE(job.api_key, ''), COALESCE(job.note, ''), job.fields,
                (SELECT COUNT(*) FROM attempt WHERE attempt.job_id = job.id AND attempt.outcome = 'created')
            FROM job
            """)
        #expect(jobs.count == count)
        #expect(jobs.allSatisfy { $0[0] == "created" && $0[4] == "1" }, "every row created by one attempt")
        let keys = jobs.map { $0[1] }
        #expect(Set(keys).count == count, "no key is recorded twice")
        #expect(Set(keys).isSubset(of: Set(sandbox.accounts().map(\.apiKey))), "every key is one the sandbox gave")

        // An account created twice (a request in flight at the kill, or an ambiguous answer) is
        // noted on its row.
        let noted = Set(jobs.filter { $0[2].contains("possible duplicate") }.compactMap { firstName(ofFields: $0[3]) })
        let twice = Dictionary(grouping: sandbox.accounts(), by: { $0.firstName ?? "" }).filter { $0.value.count > 1 }
        #expect(Set(twice.keys).isSubset(of: noted), "duplicates without a note: \(Set(twice.keys).subtracting(noted))")

        // The three processes together kept to --rate: departures (attempts made by a worker, not
        // lease rescues), the kill included, between the 10th and the 90th percentile (the last
        // rows' retries wait for their backoff, alone, and are not a measure of the pace).
        let starts = try database.query(
            "SELECT started_at FROM attempt WHERE message IS NULL OR message NOT LIKE 'lease of %' ORDER BY started_at"
        ).compactMap { Double($0[0]) }
        let (low, high) = (starts.count / 10, starts.count * 9 / 10)
        let measured = Double(high - low) / (starts[high] - starts[low])
        #expect(abs(measured - rate) / rate <= 0.05, "aggregate rate \(measured)/s for --rate \(rate)")
        await sandbox.stop()
    }

    @Test func theOperatorCommandsOfAnyHostSeeAndPruneTheSharedQueue() async throws {
        let database = try ScratchPostgres()
        let file = folder.write("few.csv", validRows(3))
        let imported = try await CLI.run(
            [
                "import", file, "--sandbox", "--queue", database.url, "--state", folder.file("host1"), "--reports",
                folder.file("reports"),
            ], environment: database.environment)
        #expect(imported.status == 0, "\(imported.stderr)")
        // Another host (another state folder, nothing in it) sees the batch, reports and prunes it.
        let other = ["--queue", database.url, "--state", folder.file("host2")]
        let status = try await CLI.run(["status"] + other, environment: database.environment)
        #expect(status.stdout.contains("3 rows: 3 created"), "\(status.stdout)\(status.stderr)")
        let pruned = try await CLI.run(["prune", "--older-than", "0s"] + other, environment: database.environment)
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("removed batch"), "\(pruned.stdout)")
        #expect(try database.query("SELECT state FROM batch").map { $0[0] } == ["pruned"])
        #expect(try database.query("SELECT COUNT(*) FROM job") == [["0"]])
    }

    /// The first name in a job's stored fields (a JSON array whose first value is the first name).
    private func firstName(ofFields fields: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(fields.utf8)) as? [Any])?.first as? String
    }
}
