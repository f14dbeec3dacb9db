import Foundation
import SubImport
import SubImportSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `subimport watch`, with real processes, real files and the sandbox over loopback.
@Suite struct WatchCommandTests {
    let folder = TestFolder()
    var inbox: String { folder.file("inbox") }
    var state: String { folder.file("state") }
    var reports: String { folder.file("reports") }
    static let key = "watch-k3y-never-logged"
    static let environment = ["OCTOPUSH_API_LOGIN": "master@example.com", "OCTOPUSH_API_KEY": key]

    init() throws {
        try FileManager.default.createDirectory(atPath: folder.file("inbox"), withIntermediateDirectories: true)
    }

    /// Starts `watch` on the test's folders against `sandbox`, and waits until it watches.
    func startWatch(_ sandbox: SandboxServer, _ extra: [String] = []) async throws -> CLI.Running {
        let run = try CLI.Running(
            ["watch", "--inbox", inbox, "--base-url", sandbox.baseURL, "--state", state, "--reports", reports]
                + (extra.contains("--rate") ? [] : ["--rate", "0"])
                + (extra.contains("--settle") ? [] : ["--settle", "0.3"]) + extra,
            environment: Self.environment)
        #expect(await waitUntil(timeout: 20) { run.stderr.contains("watching ") }, "watch did not start: \(run.stderr)")
        return run
    }

    /// SIGTERM, then the exit status and output.
    func stop(_ run: CLI.Running) async -> CLI.Output {
        run.process.terminate()
        return await run.finish(timeout: 30)
    }

