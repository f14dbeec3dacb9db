import Foundation
import GRDB
import SubImport
import SubImportSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Group commit (many answers journaled with one sync, recorded in one transaction) and batched
/// claims under a crash: the real binary, killed with SIGKILL mid-run under load against the
/// real sandbox, then resumed.
@Suite struct GroupCommitCrashTests {
    let folder = TestFolder()
    var state: String { folder.file("state") }

    @Test func aRunKilledMidGroupSettlesEveryRowOnceAndNotesEveryDuplicate() async throws {
        var configuration = SandboxConfiguration(quota: 0)
        // The account exists a little before its answer leaves: a kill finds answers in flight.
        configuration.answerDelayMs = 3
        let sandbox = try await SandboxServer.start(configuration)
        let count = 400
        let file = folder.write("load.csv", validRows(count))
        let arguments = [
            "--base-url", sandbox.baseURL, "--state", state, "--reports", folder.file("reports"), "--rate", "0",
            "--concurrency", "16",
        ]
        let run = try CLI.Running(["import", file] + arguments, environment: sandboxCredentials)
        #expect(await waitUntil { sandbox.accounts().count >= count / 4 }, "\(run.stderr)")
        kill(run.process.processIdentifier, SIGKILL)
        _ = await run.finish()
        let next = try await CLI.run(["work"] + arguments, environment: sandboxCredentials)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("rescued"), "the kill left rows in flight: \(next.stderr)")

        // Every row settled once: one settling attempt per job, every job created.
        let database = try DatabaseQueue(path: state + "/queue.sqlite")
        let settlements = try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT job.fields, job.state, job.api_key, job.note,
                        (SELECT COUNT(*) FROM attempt WHERE attempt.job_id = job.id AND attempt.outcome = 'created') AS created
                    FROM job
                    """)
        }
        #expect(settlements.count == count)
        #expect(settlements.allSatisfy { ($0["state"] as String) == "created" && ($0["created"] as Int) == 1 })

        // Every account the sandbox created is in the queue at most once, with its key; a row
        // whose account exists twice carries a `possible duplicate` note.
        let keys = settlements.compactMap { $0["api_key"] as String? }
        #expect(Set(keys).count == count, "no key is recorded twice")
        let sandboxKeys = Set(sandbox.accounts().map(\.apiKey))
        #expect(Set(keys).isSubset(of: sandboxKeys), "every recorded key is one the sandbox gave")
        let accountsByName = Dictionary(grouping: sandbox.accounts(), by: { $0.firstName ?? "" })
        let notes = Dictionary(
            uniqueKeysWithValues: try settlements.map { row in
                let fields = try JSONSerialization.jsonObject(with: Data((row["fields"] as String).utf8)) as? [Any]
                return ((fields?.first as? String) ?? "", (row["note"] as String?) ?? "")
            })
        for (name, accounts) in accountsByName where accounts.count > 1 {
            #expect(notes[name]?.contains("possible duplicate") == true, "\(name) exists twice without a note")
        }
        #expect(accountsByName.count == count, "every row's account exists")
        await sandbox.stop()
    }
}
