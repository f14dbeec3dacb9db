import Foundation
import SubImportSandbox
import Testing

/// The real binary with each provider and mode: SMSPartner creates (with reconciliation) and
/// Octopush updates.
@Suite struct ProviderCommandTests {
    let folder = TestFolder()

    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }

    @Test func smspartnerSampleImportsIntoTheEmbeddedSandbox() async throws {
        let sample = CLI.packageRoot.appendingPathComponent("samples/smspartner.csv").path
        let output = try await CLI.run(
            ["import", sample, "--provider", "smspartner", "--smspartner-type", "simple", "--sandbox"]
                + stateArguments)
        #expect(output.status == 1, "the sample has invalid rows: \(output.stderr)")
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        #expect(
            rows.map { $0["status"] ?? "" } == [
                "created", "created", "created", "created", "created", "invalid", "invalid",
            ])
        #expect(rows[0]["api_login"] == "claire.martin@example.fr")
        #expect(rows[0]["email"] == "claire.martin@example.fr")
        #expect(rows[0]["first_name"] == "Claire")
        #expect(rows.prefix(5).allSatisfy { $0["api_key"]?.isEmpty == false })
        #expect(rows[3]["api_login"]?.isEmpty == false, "a simple account without email gets one")
        #expect(rows[5]["error_message"] == "is_buyer: is required for an advanced sub-account (1 or 0)")
    }

    @Test func smspartnerReconcilesCreatesWhoseConnectionWasDropped() async throws {
        var configuration = SandboxConfiguration(quota: 0, ambiguousRate: 0.5, ambiguousDropShare: 1, seed: 21)
        configuration.smspartnerKey = "partner-key"
        let sandbox = try await SandboxServer.start(configuration)
        let csv =
            (["type,email,firstname,is_buyer"] + (1...24).map { "advanced,user\($0)@example.fr,User\($0),0" })
            .joined(separator: "\n") + "\n"
        let output = try await CLI.run(
            [
                "import", folder.write("partners.csv", csv), "--provider", "smspartner", "--base-url", sandbox.baseURL,
                "--rate", "0", "--retry-base-delay", "0.01",
            ] + stateArguments, environment: ["SMSPARTNER_API_KEY": "partner-key"])
        let rows = try expectAllCreatedOnce(output, sandbox: sandbox, count: 24)
        #expect(rows.contains { $0["note"] == "reconciled after an ambiguous attempt" })
        #expect(!(output.stdout + output.stderr).contains("partner-key"))
        await sandbox.stop()
    }

    @Test func octopushUpdateModeChangesExistingAccounts() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let base = ["--base-url", sandbox.baseURL] + stateArguments
        let created = try await CLI.run(
            ["import", folder.write("create.csv", validRows(2))] + base, environment: sandboxCredentials)
        #expect(created.status == 0, "\(created.stderr)")
        let logins = try reportRows(try #require(reportPaths(in: created.stdout).first)).compactMap { $0["api_login"] }
        #expect(logins.count == 2)
        let update = folder.write(
            "update.csv",
            "api_login,company_name,first_name\n\(logins[0]),Renamed Co,\n\(logins[1]),,Newname\nghost@sub-accounts.com,X Co,\n"
        )
        let output = try await CLI.run(["import", update, "--mode", "update"] + base, environment: sandboxCredentials)
        #expect(output.status == 1, "one row names an unknown login: \(output.stderr)")
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        #expect(rows.map { $0["status"] ?? "" } == ["updated", "updated", "failed"])
        #expect(rows[0]["api_login"] == logins[0])
        #expect(rows[2]["error_code"] == "130")
        let accounts = Dictionary(uniqueKeysWithValues: sandbox.accounts().map { ($0.apiLogin, $0) })
        #expect(accounts[logins[0]]?.companyName == "Renamed Co")
        #expect(accounts[logins[0]]?.firstName == "Person1", "an empty cell is not sent")
        #expect(accounts[logins[1]]?.firstName == "Newname")
        #expect(accounts[logins[1]]?.companyName == "Company 2")
        await sandbox.stop()
    }

    @Test func providerOptionsAreCheckedBeforeAnythingRuns() async throws {
        let file = folder.write("one.csv", validRows(1))
        let cases: [([String], String)] = [
            (["--smspartner-type", "simple"], "--smspartner-type is for --provider smspartner"),
            (["--provider", "smspartner", "--smspartner-type", "premium"], "must be simple or advanced"),
            (["--provider", "smspartner", "--mode", "update"], "does not support --mode update"),
            (["--default", "nosuch=1"], "no column nosuch"),
            (["--default", "novalue"], "COLUMN=VALUE"),
        ]
        for (arguments, message) in cases {
            let output = try await CLI.run(["import", file, "--sandbox"] + arguments + stateArguments)
            #expect(output.status == 2, "\(arguments)")
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
        let noKey = try await CLI.run(["import", file, "--provider", "smspartner"] + stateArguments)
        #expect(noKey.status == 2)
        #expect(noKey.stderr.contains("SMSPARTNER_API_KEY"))
    }

    @Test func smspartnerKilledMidBatchReconcilesTheRowsThatWereInFlight() async throws {
        // Accounts are created 300 ms before they are answered: when the 8th exists, the
        // requests of the last wave have created their accounts and still wait for answers.
        var configuration = SandboxConfiguration(quota: 0)
        configuration.answerDelayMs = 300
        let sandbox = try await SandboxServer.start(configuration)
        let csv =
            (["type,email,firstname,is_buyer"] + (1...24).map { "advanced,crash\($0)@example.fr,Crash\($0),1" })
            .joined(separator: "\n") + "\n"
        let arguments =
            [
                "import", folder.write("crash.csv", csv), "--provider", "smspartner", "--base-url", sandbox.baseURL,
                "--concurrency", "4", "--rate", "0",
            ] + stateArguments
        let env = ["SMSPARTNER_API_KEY": "partner-key"]
        let victim = try CLI.Running(arguments, environment: env)
        #expect(await waitUntil { sandbox.accounts().count >= 8 }, "the import never got going: \(victim.stderr)")
        kill(victim.process.processIdentifier, SIGKILL)
        _ = await victim.finish()
        let rerun = try await CLI.run(arguments, environment: env)
        let rows = try expectAllCreatedOnce(rerun, sandbox: sandbox, count: 24)
        #expect(
            rows.contains { $0["note"] == "reconciled after an ambiguous attempt" },
            "the requests in flight at the kill created their accounts; the re-run finds them")
        await sandbox.stop()
    }

    @Test func smspartnerRetryNeedsNoSourceFile() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration())
        let env = ["SMSPARTNER_API_KEY": "partner-key"]
        let base = ["--provider", "smspartner", "--base-url", sandbox.baseURL] + stateArguments
        let first = folder.write("first.csv", "type,email\nsimple,taken@example.fr\n")
        #expect(try await CLI.run(["import", first] + base, environment: env).status == 0)
        let second = folder.write("second.csv", "type,email\nsimple,taken@example.fr\nsimple,free@example.fr\n")
        let conflict = try await CLI.run(["import", second] + base, environment: env)
        #expect(conflict.status == 1, "the first row is a real conflict: \(conflict.stderr)")
        let batch = try #require(
            conflict.stdout.components(separatedBy: "batch ").dropFirst().first?.prefix(12).description)
        try FileManager.default.removeItem(atPath: second)
        let retry = try await CLI.run(["retry", batch] + stateArguments)
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(retry.stdout.contains("1 failed row(s) queued again"))
        await sandbox.stop()
    }

    /// Checks that an SMSPartner import exited 0 with `count` rows all `created`, one sandbox
    /// account each, every row holding its account's live token; returns the report rows.
    func expectAllCreatedOnce(_ output: CLI.Output, sandbox: SandboxServer, count: Int) throws -> [[String: String]] {
        #expect(output.status == 0, "\(output.stderr)")
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first))
        #expect(rows.count == count && rows.allSatisfy { $0["status"] == "created" })
        #expect(sandbox.accounts().count == count)
        let tokens = Dictionary(uniqueKeysWithValues: sandbox.accounts().map { ($0.apiLogin, $0.apiKey) })
        // Compared as a Bool so that a failure never prints a token.
        let allLive = rows.allSatisfy { $0["api_key"] != nil && $0["api_key"] == tokens[$0["api_login"] ?? ""] }
        #expect(allLive, "every row holds its account's live token")
        return rows
    }
}
