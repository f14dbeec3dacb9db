import Foundation
import SubImportSandbox
import Testing

/// `--concurrency N` puts N requests in flight at the provider, and `--sandbox` takes the
/// sandbox's options.
@Suite struct ConcurrencyAndSandboxOptionTests {
    let folder = TestFolder()

    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }

    /// Above async-http-client's default of 8 connections per host, the provider sees exactly
    /// `--concurrency` requests at once.
    @Test func concurrencyIsTheNumberOfRequestsInFlight() async throws {
        let sandbox = try await slowSandbox(latencyMs: 2500)
        let file = folder.write("many.csv", validRows(32))
        let run = try CLI.Running(
            ["import", file, "--base-url", sandbox.baseURL, "--concurrency", "16", "--rate", "0"] + stateArguments,
            environment: sandboxCredentials)
        _ = await waitUntil(timeout: 120) { sandbox.stats().maxInFlight >= 16 || !run.process.isRunning }
        let output = await run.finish()
        #expect(output.status == 0, "\(output.stderr)")
        #expect(sandbox.stats().maxInFlight == 16)
        #expect(sandbox.accounts().count == 32)
        await sandbox.stop()
    }

    /// The in-process sandbox has no quota unless `--sandbox-quota` sets one, and takes the
    /// fault options of `subimport sandbox` under `--sandbox-` names.
    @Test func embeddedSandboxTakesTheSandboxOptions() async throws {
        let file = folder.write("rehearsal.csv", validRows(25))
        let whole = try await CLI.run(["import", file, "--sandbox", "--rate", "0"] + stateArguments)
        #expect(whole.status == 0, "\(whole.stderr)")
        let rows = try reportRows(try #require(reportPaths(in: whole.stdout).first))
        #expect(rows.filter { $0["status"] == "created" }.count == 25)

        let other = TestFolder()
        let quota = try await CLI.run(
            [
                "import", file, "--sandbox", "--sandbox-quota", "20", "--rate", "0", "--state", other.file("state"),
                "--reports", other.file("reports"),
            ])
        #expect(quota.status == 3, "\(quota.stderr)")
        let stopped = try reportRows(try #require(reportPaths(in: quota.stdout).first))
        #expect(stopped.filter { $0["status"] == "created" }.count == 20)

        let third = TestFolder()
        let failing = try await CLI.run(
            [
                "import", file, "--sandbox", "--sandbox-fail-rate", "1", "--sandbox-seed", "7", "--max-attempts", "1",
                "--rate", "0", "--retry-base-delay", "0.001", "--state", third.file("state"), "--reports",
                third.file("reports"),
            ])
        let failed = try reportRows(try #require(reportPaths(in: failing.stdout).first, "\(failing.stderr)"))
        #expect(failed.allSatisfy { $0["status"] != "created" }, "every request was answered 503")

        let invalid = try await CLI.run(["import", file, "--sandbox", "--sandbox-throttle-rate", "2"] + stateArguments)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("--sandbox-throttle-rate must be between 0 and 1"))
    }
}
