import Foundation
import SubImport
import SubImportSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several `watch` processes on one inbox: two real `subimport watch` processes with their own
/// state folders (as on two hosts) share one inbox folder, one PostgreSQL queue and one provider
/// (the real sandbox); one is killed with SIGKILL while it holds a claimed file.
@Suite(
    .enabled(
        if: ScratchPostgres.isAvailable, "needs SUBIMPORT_TEST_POSTGRES_URL (scripts/test.sh starts a test cluster)"))
struct SharedInboxTests {
    let folder = TestFolder()
    var inbox: String { folder.file("inbox") }
    var claims: String { folder.file("inbox/.processing") }
    static let files = 40
    static let rowsPerFile = 5

    /// The rows of file `index`: distinct first names, so that every file has its own content.
    static func rows(ofFile index: Int) -> String {
        (["first_name,last_name,password,company_name"]
            + (1...rowsPerFile).map { "File\(index)Person\($0),Lastname\($0),secret-\(index)-\($0)-pw,Company \($0)" })
            .joined(separator: "\n") + "\n"
    }

    func names(_ path: String) -> [String] { Self.names(path) }

    /// Whether every thread of process `pid` is stopped (state `T` in `/proc/<pid>/task/*/stat`).
    static func isStopped(_ pid: pid_t) -> Bool {
        let tasks = names("/proc/\(pid)/task")
        return !tasks.isEmpty
            && tasks.allSatisfy { task in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                    let end = stat.range(of: ") ", options: .backwards)
                else { return false }
                return stat[end.upperBound...].hasPrefix("T") || stat[end.upperBound...].hasPrefix("t")
            }
    }

