import Foundation
import GRDB
import SubImportSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// No password of a settled row is left in any file under the state folder (the archived input
/// file aside, which is the user's own file), and a dry run leaves no copy of its input behind.
@Suite struct SecretsAtRestTests {
    let folder = TestFolder()
    var state: String { folder.file("state") }
    var reports: String { folder.file("reports") }
    var inbox: String { folder.file("inbox") }
    static let count = 17
    static var passwords: [String] { (1...count).map { "secret-\($0)-pw" } }

    /// The passwords found in any file under the state folder, outside `archive/`.
    func passwordsAtRest() -> Set<String> {
        var found: Set<String> = []
        guard let walker = FileManager.default.enumerator(atPath: state) else { return found }
        for case let relative as String in walker where !relative.hasPrefix("archive") {
            guard let data = FileManager.default.contents(atPath: state + "/" + relative) else { continue }
            for password in Self.passwords where data.range(of: Data(password.utf8)) != nil { found.insert(password) }
        }
        return found
    }

    @Test func noPasswordIsLeftUnderTheStateFolderAfterImport() async throws {
        let output = try await CLI.run(
            [
                "import", folder.write("a.csv", validRows(Self.count)), "--sandbox", "--state", state, "--reports",
                reports,
            ]
        )
        #expect(output.status == 0, "\(output.stderr)")
        #expect(passwordsAtRest().isEmpty, "\(passwordsAtRest().sorted())")
    }

    @Test func cancelledRowsLeaveNoPasswordBehind() async throws {
        let paths = ["--state", state, "--reports", reports]
        let queued = try await CLI.run(["enqueue", folder.write("a.csv", validRows(Self.count))] + paths)
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect(!passwordsAtRest().isEmpty, "queued rows keep their passwords")
        let batch = try #require(
            queued.stdout.components(separatedBy: "→ batch ").last?.prefix(while: { !$0.isWhitespace }))
        // Another program has the database open (as a running `watch` would): closing `cancel`'s
        // connection is then not the last close, which would checkpoint by itself.
        let other = try DatabaseQueue(path: state + "/queue.sqlite")
        _ = try await other.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM job") }
        let cancelled = try await CLI.run(["cancel", String(batch)] + paths)
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect(passwordsAtRest().isEmpty, "\(passwordsAtRest().sorted())")
        withExtendedLifetime(other) {}
    }

    func startWatch(_ sandbox: SandboxServer) async throws -> CLI.Running {
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let run = try CLI.Running(
            [
                "watch", "--inbox", inbox, "--base-url", sandbox.baseURL, "--state", state, "--reports", reports,
                "--rate", "0", "--settle", "0.3",
            ], environment: sandboxCredentials)
        #expect(await waitUntil(timeout: 20) { run.stderr.contains("watching ") }, "\(run.stderr)")
        return run
    }

    /// Drops the rows into the inbox of a running `watch` and waits until their batch settles.
    func dropAndWaitForSettlement(_ run: CLI.Running) async throws {
        try Data(validRows(Self.count).utf8).write(to: URL(fileURLWithPath: inbox + "/accounts.csv"))
        #expect(
            await waitUntil { run.stderr.contains("settled: \(Self.count) created") }, "not settled: \(run.stderr)")
    }

    @Test func aRunningWatchScrubsPasswordsSoonAfterABatchSettles() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration(quota: 0))
        let run = try await startWatch(sandbox)
        try await dropAndWaitForSettlement(run)
        #expect(await waitUntil(timeout: 15) { passwordsAtRest().isEmpty }, "\(passwordsAtRest().sorted())")
        run.process.terminate()
        let output = await run.finish(timeout: 30)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(passwordsAtRest().isEmpty)
        await sandbox.stop()
    }

    @Test func theNextStartAfterKill9ScrubsPasswords() async throws {
        let sandbox = try await SandboxServer.start(SandboxConfiguration(quota: 0))
        let first = try await startWatch(sandbox)
        try await dropAndWaitForSettlement(first)
        kill(first.process.processIdentifier, SIGKILL)
        _ = await first.finish()
        let next = try await startWatch(sandbox)
        #expect(await waitUntil(timeout: 15) { passwordsAtRest().isEmpty }, "\(passwordsAtRest().sorted())")
        next.process.terminate()
        _ = await next.finish(timeout: 30)
        await sandbox.stop()
    }

    /// A file big enough that its dry run is still queuing when the test interrupts it.
    func bigFile() -> String {
        let rows = (1...200_000).map { "P\($0),L\($0),secret-\($0 % Self.count + 1)-pw,C" }
        return folder.write("big.csv", "first_name,last_name,password,company_name\n" + rows.joined(separator: "\n"))
    }

    /// The dry-run folders inside the state folder.
    var dryRunFolders: [String] { (try? FileManager.default.contentsOfDirectory(atPath: state + "/dry-run")) ?? [] }

    func startDryRun(_ file: String) async throws -> CLI.Running {
        let run = try CLI.Running(["import", "--dry-run", file, "--state", state, "--reports", reports])
        #expect(
            await waitUntil {
                dryRunFolders.contains { FileManager.default.fileExists(atPath: "\(state)/dry-run/\($0)/queue.sqlite") }
            }, "the dry run never started queuing: \(run.stderr)")
        return run
    }

    /// System temporary folders a dry run of `pid` could have left.
    func systemTemporaryLeftovers(pid: Int32) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
            .filter { $0.hasPrefix("subimport-dry-run-\(pid)-") }
    }

    @Test func anInterruptedDryRunLeavesNoCopyOfItsInput() async throws {
        let file = bigFile()
        let interrupted = try await startDryRun(file)
        kill(interrupted.process.processIdentifier, SIGINT)
        let output = await interrupted.finish()
        #expect(output.status == 130, "\(output.stderr)")
        #expect(dryRunFolders.isEmpty, "\(dryRunFolders)")
        #expect(systemTemporaryLeftovers(pid: interrupted.process.processIdentifier).isEmpty)
        #expect(passwordsAtRest().isEmpty)

        let killed = try await startDryRun(file)
        kill(killed.process.processIdentifier, SIGKILL)
        _ = await killed.finish()
        #expect(systemTemporaryLeftovers(pid: killed.process.processIdentifier).isEmpty)
        // The next run on the state folder removes what the killed one left.
        let next = try await CLI.run(
            ["import", "--dry-run", folder.write("small.csv", validRows(2)), "--state", state, "--reports", reports])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(dryRunFolders.isEmpty, "\(dryRunFolders)")
        #expect(passwordsAtRest().isEmpty)
    }
}
