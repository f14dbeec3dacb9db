import Foundation
import SubImportSandbox
import Testing

/// The real binary against a provider that answers every request 429 with a `Retry-After`.
@Suite struct ProviderPushbackTests {
    let folder = TestFolder()

    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }

    func throttlingSandbox(retryAfter seconds: Int) async throws -> SandboxServer {
        var configuration = SandboxConfiguration()
        configuration.throttleRate = 1
        configuration.retryAfterSeconds = seconds
        return try await SandboxServer.start(configuration)
    }

    @Test func sigintDuringALongRetryAfterExitsAtOnceWithRowsPending() async throws {
        let sandbox = try await throttlingSandbox(retryAfter: 600)
        let file = folder.write("held.csv", validRows(5))
        let run = try CLI.Running(
            ["import", file, "--base-url", sandbox.baseURL, "--concurrency", "3"] + stateArguments,
            environment: sandboxCredentials)
        // The first answer holds the account for ten minutes (under the ceiling): the workers wait.
        #expect(await waitUntil { sandbox.requestCount() >= 1 })
        run.process.interrupt()
        let output = await run.finish(timeout: 60)
        #expect(output.status == 130, "the signal is obeyed while workers wait: \(output.stderr)")
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        #expect(rows.count == 5)
        #expect(rows.allSatisfy { $0["status"] == "pending" })
        #expect(sandbox.accounts().isEmpty)
        await sandbox.stop()
    }

    @Test func aRetryAfterBeyondTheCeilingStopsTheImportWithExitThree() async throws {
        let sandbox = try await throttlingSandbox(retryAfter: 3600)
        let file = folder.write("unavailable.csv", validRows(4))
        let output = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL, "--concurrency", "1"] + stateArguments,
            environment: sandboxCredentials)
        #expect(output.status == 3, "\(output.stderr)")
        #expect(output.stderr.contains("Retry-After"))
        #expect(sandbox.requestCount() == 1, "nothing more is sent to an unavailable provider")
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        #expect(rows.count == 4)
        #expect(rows.allSatisfy { $0["status"] == "pending" })
        await sandbox.stop()
    }
}