    /// The complete report CSV of the batch read from `stem.csv`, once written.
    func settledReport(_ stem: String, timeout: Double = 30) async -> [[String: String]]? {
        var rows: [[String: String]]?
        _ = await waitUntil(timeout: timeout) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: reports)) ?? []
            guard let name = names.first(where: { $0.hasPrefix(stem + ".") && $0.hasSuffix(".csv") }),
                let parsed = try? reportRows(reports + "/" + name),
                !parsed.contains(where: { $0["status"] == "pending" })
            else { return false }
            rows = parsed
            return true
        }
        return rows
    }

    func contents(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func writeInbox(_ name: String, _ text: String) {
        try! Data(text.utf8).write(to: URL(fileURLWithPath: inbox + "/" + name))
    }

    @Test func filesAlreadyThereAtStartAreTakenAndOthersLeftAlone() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        writeInbox("early.csv", validRows(3))
        for name in [".hidden.csv", "late.csv.part", "scratch.tmp", "notes.txt"] { writeInbox(name, validRows(2)) }
        let run = try await startWatch(sandbox)
        let rows = try #require(await settledReport("early"), "no report: \(run.stderr)")
        #expect(rows.map { $0["status"] } == ["created", "created", "created"])
        #expect(contents(state + "/archive") == ["early.csv"])
        let batch = try #require(try QueueStore(directory: state).batches().first)
        #expect(batch.filePath.hasSuffix("/archive/early.csv"), "retry finds the source: \(batch.filePath)")
        #expect(contents(inbox) == [".hidden.csv", "late.csv.part", "notes.txt", "scratch.tmp"])
        #expect(sandbox.accounts().count == 3)
        let output = await stop(run)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("picked up early.csv: 3 rows"))
        #expect(output.stderr.contains("settled: 3 created"))
        #expect(!output.stderr.contains(Self.key) && !output.stderr.contains("secret-1-pw"))
        await sandbox.stop()
    }

    @Test func aFileRenamedInIsTaken() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let run = try await startWatch(sandbox)
        writeInbox("moved.csv.part", validRows(4))
        #expect(rename(inbox + "/moved.csv.part", inbox + "/moved.csv") == 0)
        let rows = try #require(await settledReport("moved"), "no report: \(run.stderr)")
        #expect(rows.count == 4 && rows.allSatisfy { $0["status"] == "created" })
        #expect(contents(state + "/archive") == ["moved.csv"])
        #expect(await stop(run).status == 0)
        await sandbox.stop()
    }

    @Test func anInboxRemovedAndMadeAgainIsStillWatched() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let run = try await startWatch(sandbox)
        try FileManager.default.removeItem(atPath: inbox)
        #expect(await waitUntil { run.stderr.contains("was removed or moved") }, "\(run.stderr)")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        writeInbox("reborn.csv", validRows(2))
        #expect(await settledReport("reborn") != nil, "\(run.stderr)")
        #expect(await stop(run).status == 0)
        await sandbox.stop()
    }

    /// A writer that keeps the file open and pauses longer than the settle window mid-line: the
    /// file is taken only after it is closed, with every row.
    @Test(arguments: [false, true])
    func aSlowWriterIsTakenOnlyWhenDone(polling: Bool) async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let run = try await startWatch(sandbox, polling ? ["--poll", "--settle", "1"] : [])
        let text = validRows(12)
        let cut = text.index(text.startIndex, offsetBy: text.count / 2)
        let path = inbox + "/slow.csv"
        // One descriptor from creation to close, like a program writing its output.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(descriptor >= 0)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        try handle.write(contentsOf: Data(text[..<cut].utf8))
        try await Task.sleep(nanoseconds: 3_000_000_000)
        #expect(FileManager.default.fileExists(atPath: path), "taken while still open: \(run.stderr)")
        #expect(sandbox.requestCount() == 0)
        try handle.write(contentsOf: Data(text[cut...].utf8))
        try handle.close()
        let rows = try #require(await settledReport("slow"), "no report: \(run.stderr)")
        #expect(rows.count == 12 && rows.allSatisfy { $0["status"] == "created" })
        #expect(sandbox.accounts().count == 12)
        #expect(await stop(run).status == 0)
        await sandbox.stop()
    }

    @Test func garbageIsRejectedWithAReasonAndRepeatedContentNamesTheEarlierBatch() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let run = try await startWatch(sandbox)
        try Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0xFF, 0x00]).write(
            to: URL(fileURLWithPath: inbox + "/archive.csv"))
        writeInbox("headless.csv", "")
        writeInbox("first.csv", validRows(2))
        #expect(await settledReport("first") != nil, "\(run.stderr)")
        writeInbox("again.csv", validRows(2))
        #expect(
            await waitUntil { contents(state + "/rejected").contains("again.csv.reason.txt") }, "\(run.stderr)")
        #expect(await waitUntil { contents(state + "/rejected").count == 6 }, "\(contents(state + "/rejected"))")
        #expect(
            contents(state + "/rejected") == [
                "again.csv", "again.csv.reason.txt", "archive.csv", "archive.csv.reason.txt", "headless.csv",
                "headless.csv.reason.txt",
            ])
        let binary = try String(contentsOfFile: state + "/rejected/archive.csv.reason.txt", encoding: .utf8)
        #expect(binary.contains("binary"), "\(binary)")
        let empty = try String(contentsOfFile: state + "/rejected/headless.csv.reason.txt", encoding: .utf8)
        #expect(empty.contains("header"), "\(empty)")
        let batchID = try #require(contents(reports).first { $0.hasPrefix("first.") }?.split(separator: ".")[1])
        let repeated = try String(contentsOfFile: state + "/rejected/again.csv.reason.txt", encoding: .utf8)
        #expect(repeated.contains("already imported as batch \(batchID)") && repeated.contains("first.csv"))
        #expect(sandbox.accounts().count == 2)
        let output = await stop(run)
        #expect(output.status == 0)
        #expect(output.stderr.contains("rejected archive.csv:") && output.stderr.contains("rejected again.csv:"))
        await sandbox.stop()
    }

    @Test func sigtermStopsWithinTheTimeoutAndARestartFinishesEveryRowOnce() async throws {
        let sandbox = try await slowSandbox(latencyMs: 100)
        // Paced: some workers wait for the rate limiter with a row claimed when the signal comes.
        let run = try await startWatch(sandbox, ["--concurrency", "4", "--rate", "10", "--shutdown-timeout", "5"])
        writeInbox("big.csv", validRows(40))
        #expect(await waitUntil { sandbox.accounts().count >= 4 }, "\(run.stderr)")
        let output = await stop(run)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(!output.stderr.contains("unanswered"), "every request in flight finished within the timeout")
        let sentBeforeRestart = sandbox.accounts().count
        #expect(sentBeforeRestart < 40)
        let again = try await startWatch(sandbox, ["--concurrency", "4"])
        let rows = try #require(await settledReport("big"), "\(again.stderr)")
        #expect(rows.map { $0["row"] } == (1...40).map { String($0) })
        #expect(rows.allSatisfy { $0["status"] == "created" && $0["note"] == "" && $0["attempts"] == "1" })
        #expect(Set(sandbox.accounts().map { $0.firstName }).count == 40)
        #expect(sandbox.accounts().count == 40, "each account created once")
        #expect(await stop(again).status == 0)
        await sandbox.stop()
    }

    @Test func aRetryScheduledBeforeARestartStillHappensAfterIt() async throws {
        // Every request is throttled with Retry-After 5 s: each row is scheduled for later, and a
        // busy machine has 5 s to stop the first watch before any row could be sent again.
        var throttling = SandboxConfiguration(quota: 0, throttleRate: 1)
        throttling.retryAfterSeconds = 5
        let throttled = try await SandboxServer.start(throttling)
        let run = try await startWatch(throttled, ["--retry-base-delay", "0.01"])
        writeInbox("later.csv", validRows(3))
        #expect(await waitUntil { throttled.requestCount() >= 3 }, "\(run.stderr)")
        #expect(await stop(run).status == 0)
        #expect(throttled.accounts().isEmpty)
        let store = try QueueStore(directory: state)
        let batch = try #require(try store.batches().first)
        #expect(try store.statusCounts(batchID: batch.id)["pending"] == 3, "the scheduled retries are in the queue")

        // The same address (the account is named by it), now answering normally.
        await throttled.stop()
        let healthy = try await SandboxServer.start(SandboxConfiguration(port: throttled.port))
        let again = try await startWatch(healthy)
        let rows = try #require(await settledReport("later"), "\(again.stderr)")
        #expect(rows.allSatisfy { $0["status"] == "created" && $0["attempts"] == "2" }, "one 429, then the retry")
        #expect(healthy.accounts().count == 3)
        #expect(await stop(again).status == 0)
        await healthy.stop()
    }

    @Test func sigkillThenRestartLosesNothing() async throws {
        let sandbox = try await slowSandbox(latencyMs: 50)
        let run = try await startWatch(sandbox, ["--concurrency", "4"])
        writeInbox("crash.csv", validRows(60))
        #expect(await waitUntil { sandbox.accounts().count >= 8 }, "\(run.stderr)")
        kill(run.process.processIdentifier, SIGKILL)
        _ = await run.finish()
        writeInbox("after.csv", validRows(3).replacingOccurrences(of: "Person", with: "Later"))
        let again = try await startWatch(sandbox)
        let rows = try #require(await settledReport("crash"), "\(again.stderr)")
        #expect(rows.map { $0["row"] } == (1...60).map { String($0) })
        #expect(rows.allSatisfy { $0["status"] == "created" })
        var created: [String: Int] = [:]
        for account in sandbox.accounts() { created[account.firstName ?? "", default: 0] += 1 }
        for (name, count) in created where count > 1 {
            let row = try #require(rows.first { $0["first_name"] == name })
            #expect(row["note"]?.hasPrefix("possible duplicate:") == true, "\(name) was created \(count) times")
        }
        #expect(await settledReport("after") != nil)
        #expect(created.count == 63)
        #expect(await stop(again).status == 0)
        await sandbox.stop()
    }

    /// A run killed after claiming a file (or after queuing it) left it in `processing`: the
    /// next start finishes it, archives it, and queues nothing twice.
    @Test func filesLeftInProcessingAreFinished() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        for (claim, name) in [("1-1-a", "claimed.csv"), ("2-1-b", "queued.csv")] {
            try FileManager.default.createDirectory(
                atPath: state + "/processing/" + claim, withIntermediateDirectories: true)
            let text = validRows(2).replacingOccurrences(of: "Person", with: claim.filter(\.isLetter) + "Person")
            try Data(text.utf8).write(to: URL(fileURLWithPath: state + "/processing/\(claim)/\(name)"))
        }
        let enqueue = try await CLI.run(
            ["enqueue", state + "/processing/2-1-b/queued.csv", "--state", state, "--reports", reports],
            environment: Self.environment)
        #expect(enqueue.status == 0, "\(enqueue.stderr)")
        let run = try await startWatch(sandbox)
        #expect(await settledReport("claimed") != nil, "\(run.stderr)")
        #expect(await settledReport("queued") != nil, "\(run.stderr)")
        #expect(contents(state + "/archive") == ["claimed.csv", "queued.csv"])
        #expect(contents(state + "/rejected").isEmpty)
        #expect(contents(state + "/processing").filter { !$0.hasPrefix(".") }.isEmpty, "no claim left")
        #expect(sandbox.accounts().count == 4)
        #expect(await stop(run).status == 0)
        #expect(contents(state + "/processing").isEmpty, "the emptied claim folders kept for reuse go at exit")
        await sandbox.stop()
    }

    /// Whether a request of the watch is in flight right now (a row claimed, no answer yet).
    func requestInFlight() -> Bool {
        guard let store = try? QueueStore(directory: state), let batches = try? store.batches() else { return false }
        return batches.contains { ((try? store.pendingDetail(batchID: $0.id).byState["running"]) ?? 0) > 0 }
    }

    @Test func requestsUnansweredAtTheShutdownTimeoutAreRetriedMarkedAfterARestart() async throws {
        let slow = try await slowSandbox(latencyMs: 3000)
        let run = try await startWatch(slow, ["--concurrency", "1", "--shutdown-timeout", "0.5"])
        writeInbox("stuck.csv", validRows(3))
        #expect(await waitUntil { requestInFlight() }, "\(run.stderr)")
        let output = await stop(run)
        #expect(output.status == 0, "\(output.stderr)")
        // The request takes 3 s: had the 0.5 s timeout not been kept, it would have been answered.
        #expect(output.stderr.contains("1 request(s) unanswered"), "the timeout is kept: \(output.stderr)")
        // The same provider account (the batch is its), all rows at once.
        let again = try await startWatch(slow, ["--concurrency", "4"])
        let rows = try #require(await settledReport("stuck"), "\(again.stderr)")
        #expect(rows.allSatisfy { $0["status"] == "created" })
        #expect(rows[0]["note"]?.hasPrefix("possible duplicate:") == true, "\(rows[0])")
        #expect(await stop(again).status == 0)
        await slow.stop()
    }

    @Test func aSecondSignalExitsAtOnceAndNothingIsLost() async throws {
        let slow = try await slowSandbox(latencyMs: 3000)
        let run = try await startWatch(slow, ["--concurrency", "1", "--shutdown-timeout", "30"])
        writeInbox("twice.csv", validRows(3))
        #expect(await waitUntil { requestInFlight() }, "\(run.stderr)")
        run.process.terminate()
        #expect(await waitUntil { run.stderr.contains("stopping") })
        run.process.terminate()
        let output = await run.finish(timeout: 30)
        // 130, not the 0 of a graceful stop after the 3 s request: the second signal cut it short.
        #expect(output.status == 130, "\(output.stderr)")
        let again = try await startWatch(slow, ["--concurrency", "4"])
        let rows = try #require(await settledReport("twice"), "\(again.stderr)")
        #expect(rows.count == 3 && rows.allSatisfy { $0["status"] == "created" })
        #expect(await stop(again).status == 0)
        await slow.stop()
    }

    /// A fatal answer (quota reached) pauses sending for the cool-down, files are still queued
    /// meanwhile, and sending resumes by itself once the provider accepts again.
    @Test func aFatalAnswerPausesSendingThenItResumes() async throws {
        var configuration = SandboxConfiguration()
        configuration.quota = 2
        let sandbox = try await SandboxServer.start(configuration)
        let run = try await startWatch(sandbox, ["--fatal-cooldown", "0.3"])
        writeInbox("quota.csv", validRows(4))
        #expect(await waitUntil { run.stderr.contains("sending paused for 0.3 s") }, "\(run.stderr)")
        writeInbox("meanwhile.csv", validRows(2).replacingOccurrences(of: "Person", with: "Other"))
        #expect(await waitUntil { contents(state + "/archive").contains("meanwhile.csv") }, "\(run.stderr)")
        #expect(sandbox.accounts().count == 2)
        sandbox.setQuota(0)
        #expect(await settledReport("quota")?.allSatisfy { $0["status"] == "created" } == true, "\(run.stderr)")
        #expect(await settledReport("meanwhile") != nil)
        #expect(sandbox.accounts().count == 6)
        #expect(await stop(run).status == 0)
        await sandbox.stop()
    }

    @Test func badUsageIsRefusedWithTheReason() async throws {
        let sameFolder = try await CLI.run(["watch", "--inbox", inbox, "--reports", inbox + "/", "--sandbox"])
        #expect(sameFolder.status == 2)
        #expect(sameFolder.stderr.contains("--reports cannot be the inbox"), "\(sameFolder.stderr)")
        let negative = try await CLI.run(["watch", "--inbox", inbox, "--settle", "-1", "--sandbox"])
        #expect(negative.status == 2)
        #expect(negative.stderr.contains("--settle"), "\(negative.stderr)")
        let instant = try await CLI.run(["watch", "--inbox", inbox, "--claim-stale-after", "0.5", "--sandbox"])
        #expect(instant.status == 2)
        #expect(instant.stderr.contains("--claim-stale-after must be 1 second or more"), "\(instant.stderr)")
        let fileAsInbox = folder.write("plain.csv", validRows(1))
        let notAFolder = try await CLI.run(
            ["watch", "--inbox", fileAsInbox, "--sandbox", "--state", state, "--reports", reports])
        #expect(notAFolder.status == 2)
        #expect(notAFolder.stderr.contains("is not a folder"), "\(notAFolder.stderr)")
    }

    @Test func aSecondSenderOnTheSameStateIsRefusedNamingTheHolder() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let run = try await startWatch(sandbox)
        let pid = run.process.processIdentifier
        let second = try await CLI.run(
            ["watch", "--inbox", inbox, "--base-url", sandbox.baseURL, "--state", state], environment: Self.environment)
        #expect(second.status == 2)
        #expect(second.stderr.contains("is in use by subimport watch (pid \(pid), since "), "\(second.stderr)")
        let file = folder.write("one.csv", validRows(1))
        let importing = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL, "--state", state], environment: Self.environment)
        #expect(importing.status == 2)
        #expect(importing.stderr.contains("in use by subimport watch (pid \(pid)"), "\(importing.stderr)")
        #expect(await stop(run).status == 0)
        let after = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL, "--state", state, "--reports", reports],
            environment: Self.environment)
        #expect(after.status == 0, "the lock is released with its holder: \(after.stderr)")
        await sandbox.stop()
    }
}
