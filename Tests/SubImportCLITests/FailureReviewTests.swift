import Foundation
import SubImport
import SubImportSandbox
import Testing

/// `report --status`, `retry --status uncertain --yes` and `status`'s rate and ETA, through the real binary.
@Suite struct FailureReviewTests {
    let folder = TestFolder()
    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }

    /// Imports `file` against `sandbox` and returns the batch id.
    func importBatch(_ file: String, _ sandbox: SandboxServer, _ extra: [String] = []) async throws -> String {
        let output = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL, "--rate", "0"] + extra + stateArguments,
            environment: sandboxCredentials)
        #expect(output.status == 1, "\(output.stderr)")
        return try #require(try QueueStore(directory: folder.file("state")).batches().last?.id)
    }

    @Test func reportStatusPrintsOnlyThoseRowsAsCSVWhenPiped() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let sample = CLI.packageRoot.appendingPathComponent("samples/accounts.csv").path
        let batch = try await importBatch(sample, sandbox)
        let output = try await CLI.run(["report", batch, "--status", "invalid,duplicate"] + stateArguments)
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == ReportWriter.csvColumns.joined(separator: ","))
        let statuses = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }
        #expect(statuses.filter { $0 == "invalid" }.count == 5)
        #expect(statuses.filter { $0 == "duplicate" }.count == 1)
        #expect(statuses.count == 6)
        let written = try await CLI.run(["report", batch, "--status", "failed"] + stateArguments).stderr
        let csvPath = try #require(
            written.components(separatedBy: "report: ").last?.components(separatedBy: " and ").first)
        #expect(try reportRows(csvPath).count == 22, "the report file stays complete")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/script") {
            // On a terminal (a pseudo-terminal from script(1)): an aligned table without the API keys.
            let command = ([CLI.executable.path, "report", batch, "--status", "invalid"] + stateArguments)
                .map { "'\($0)'" }.joined(separator: " ")
            let table = try runTool("/usr/bin/script", ["-qec", command, "/dev/null"]).output
                .components(separatedBy: "\r\n")
            let header = try #require(table.first { $0.hasPrefix("row ") }, "\(table)")
            #expect(!header.contains("api_key") && !header.contains(","))
            let statusColumn = try #require(header.range(of: "status")).lowerBound.utf16Offset(in: header)
            let rows = table.filter { $0.contains(" invalid ") }
            #expect(rows.count == 5, "\(table)")
            #expect(rows.allSatisfy { $0.range(of: "invalid")?.lowerBound.utf16Offset(in: $0) == statusColumn })
            #expect(table.contains("5 row(s)"))
        }
        let bad = try await CLI.run(["report", batch, "--status", "failed,nope"] + stateArguments)
        #expect(bad.status == 2)
        await sandbox.stop()
    }

    @Test func uncertainRowsAreSentAgainOnlyWithStatusUncertainAndYes() async throws {
        var faulty = SandboxConfiguration()
        faulty.ambiguousRate = 1
        faulty.ambiguousDropShare = 0
        let sandbox = try await SandboxServer.start(faulty)
        let file = folder.write("maybe.csv", validRows(3))
        let batch = try await importBatch(file, sandbox, ["--no-retry-ambiguous"])
        let store = try QueueStore(directory: folder.file("state"))
        #expect(try store.statusCounts(batchID: batch) == ["uncertain": 3])

        let plain = try await CLI.run(["retry", batch] + stateArguments)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("0 failed row(s) queued again"))
        let unconfirmed = try await CLI.run(["retry", batch, "--status", "uncertain"] + stateArguments)
        #expect(unconfirmed.status == 2)
        #expect(unconfirmed.stderr.contains("3 uncertain row(s)"), "\(unconfirmed.stderr)")
        #expect(unconfirmed.stderr.contains("up to 3 account(s) might then exist twice"))
        #expect(unconfirmed.stderr.contains("--yes"))
        #expect(try store.statusCounts(batchID: batch) == ["uncertain": 3], "nothing changed without --yes")

        let confirmed = try await CLI.run(["retry", batch, "--status", "uncertain", "--yes"] + stateArguments)
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        #expect(confirmed.stderr.contains("might then exist twice"))
        #expect(confirmed.stdout.contains("3 uncertain row(s) queued again"))
        #expect(try store.statusCounts(batchID: batch) == ["pending": 3])
        // The same provider account (same sandbox): every row is sent again.
        let worked = try await CLI.run(
            ["work", "--base-url", sandbox.baseURL, "--no-retry-ambiguous", "--rate", "0"] + stateArguments,
            environment: sandboxCredentials)
        #expect(worked.status == 1, "\(worked.stderr)")
        #expect(sandbox.accounts().count == 6, "sent again on purpose: the accounts now exist twice")
        await sandbox.stop()
    }

    @Test func statusShowsTheRateNowAndETAOfABatchBeingWorked() async throws {
        let sandbox = try await slowSandbox(latencyMs: 40)
        let file = folder.write("paced.csv", validRows(200))
        let run = try CLI.Running(
            ["import", file, "--base-url", sandbox.baseURL, "--rate", "0", "--concurrency", "1"] + stateArguments,
            environment: sandboxCredentials)
        #expect(await waitUntil { sandbox.accounts().count >= 5 })
        let queued = try await CLI.run(["enqueue", folder.write("later.csv", validRows(3))] + stateArguments)
        #expect(queued.status == 0, "\(queued.stderr)")
        let status = try await CLI.run(["status", "--json"] + stateArguments)
        let text = try await CLI.run(["status"] + stateArguments)
        run.process.interrupt()
        _ = await run.finish()
        let batches = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let rate = try #require((batches.first?["rate_now"] as? NSNumber)?.doubleValue, "\(status.stdout)")
        #expect(rate > 0)
        #expect(((batches.first?["eta_seconds"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(status.stdout)")
        #expect(batches.last?["file"] as? String == "later.csv")
        #expect(batches.last?["rate_now"] is NSNull, "a batch not being worked has no pace: \(status.stdout)")
        #expect(text.stdout.components(separatedBy: "rows/s over the last").count == 2, "\(text.stdout)")
        #expect(text.stdout.contains("ETA"))
        await sandbox.stop()
    }
}
