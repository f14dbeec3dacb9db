import Foundation
import SubImportSandbox
import Testing

/// Dry runs, interruptions and refused input, through the real binary.
@Suite struct OperatorCommandTests {
    let folder = TestFolder()

    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }

    @Test func dryRunValidatesAndReportsButSendsNothingAndLeavesNoQueue() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let sample = CLI.packageRoot.appendingPathComponent("samples/accounts.csv").path
        let output = try await CLI.run(
            ["import", sample, "--dry-run", "--base-url", sandbox.baseURL] + stateArguments)
        #expect(output.status == 1, "invalid rows make a dry run exit 1: \(output.stderr)")
        #expect(output.stdout.contains("dry run: nothing was sent"))
        #expect(sandbox.requestCount() == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.file("state")))
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        #expect(rows.count == 22)
        #expect(rows.filter { $0["status"] == "pending" }.count == 16)
        await sandbox.stop()
    }

    @Test func sigintFinishesInFlightRequestsKeepsTheRestPendingAndResumes() async throws {
        let sandbox = try await slowSandbox(latencyMs: 30)
        let file = folder.write("slow.csv", validRows(30))
        let env = sandboxCredentials
        let arguments =
            ["import", file, "--base-url", sandbox.baseURL, "--rate", "20", "--concurrency", "2"] + stateArguments
        let run = try CLI.Running(arguments, environment: env)
        #expect(await waitUntil { sandbox.accounts().count >= 3 })
        run.process.interrupt()
        let output = await run.finish()
        #expect(output.status == 130, "\(output.stderr)")
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        let created = rows.filter { $0["status"] == "created" }.count
        #expect(created == sandbox.accounts().count, "every request that was sent is recorded")
        #expect(rows.filter { $0["status"] == "pending" }.count == 30 - created)
        let resumed = try await CLI.run(arguments, environment: env)
        #expect(resumed.status == 0)
        #expect(sandbox.accounts().count == 30)
        await sandbox.stop()
    }

    @Test func progressLinesShowRateAndETAWhenNotOnATerminal() async throws {
        var configuration = SandboxConfiguration()
        configuration.latencyMs = 20
        let sandbox = try await SandboxServer.start(configuration)
        let file = folder.write("paced.csv", validRows(12))
        let output = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL, "--rate", "8", "--burst", "1", "--progress-every", "0.2"]
                + stateArguments,
            environment: sandboxCredentials)
        #expect(output.status == 0)
        let lines = output.stderr.components(separatedBy: "\n").filter { $0.contains("rows settled") }
        #expect(lines.count >= 2, "\(output.stderr)")
        #expect(lines.allSatisfy { $0.contains("/12 rows settled") && $0.contains("rows/s") && $0.contains("ETA") })
        #expect(!output.stderr.contains("\u{1B}["), "no terminal control codes when not on a terminal")
        await sandbox.stop()
    }

    @Test func binaryFileIsRefusedNamingTheFileAndLine() async throws {
        let path = folder.file("photo.csv")
        try Data([0x66, 0x69, 0x72, 0x73, 0x74, 0x0A, 0x00, 0xFF, 0xD8]).write(to: URL(fileURLWithPath: path))
        let output = try await CLI.run(["import", path, "--sandbox"] + stateArguments)
        #expect(output.status == 2)
        #expect(output.stderr.contains("photo.csv"))
        #expect(output.stderr.contains("line 2"))
    }

    @Test func badUsageExitsTwo() async throws {
        let output = try await CLI.run(["import", "--provider", "nope", "x.csv"] + stateArguments)
        #expect(output.status == 2)
        #expect(output.stderr.contains("unknown provider nope"))
        let baseURL = try await CLI.run(["import", "--base-url", "https://api.octopush.com/v1/public", "x.csv"])
        #expect(baseURL.status == 2)
        #expect(baseURL.stderr.contains("scheme, host and port"))
    }

    @Test func cancelMakesUnsentRowsCancelled() async throws {
        let file = folder.write("cancel.csv", validRows(3))
        let enqueue = try await CLI.run(["enqueue", file, "--sandbox"] + stateArguments)
        #expect(enqueue.status == 0)
        let status = try await CLI.run(["status", "--json", "--state", folder.file("state")])
        let batches = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let batchID = try #require(batches.first?["batch_id"] as? String)
        let cancel = try await CLI.run(["cancel", String(batchID.prefix(6))] + stateArguments)
        #expect(cancel.status == 0)
        #expect(cancel.stdout.contains("3 row(s) cancelled"))
        let report = try await CLI.run(["report", batchID] + stateArguments)
        #expect(report.stdout.components(separatedBy: "\r\n").filter { $0.contains(",cancelled,") }.count == 3)
    }
}
