import Foundation
import SubImport
import SubImportSandbox
import Testing

/// `subimport prune` and `watch --retain`, with the real binary, real files and a real queue.
@Suite struct RetentionCommandTests {
    let folder = TestFolder()
    var state: String { folder.file("state") }
    var reports: String { folder.file("reports") }
    var stateArguments: [String] { ["--state", state, "--reports", reports] }

    /// Every byte of the queue database and its WAL.
    func queueBytes() -> Data {
        ["", "-wal", "-shm"].reduce(into: Data()) { data, suffix in
            data += (try? Data(contentsOf: URL(fileURLWithPath: state + "/queue.sqlite" + suffix))) ?? Data()
        }
    }

    func contents(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Sets `path`'s modification time `seconds` in the past.
    func age(_ path: String, by seconds: Double) throws {
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: path)
    }

    @Test func pruneRemovesOnlyFinishedBatchesOlderThanTheAgeAndNoKeyStaysInTheQueue() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let done = folder.write("done.csv", validRows(4))
        let imported = try await CLI.run(
            ["import", done, "--base-url", sandbox.baseURL] + stateArguments, environment: sandboxCredentials)
        #expect(imported.status == 0, "\(imported.stderr)")
        let report = try #require(reportPaths(in: imported.stdout).first)
        let keys = try reportRows(report).compactMap { $0["api_key"] }.filter { !$0.isEmpty }
        #expect(keys.count == 4)
        #expect(keys.allSatisfy { queueBytes().range(of: Data($0.utf8)) != nil }, "the keys are in the queue before")
        let waiting = try await CLI.run(["enqueue", folder.write("waiting.csv", validRows(3))] + stateArguments)
        #expect(waiting.status == 0, "\(waiting.stderr)")
        let store = try QueueStore(directory: state)
        let batches = try store.batches()
        let doneID = try #require(batches.first { $0.fileName == "done.csv" }?.id)
        let waitingID = try #require(batches.first { $0.fileName == "waiting.csv" }?.id)

        let young = try await CLI.run(["prune", "--older-than", "1d"] + stateArguments)
        #expect(young.status == 0, "\(young.stderr)")
        #expect(young.stdout.contains("pruned 0 batch(es)"), "\(young.stdout)")

        let dryRun = try await CLI.run(["prune", "--older-than", "0s", "--dry-run"] + stateArguments)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(
            dryRun.stdout.contains("would remove batch \(doneID) (done.csv, 4 rows, 4 attempts"), "\(dryRun.stdout)")
        #expect(!dryRun.stdout.contains(waitingID), "a batch with unsettled rows is never listed")
        #expect(try store.batches().count == 2, "a dry run removes nothing")

