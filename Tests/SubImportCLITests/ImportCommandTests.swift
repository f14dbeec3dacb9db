import Foundation
import SubImportSandbox
import Testing

/// The real binary, end to end.
@Suite struct ImportCommandTests {
    let folder = TestFolder()

    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }

    @Test func sampleFileImportsIntoTheEmbeddedSandbox() async throws {
        let sample = CLI.packageRoot.appendingPathComponent("samples/accounts.csv").path
        let output = try await CLI.run(["import", sample, "--sandbox"] + stateArguments)
        #expect(output.status == 1, "the sample has invalid rows: \(output.stderr)")
        let paths = reportPaths(in: output.stdout)
        let csv = try #require(paths.first)
        let rows = try reportRows(csv)
        #expect(rows.count == 22)
        #expect(rows.map { $0["row"] } == (1...22).map { String($0) })
        #expect(rows.filter { $0["status"] == "created" }.count == 16)
        #expect(rows.filter { $0["status"] == "invalid" }.count == 5)
        #expect(rows.filter { $0["status"] == "duplicate" }.count == 1)
        #expect(rows.filter { $0["status"] == "created" }.allSatisfy { $0["api_key"]?.isEmpty == false })
        let galois = try #require(rows.first { $0["first_name"] == "Évariste" })
        #expect(galois["company_name"]?.hasPrefix("'=") == true)
        #expect(!output.stdout.contains("Mona-Lisa-1503") && !output.stderr.contains("Mona-Lisa-1503"))
    }

    @Test func sameImportAgainSendsNothing() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let file = folder.write("five.csv", validRows(5))
        let env = ["OCTOPUSH_API_LOGIN": "master@example.com", "OCTOPUSH_API_KEY": "k3y-never-printed"]
        let first = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL] + stateArguments, environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL] + stateArguments, environment: env)
        #expect(second.status == 0)
        #expect(second.stdout.contains("already imported"))
        #expect(sandbox.accounts().count == 5)
        for output in [first, second] { #expect(!(output.stdout + output.stderr).contains("k3y-never-printed")) }
        await sandbox.stop()
    }

    @Test func missingFileAndMissingCredentialsAreUsageErrors() async throws {
        let missing = try await CLI.run(["import", folder.file("nope.csv"), "--sandbox"] + stateArguments)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.csv"))
        let file = folder.write("one.csv", validRows(1))
        let noCredentials = try await CLI.run(["import", file] + stateArguments)
        #expect(noCredentials.status == 2)
        #expect(noCredentials.stderr.contains("OCTOPUSH_API_LOGIN"))
    }

    @Test func badCredentialsExitThreeAndKeepRowsPending() async throws {
        var configuration = SandboxConfiguration()
        configuration.apiLogin = "master@example.com"
        configuration.apiKey = "the-right-key"
        let sandbox = try await SandboxServer.start(configuration)
        let file = folder.write("four.csv", validRows(4))
        let env = ["OCTOPUSH_API_LOGIN": "master@example.com", "OCTOPUSH_API_KEY": "a-wrong-secret-key"]
        let output = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL] + stateArguments, environment: env)
        #expect(output.status == 3)
        #expect(!(output.stdout + output.stderr).contains("a-wrong-secret-key"))
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        #expect(rows.count == 4)
        #expect(rows.allSatisfy { $0["status"] == "pending" })
        // With the right key, the same command finishes the batch.
        let fixed = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL] + stateArguments,
            environment: ["OCTOPUSH_API_LOGIN": "master@example.com", "OCTOPUSH_API_KEY": "the-right-key"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(sandbox.accounts().count == 4)
        await sandbox.stop()
    }

    @Test func quotaExitsThreeThenFinishesOnceRaised() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let file = folder.write("many.csv", validRows(25))
        let env = sandboxCredentials
        let first = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL] + stateArguments, environment: env)
        #expect(first.status == 3)
        let rows = try reportRows(try #require(reportPaths(in: first.stdout).first))
        #expect(rows.filter { $0["status"] == "created" }.count == 20)
        #expect(rows.filter { $0["status"] == "pending" }.count == 5)
        sandbox.setQuota(0)
        let second = try await CLI.run(
            ["import", file, "--base-url", sandbox.baseURL] + stateArguments, environment: env)
        #expect(second.status == 0, "\(second.stderr)")
        let final = try reportRows(try #require(reportPaths(in: second.stdout).first))
        #expect(final.filter { $0["status"] == "created" }.count == 25)
        #expect(sandbox.accounts().count == 25)
        await sandbox.stop()
    }

    @Test func enqueueThenWorkThenStatusAndReport() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let file = folder.write("queued.csv", validRows(3))
        let env = sandboxCredentials
        let common = ["--base-url", sandbox.baseURL] + stateArguments
        let enqueue = try await CLI.run(["enqueue", file] + common, environment: env)
        #expect(enqueue.status == 0, "\(enqueue.stderr)")
        #expect(sandbox.accounts().isEmpty, "enqueue sends nothing")
        let status = try await CLI.run(["status", "--json", "--state", folder.file("state")])
        let batches = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(batches.count == 1)
        let batchID = try #require(batches[0]["batch_id"] as? String)
        #expect((batches[0]["counts"] as? [String: Int])?["pending"] == 3)
        let work = try await CLI.run(["work"] + common, environment: env)
        #expect(work.status == 0, "\(work.stderr)")
        #expect(sandbox.accounts().count == 3)
        let report = try await CLI.run(["report", batchID] + stateArguments)
        #expect(report.status == 0)
        #expect(report.stdout.components(separatedBy: "\r\n").filter { $0.contains(",created,") }.count == 3)
        await sandbox.stop()
    }

    @Test func killedMidBatchResumesWithEveryRowOnce() async throws {
        let sandbox = try await slowSandbox(latencyMs: 50)
        let file = folder.write("crash.csv", validRows(60))
        let env = sandboxCredentials
        let arguments =
            ["import", file, "--base-url", sandbox.baseURL, "--concurrency", "4", "--rate", "0"]
            + stateArguments
        let victim = try CLI.Running(arguments, environment: env)
        #expect(await waitUntil { sandbox.accounts().count >= 10 }, "the import never got going: \(victim.stderr)")
        kill(victim.process.processIdentifier, SIGKILL)
        _ = await victim.finish()
        let createdBeforeCrash = sandbox.accounts().count
        #expect(createdBeforeCrash < 60)
        let rerun = try await CLI.run(arguments, environment: env)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let rows = try reportRows(try #require(reportPaths(in: rerun.stdout).first))
        #expect(rows.map { $0["row"] } == (1...60).map { String($0) })
        #expect(rows.allSatisfy { $0["status"] == "created" })
        var created: [String: Int] = [:]
        for account in sandbox.accounts() { created[account.firstName ?? "", default: 0] += 1 }
        #expect(created.count == 60)
        for (name, count) in created where count > 1 {
            let row = try #require(rows.first { $0["first_name"] == name })
            #expect(row["note"]?.hasPrefix("possible duplicate:") == true, "\(name) was created \(count) times")
        }
        await sandbox.stop()
    }

    @Test func sandboxCommandServesOnTheAskedPort() async throws {
        let server = try CLI.Running(["sandbox", "--port", "0"])
        #expect(await waitUntil { server.stdout.contains("sandbox listening on http://127.0.0.1:") })
        server.process.interrupt()
        let output = await server.finish(timeout: 20)
        #expect(output.status == 0)
    }
}