    static func names(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    @Test func twoWatchesOnOneInboxOneKilledImportEveryFileAndRowOnce() async throws {
        let database = try ScratchPostgres()
        let sandbox = try await SandboxServer.start(SandboxConfiguration(quota: 0))
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let environment = sandboxCredentials.merging(database.environment) { $1 }
        let watches = try (1...2).map { index in
            try CLI.Running(
                [
                    "watch", "--inbox", inbox, "--state", folder.file("state\(index)"), "--reports",
                    folder.file("reports\(index)"), "--queue", database.url, "--base-url", sandbox.baseURL,
                    "--settle", "0.3", "--rate", "0", "--concurrency", "2", "--claim-stale-after", "4",
                ], environment: environment)
        }
        for watch in watches {
            #expect(await waitUntil { watch.stderr.contains("watching ") }, "watch did not start: \(watch.stderr)")
        }

        // Drop every file at once, each written aside and renamed in (complete when it appears).
        for index in 1...Self.files {
            let aside = folder.write("f\(index).csv.part", Self.rows(ofFile: index))
            #expect(rename(aside, inbox + "/f\(index).csv") == 0)
        }

        // Kill the first watch while it holds a claim: stopped (SIGSTOP) the moment one is seen,
        // killed if the claim is still there, else let go on until the next one.
        let victim = watches[0].process.processIdentifier
        let claims = self.claims
        let killedHolding = await onDedicatedThread {
            // A claim folder of the victim with the claimed file in it (not one made a moment
            // before the file is moved in, nor one emptied a moment before it is removed).
            func holdsClaim() -> Bool {
                Self.names(claims).contains {
                    $0.split(separator: "~").last?.hasPrefix("pid:\(victim):") == true
                        && !Self.names(claims + "/" + $0).isEmpty
                }
            }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                guard holdsClaim() else {
                    usleep(1_000)
                    continue
                }
                kill(victim, SIGSTOP)
                // The signal is asynchronous: look again only once every thread has stopped.
                while !Self.isStopped(victim), Date() < deadline { usleep(1_000) }
                if holdsClaim() {
                    kill(victim, SIGKILL)
                    return true
                }
                kill(victim, SIGCONT)
            }
            return false
        }
        #expect(killedHolding, "the first watch was never seen holding a claim: \(watches[0].stderr)")
        let killed = await watches[0].finish(timeout: 10)
        let survivor = watches[1]

        // Every row of every file settled in the shared queue, every file reported.
        let stems = (1...Self.files).map { "f\($0)" }
        let reports = [folder.file("reports1"), folder.file("reports2")]
        func reported(_ stem: String) -> Bool {
            reports.contains { folder in
                names(folder).contains { name in
                    guard name.hasPrefix(stem + "."), name.hasSuffix(".csv"),
                        let rows = try? reportRows(folder + "/" + name)
                    else { return false }
                    return rows.count == Self.rowsPerFile && !rows.contains { $0["status"] == "pending" }
                }
            }
        }
        let settled = try await waitUntil(timeout: 120) {
            let created = try database.query("SELECT COUNT(*) FROM job WHERE state = 'created'")
            return created.first?.first == "\(Self.files * Self.rowsPerFile)" && stems.allSatisfy(reported)
        }
        #expect(settled, "survivor: \(survivor.stderr)\nkilled: \(killed.stderr)")

        // Every file imported once: one batch per content, archived by one of the watches.
        let batches = try database.query("SELECT file_name, total_rows FROM batch ORDER BY file_name")
        #expect(batches.map { $0[0] }.sorted() == stems.map { $0 + ".csv" }.sorted(), "\(batches)")
        #expect(batches.allSatisfy { $0[1] == "\(Self.rowsPerFile)" }, "\(batches)")
        let archived = names(folder.file("state1/archive")) + names(folder.file("state2/archive"))
        #expect(archived.sorted() == stems.map { $0 + ".csv" }.sorted())
        #expect(names(folder.file("state1/rejected")).isEmpty && names(folder.file("state2/rejected")).isEmpty)
        #expect(names(claims).isEmpty, "no claim left in the inbox")
        #expect(names(inbox) == [".processing"])
        #expect(survivor.stderr.contains("adopted from claim pid:\(victim):"), "\(survivor.stderr)")

        // Every row settled exactly once: one creating attempt each, one key each.
        let jobs = try database.query(
            """
            SELECT job.state, COALESCE(job.api_key, ''), COALESCE(job.note, ''), job.fields,
                (SELECT COUNT(*) FROM attempt WHERE attempt.job_id = job.id AND attempt.outcome = 'created')
            FROM job
            """)
        #expect(jobs.count == Self.files * Self.rowsPerFile)
        #expect(jobs.allSatisfy { $0[0] == "created" && $0[4] == "1" }, "every row created by one attempt")
        #expect(Set(jobs.map { $0[1] }).count == jobs.count, "no key is recorded twice")

        // One account per row at the provider; a second one only for a request in flight at the
        // kill (its answer lost), and then noted on the row.
        let accounts = sandbox.accounts().compactMap(\.firstName)
        let expected = Set((1...Self.files).flatMap { file in (1...Self.rowsPerFile).map { "File\(file)Person\($0)" } })
        #expect(Set(accounts) == expected)
        let noted = Set(jobs.filter { $0[2].contains("possible duplicate") }.compactMap { firstName(ofFields: $0[3]) })
        let twice = Set(Dictionary(grouping: accounts, by: { $0 }).filter { $0.value.count > 1 }.keys)
        #expect(twice.isSubset(of: noted), "accounts created twice without a note: \(twice.subtracting(noted))")

        survivor.process.terminate()
        let stopped = await survivor.finish(timeout: 30)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(!stopped.stderr.contains("-pw"), "no password of a row in the log")
        if !ScratchPostgres.password.isEmpty { #expect(!stopped.stderr.contains(ScratchPostgres.password)) }
        await sandbox.stop()
    }

    /// The first name in a job's stored fields (a JSON array whose first value is the first name).
    private func firstName(ofFields fields: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(fields.utf8)) as? [Any])?.first as? String
    }
}
