import Foundation
import GRDB
import SubImport
import SubImportSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Storage faults and secrets at rest, with the real binary: a second SQLite connection holding
/// the queue's write lock, `kill -9`, and every byte of the state folder searched for passwords.
@Suite struct DurabilityTests {
    let folder = TestFolder()
    var state: String { folder.file("state") }
    var reports: String { folder.file("reports") }
    var journal: String { state + "/answers.journal" }

    /// A sandbox that creates each account `answerDelayMs` before answering, so a test that
    /// sees a new account knows its answer is still on its way.
    func delayedSandbox(answerDelayMs: Int = 600) async throws -> SandboxServer {
        var configuration = SandboxConfiguration(quota: 0)
        configuration.answerDelayMs = answerDelayMs
        return try await SandboxServer.start(configuration)
    }

    func sending(_ command: String, _ file: String?, sandbox: SandboxServer, _ extra: [String]) -> [String] {
        [command] + (file.map { [$0] } ?? []) + [
            "--base-url", sandbox.baseURL, "--state", state, "--reports", reports, "--rate", "0",
            "--busy-timeout", "0.3",
        ] + extra
    }

    /// Every created row of `output`'s report once, with the key the sandbox gave its account,
    /// and no other account in the sandbox.
    func expectEveryAccountOnceWithItsKey(_ output: CLI.Output, sandbox: SandboxServer, count: Int) throws {
        let rows = try reportRows(try #require(reportPaths(in: output.stdout).first, "\(output.stderr)"))
        #expect(rows.count == count)
        #expect(rows.allSatisfy { $0["status"] == "created" }, "\(rows.map { $0["status"] ?? "" })")
        let keys = Set(sandbox.accounts().map(\.apiKey))
        #expect(sandbox.accounts().count == count, "no account is created twice")
        #expect(Set(rows.compactMap { $0["api_key"] }) == keys, "every key reaches the report")
        #expect(!rows.contains { ($0["note"] ?? "").contains("possible duplicate") })
    }

    func journalSize() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: journal))?[.size] as? Int) ?? 0
    }

    @Test func answersWaitForAQueueLockedLongerThanTheBusyTimeout() async throws {
        let sandbox = try await delayedSandbox()
        let run = try CLI.Running(
            sending("import", folder.write("a.csv", validRows(8)), sandbox: sandbox, ["--concurrency", "2"]),
            environment: sandboxCredentials)
        #expect(await waitUntil { sandbox.accounts().count >= 2 }, "\(run.stderr)")
        let lock = try ExclusiveLock(path: state + "/queue.sqlite")
        #expect(
            await waitUntil { run.stderr.contains("the queue database cannot be written") },
            "an answer came while locked: \(run.stderr)")
        // The fault lasts several busy timeouts (0.3 s) more: its duration, not a wait for an event.
        try await Task.sleep(for: .seconds(1.5))
        try lock.release()
        let output = await run.finish(timeout: 60)
        #expect(output.status == 0, "\(output.stderr)")
        try expectEveryAccountOnceWithItsKey(output, sandbox: sandbox, count: 8)
        #expect(journalSize() == 0, "the journal is emptied once its answers are recorded")
        await sandbox.stop()
    }

    @Test func answersKeptByAKilledRunAreAppliedAtTheNextStartWithoutResending() async throws {
        let sandbox = try await delayedSandbox()
        let file = folder.write("b.csv", validRows(5))
        let run = try CLI.Running(
            sending("import", file, sandbox: sandbox, ["--concurrency", "1"]), environment: sandboxCredentials)
        #expect(await waitUntil { sandbox.accounts().count >= 2 }, "\(run.stderr)")
        let lock = try ExclusiveLock(path: state + "/queue.sqlite")
        #expect(await waitUntil { run.stderr.contains("the queue database cannot be written") }, "\(run.stderr)")
        kill(run.process.processIdentifier, SIGKILL)
        _ = await run.finish()
        try lock.release()
        #expect(journalSize() > 0, "the answer was kept in the journal")
        let mode = try FileManager.default.attributesOfItem(atPath: journal)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let next = try await CLI.run(
            sending("work", nil, sandbox: sandbox, []), environment: sandboxCredentials)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("applied 1 answer(s)"), "\(next.stderr)")
        try expectEveryAccountOnceWithItsKey(next, sandbox: sandbox, count: 5)
        #expect(journalSize() == 0)
        await sandbox.stop()
    }

    @Test func aQueueUnwritableBeyondTheLimitStopsWithExit3AndKeepsTheAnswers() async throws {
        let sandbox = try await delayedSandbox()
        let run = try CLI.Running(
            sending(
                "import", folder.write("c.csv", validRows(6)), sandbox: sandbox,
                ["--concurrency", "2", "--store-retry-limit", "1"]),
            environment: sandboxCredentials)
        #expect(await waitUntil { sandbox.accounts().count >= 1 }, "\(run.stderr)")
        let lock = try ExclusiveLock(path: state + "/queue.sqlite")
        let output = await run.finish(timeout: 60)
        #expect(output.status == 3, "\(output.stderr)")
        #expect(output.stderr.contains("the queue database could not be written for "), "\(output.stderr)")
        #expect(output.stderr.contains("are kept in \(journal) and will be applied at the next start"))
        #expect(!output.stderr.contains("0 answer(s) are kept"), "\(output.stderr)")
        #expect(journalSize() > 0)
        try lock.release()
        let next = try await CLI.run(sending("work", nil, sandbox: sandbox, []), environment: sandboxCredentials)
        #expect(next.status == 0, "\(next.stderr)")
        try expectEveryAccountOnceWithItsKey(next, sandbox: sandbox, count: 6)
        #expect(journalSize() == 0)
        await sandbox.stop()
    }

    @Test func watchStopsWithExit3WhenTheQueueStaysUnwritable() async throws {
        let sandbox = try await delayedSandbox()
        let inbox = folder.file("inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let run = try CLI.Running(
            sending("watch", nil, sandbox: sandbox, ["--inbox", inbox, "--settle", "0.3", "--store-retry-limit", "1"]),
            environment: sandboxCredentials)
        #expect(await waitUntil { run.stderr.contains("watching ") }, "\(run.stderr)")
        try Data(validRows(4).utf8).write(to: URL(fileURLWithPath: inbox + "/w.csv"))
        #expect(await waitUntil { sandbox.accounts().count >= 1 }, "\(run.stderr)")
        let lock = try ExclusiveLock(path: state + "/queue.sqlite")
        let output = await run.finish(timeout: 60)
        #expect(output.status == 3, "\(output.stderr)")
        #expect(output.stderr.contains("will be applied at the next start"), "\(output.stderr)")
        try lock.release()
        // The next start applies the kept answers (here: every row's) before anything else.
        let next = try await CLI.run(sending("work", nil, sandbox: sandbox, []), environment: sandboxCredentials)
        #expect(next.status == 0, "\(next.stderr)")
        let store = try QueueStore(directory: state)
        var keys: [String] = []
        for batch in try store.batches() {
            try store.forEachJob(batchID: batch.id) { job in
                if job.state == .created, let key = job.apiKey { keys.append(key) }
            }
        }
        #expect(keys.count == 4, "\(next.stdout) \(next.stderr)")
        #expect(Set(keys) == Set(sandbox.accounts().map(\.apiKey)))
        #expect(sandbox.accounts().count == 4)
        await sandbox.stop()
    }
}

/// A second connection to the queue database holding `BEGIN EXCLUSIVE` until `release`.
final class ExclusiveLock: @unchecked Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
    }

    func release() throws {
        try queue.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
    }
}
