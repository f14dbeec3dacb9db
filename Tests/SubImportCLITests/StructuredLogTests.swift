import Foundation
import SubImportSandbox
import Testing

/// `--log-format json` and `--log-level`, through the real binary.
@Suite struct StructuredLogTests {
    let folder = TestFolder()
    var stateArguments: [String] { ["--state", folder.file("state"), "--reports", folder.file("reports")] }
    static let masterKey = "json-m4ster-key-never-logged"
    static let stableKeys = [
        "time", "level", "message", "batch", "file", "row", "provider", "error_class", "error_code",
    ]

    /// Every non-empty line of `text` parsed as a JSON object; records a failure for a line that is not one.
    func objects(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { #expect(Self.stableKeys.allSatisfy { object.keys.contains($0) }, "missing keys: \(line)") }
            return object
        }
    }

    @Test func watchWritesOneJSONObjectALineWithStableKeysAndNoSecret() async throws {
        var configuration = SandboxConfiguration()
        configuration.failRate = 0.3
        configuration.seed = 5
        let sandbox = try await SandboxServer.start(configuration)
        let inbox = folder.file("inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let watch = try CLI.Running(
            [
                "watch", "--inbox", inbox, "--base-url", sandbox.baseURL, "--rate", "0", "--settle", "0.2",
                "--retry-base-delay", "0.01", "--log-format", "json", "--log-level", "debug",
            ] + stateArguments,
            environment: ["OCTOPUSH_API_LOGIN": "master@example.com", "OCTOPUSH_API_KEY": Self.masterKey])
        try Data(validRows(6).utf8).write(to: URL(fileURLWithPath: inbox + "/people.csv"))
        try Data([0x00, 0xFF, 0x10]).write(to: URL(fileURLWithPath: inbox + "/binary.csv"))
        #expect(await waitUntil { watch.stderr.contains("settled: 6 created") }, "\(watch.stderr)")
        #expect(await waitUntil { watch.stderr.contains("rejected binary.csv") })
        watch.process.terminate()
        let output = await watch.finish(timeout: 30)
        #expect(output.status == 0)
        let lines = objects(output.stderr)
        #expect(lines.count >= 10)
        #expect(lines.allSatisfy { ($0["provider"] as? String) == "octopush" || $0["provider"] is NSNull })
        let answers = lines.filter { ($0["message"] as? String)?.hasPrefix("answer: ") == true }
        #expect(answers.count >= 6)
        #expect(answers.allSatisfy { $0["row"] is Int && $0["batch"] is String && $0["error_class"] is String })
        #expect(
            answers.contains { ($0["error_class"] as? String) == "notSent" && ($0["error_code"] as? String) == "503" })
        #expect(lines.contains { ($0["file"] as? String) == "people.csv" && $0["batch"] is String })
        #expect(lines.contains { ($0["file"] as? String) == "binary.csv" && ($0["level"] as? String) == "error" })
        let report = try #require(
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.file("reports"))) ?? []).first {
                $0.hasSuffix(".csv")
            })
        let keys = try reportRows(folder.file("reports") + "/" + report).compactMap { $0["api_key"] }
        for secret in [Self.masterKey, "secret-1-pw", "secret-6-pw"] + keys {
            #expect(!output.stderr.contains(secret))
        }
        await sandbox.stop()
    }

    @Test func everyCommandTakesTheLogOptionsAndErrorsAreJSONToo() async throws {
        let missing = try await CLI.run(["report", "nope", "--log-format", "json"] + stateArguments)
        #expect(missing.status == 2)
        let error = try #require(objects(missing.stderr).first)
        #expect(error["level"] as? String == "error")
        #expect((error["message"] as? String)?.contains("no batch nope") == true)
        for command in [["status"], ["cancel", "x"], ["retry", "x"], ["prune", "--older-than", "1d"]] {
            let output = try await CLI.run(
                command + ["--log-format", "json", "--log-level", "warning"] + stateArguments)
            #expect(output.status != 64, "\(command) accepts the log options: \(output.stderr)")
            _ = objects(output.stderr)
        }
        let sample = CLI.packageRoot.appendingPathComponent("samples/accounts.csv").path
        let imported = try await CLI.run(
            ["import", sample, "--sandbox", "--log-format", "json", "--log-level", "debug", "--progress-every", "0.05"]
                + stateArguments)
        #expect(imported.status == 1, "\(imported.stderr)")
        #expect(objects(imported.stderr).contains { ($0["message"] as? String) == "answer: created" })
        let quiet = try await CLI.run(
            ["import", sample, "--sandbox", "--state", folder.file("state2"), "--reports", folder.file("reports")])
        #expect(quiet.status == 1)
        #expect(!quiet.stderr.contains("answer: created"), "debug lines only with --log-level debug")
    }
}
