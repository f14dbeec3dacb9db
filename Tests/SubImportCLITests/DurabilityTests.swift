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
        // The journaled answer is applied, not re-sent. On a loaded machine the worker may also
        // have had the next row's request in flight at the kill: that row is rescued and sent
        // again, and its note says so. No account exists twice without that note.
        let rows = try reportRows(try #require(reportPaths(in: next.stdout).first, "\(next.stderr)"))
        #expect(rows.count == 5 && rows.allSatisfy { $0["status"] == "created" })
        let sandboxKeys = Set(sandbox.accounts().map(\.apiKey))
        #expect(rows.allSatisfy { sandboxKeys.contains($0["api_key"] ?? "") }, "every key is the provider's")
        let noted = rows.filter { ($0["note"] ?? "").contains("possible duplicate") }.count
        #expect(sandbox.accounts().count - 5 <= noted, "an account made twice has its note")
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

    /// Mounts a 3 MiB tmpfs (mode 0700) at the state folder: a real file system that fills up.
    /// False where mounting is not allowed (not root, or no CAP_SYS_ADMIN).
    func mountSmallStateFileSystem() -> Bool {
        try? FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let mounted = try? runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", state])
        return mounted?.status == 0
    }

    /// Writes zeros to `path` until the file system is full.
    func fillFileSystem(_ path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT, 0o600)
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0, count: 64 * 1024)
        while block.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        fsync(descriptor)
    }

    @Test func answersSurviveAFullDiskInTheJournalsReservedSpace() async throws {
        guard mountSmallStateFileSystem() else { return }  // only where a tmpfs can be mounted (root)
        defer { _ = try? runTool("/bin/umount", ["-l", state]) }
        let sandbox = try await delayedSandbox()
        let run = try CLI.Running(
            sending(
                "import", folder.write("full.csv", validRows(6)), sandbox: sandbox,
                ["--concurrency", "2", "--store-retry-limit", "1"]),
            environment: sandboxCredentials)
        #expect(await waitUntil { sandbox.accounts().count >= 1 }, "\(run.stderr)")
        // The disk fills while answers are on their way: the queue cannot grow, the journal can.
        let filler = state + "/filler"
        fillFileSystem(filler)
        let output = await run.finish(timeout: 60)
        #expect(output.status == 3, "\(output.stderr)")
        #expect(output.stderr.contains("will be applied at the next start"), "\(output.stderr)")
        #expect(journalSize() > 0, "the answers are on disk")
        try FileManager.default.removeItem(atPath: filler)
        let next = try await CLI.run(sending("work", nil, sandbox: sandbox, []), environment: sandboxCredentials)
        #expect(next.status == 0, "\(next.stderr)")
        try expectEveryAccountOnceWithItsKey(next, sandbox: sandbox, count: 6)
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