        let pruned = try await CLI.run(["prune", "--older-than", "0s"] + stateArguments)
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("removed batch \(doneID)"), "\(pruned.stdout)")
        #expect(pruned.stdout.contains("pruned 1 batch(es)"))
        #expect(try store.batches().map(\.id) == [waitingID], "the unsettled batch stays")
        #expect(try store.statusCounts(batchID: doneID).isEmpty, "its jobs are gone")
        let bytes = queueBytes()
        #expect(keys.allSatisfy { bytes.range(of: Data($0.utf8)) == nil }, "no API key left in queue.sqlite or its WAL")
        #expect(FileManager.default.fileExists(atPath: report), "reports stay")
        #expect(FileManager.default.fileExists(atPath: done), "a file imported from elsewhere is the operator's")
        await sandbox.stop()
    }

    @Test func aPrunedBatchsContentIsRecognisedAndNeverSentAgain() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let done = folder.write("done.csv", validRows(3))
        let arguments = ["import", done, "--base-url", sandbox.baseURL] + stateArguments
        let imported = try await CLI.run(arguments, environment: sandboxCredentials)
        #expect(imported.status == 0, "\(imported.stderr)")
        let report = try #require(reportPaths(in: imported.stdout).first)
        let reportBefore = try Data(contentsOf: URL(fileURLWithPath: report))
        let batchID = try #require(try QueueStore(directory: state).batches().first?.id)
        let pruned = try await CLI.run(["prune", "--older-than", "0s"] + stateArguments)
        #expect(pruned.stdout.contains("removed batch \(batchID)"), "\(pruned.stdout)")

        let again = try await CLI.run(arguments, environment: sandboxCredentials)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already imported as batch \(batchID), pruned on "), "\(again.stdout)")
        #expect(sandbox.accounts().count == 3, "no account is created a second time")
        #expect(try Data(contentsOf: URL(fileURLWithPath: report)) == reportBefore, "its report is not overwritten")
        let reportCommand = try await CLI.run(["report", batchID] + stateArguments)
        #expect(reportCommand.status == 2)
        #expect(reportCommand.stderr.contains("was pruned on "), "\(reportCommand.stderr)")
        let status = try await CLI.run(["status"] + stateArguments)
        #expect(status.stdout.contains("1 pruned batch(es) not shown"), "\(status.stdout)")
        await sandbox.stop()
    }

    @Test func pruneWhileWatchRunsRemovesArchivedAndRejectedFilesAndRetainPrunesAtStart() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let inbox = folder.file("inbox")
        let rejected = state + "/rejected"
        try FileManager.default.createDirectory(atPath: rejected, withIntermediateDirectories: true)
        // Rejected two hours ago by an earlier run: `--retain 1h` removes it at start.
        let old = folder.write("state/rejected/old.csv", "garbage")
        folder.write("state/rejected/old.csv.reason.txt", "no header row\n")
        try age(old + ".reason.txt", by: 7_200)
        // A reason file whose file is gone (a prune stopped between the two deletions) goes too.
        try age(folder.write("state/rejected/gone.csv.reason.txt", "no header row\n"), by: 7_200)
        let watch = try CLI.Running(
            [
                "watch", "--inbox", inbox, "--base-url", sandbox.baseURL, "--rate", "0", "--settle", "0.2",
                "--retain", "1h",
            ] + stateArguments, environment: sandboxCredentials)
        #expect(await waitUntil(timeout: 20) { contents(rejected).isEmpty }, "\(watch.stderr)")
        #expect(
            await waitUntil {
                watch.stderr.contains("retention: pruned 0 batch(es), 0 archived file(s) and 2 rejected")
            })
        try Data(validRows(2).utf8).write(to: URL(fileURLWithPath: inbox + "/good.csv"))
        try Data([0x00, 0xFF, 0x10]).write(to: URL(fileURLWithPath: inbox + "/binary.csv"))
        #expect(await waitUntil { contents(reports).contains { $0.hasPrefix("good.") && $0.hasSuffix(".csv") } })
        #expect(await waitUntil { contents(rejected) == ["binary.csv", "binary.csv.reason.txt"] }, "\(watch.stderr)")
        #expect(await waitUntil { (try? QueueStore(directory: state).batches().first?.state) == .settled })
        #expect(await waitUntil { watch.stderr.contains("settled: 2 created") })
        #expect(contents(state + "/archive") == ["good.csv"])

        let reportName = try #require(contents(reports).first { $0.hasPrefix("good.") && $0.hasSuffix(".csv") })
        let keys = try reportRows(reports + "/" + reportName).compactMap { $0["api_key"] }.filter { !$0.isEmpty }
        #expect(keys.count == 2)
        let pruned = try await CLI.run(["prune", "--older-than", "0s"] + stateArguments)
        #expect(pruned.status == 0, "prune needs no lock: \(pruned.stderr)")
        #expect(!pruned.stdout.contains("not truncated"), "\(pruned.stdout)")
        #expect(keys.allSatisfy { queueBytes().range(of: Data($0.utf8)) == nil }, "no key left while watch runs")
        #expect(pruned.stdout.contains("removed batch "), "\(pruned.stdout)")
        #expect(pruned.stdout.contains("archive/good.csv"))
        #expect(pruned.stdout.contains("rejected/binary.csv and its reason file"))
        #expect(contents(state + "/archive").isEmpty)
        #expect(contents(rejected).isEmpty)
        #expect(contents(reports).contains { $0.hasPrefix("good.") }, "reports stay")
        watch.process.terminate()
        let output = await watch.finish(timeout: 30)
        #expect(output.status == 0, "\(output.stderr)")
        await sandbox.stop()
    }

    @Test func badDurationIsRefused() async throws {
        for bad in ["90", "d", "1.5h", "-1d", "3w"] {
            let output = try await CLI.run(["prune", "--older-than=\(bad)"] + stateArguments)
            #expect(output.status == 2, "\(bad)")
            #expect(output.stderr.contains("--older-than takes a whole number and a unit"), "\(output.stderr)")
        }
    }
}
