import Foundation
import Logging
import Testing

@testable import SubImport

#if canImport(Glibc)
    import Glibc
#endif

/// `watch`'s inbox facing hostile entries named `*.csv`: links (to another user's file, to
/// nowhere), a FIFO without writer, a socket, a folder; and a report that cannot be written.
/// Real files, a real `InboxService` and the sandbox over loopback.
@Suite struct InboxHostileEntryTests {
    /// The secret an attacker's link points at: it must never be read, logged or imported.
    static let envLine = "OCTOPUSH_API_KEY=victim-key-never-read"

    @Test func linksAndSpecialFilesAreRejectedAsThemselvesAndNeverBlockOthers() async throws {
        let harness = try await EngineHarness()
        let directory = harness.directory
        let inbox = directory.file("inbox")
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        // Another user's file outside the inbox, that a link points at.
        let victim = directory.write("victim.env", Self.envLine + "\nfirst_name,last_name,password\nA,B,pw-secret-1\n")
        #expect(chmod(victim, 0o600) == 0)
        let victimBefore = try Self.lstatInfo(victim)
        // Present at start (the first scan sees them) …
        #expect(symlink(victim, inbox + "/link.csv") == 0)
        #expect(symlink(directory.file("nowhere"), inbox + "/dangling.csv") == 0)
        #expect(mkfifo(inbox + "/fifo.csv", 0o644) == 0)
        // … and a FIFO left in processing by an earlier run that was swapped in there.
        #expect(mkdir(state + "/processing", 0o700) == 0 && mkdir(state + "/processing/1-1-a", 0o700) == 0)
        #expect(mkfifo(state + "/processing/1-1-a/stuck.csv", 0o644) == 0)
        let logs = LogCapture()
        let service = try InboxService(
            session: harness.session,
            configuration: InboxConfiguration(inbox: inbox, settleSeconds: 0.2, shutdownTimeout: 5),
            logger: logs.logger)
        let run = Task { await onDedicatedThread { service.run() } }
        // … and made in place while it runs (inotify only says IN_CREATE for these).
        try FileManager.default.createDirectory(atPath: inbox + "/folder.csv", withIntermediateDirectories: false)
        let socket = try Self.bindUnixSocket(inbox + "/socket.csv")
        defer { close(socket) }
        #expect(mkfifo(inbox + "/late-fifo.csv", 0o600) == 0)
        #expect(symlink(victim, inbox + "/late-link.csv") == 0)
        try Data(Fixtures.validRows(2).utf8).write(to: URL(fileURLWithPath: inbox + "/good.csv"))

        let rejected = state + "/rejected"
        let hostile = [
            "dangling.csv", "fifo.csv", "folder.csv", "late-fifo.csv", "late-link.csv", "link.csv",
            "socket.csv", "stuck.csv",
        ]
        let done = await Self.waitUntil {
            let names = Set((try? FileManager.default.contentsOfDirectory(atPath: rejected)) ?? [])
            return hostile.allSatisfy { names.contains($0) && names.contains($0 + ".reason.txt") }
                && FileManager.default.fileExists(atPath: state + "/archive/good.csv")
        }
        service.requestStop()
        _ = await run.value
        #expect(
            done, "rejected: \(Self.names(rejected)); archive: \(Self.names(state + "/archive")); logs: \(logs.text)")
        // Each one moved as itself: the links are still links to the same place.
        #expect(try Self.lstatInfo(rejected + "/link.csv").st_mode & S_IFMT == S_IFLNK)
        #expect(Self.linkTarget(rejected + "/link.csv") == victim)
        #expect(Self.linkTarget(rejected + "/dangling.csv") == directory.file("nowhere"))
        #expect(try Self.lstatInfo(rejected + "/fifo.csv").st_mode & S_IFMT == S_IFIFO)
        #expect(try Self.lstatInfo(rejected + "/stuck.csv").st_mode & S_IFMT == S_IFIFO)
        #expect(try Self.lstatInfo(rejected + "/socket.csv").st_mode & S_IFMT == S_IFSOCK)
        #expect(try Self.lstatInfo(rejected + "/folder.csv").st_mode & S_IFMT == S_IFDIR)
        let linkReason = try String(contentsOfFile: rejected + "/link.csv.reason.txt", encoding: .utf8)
        #expect(linkReason.contains("a symbolic link, not a regular file"), "\(linkReason)")
        let fifoReason = try String(contentsOfFile: rejected + "/fifo.csv.reason.txt", encoding: .utf8)
        #expect(fifoReason.contains("a FIFO (named pipe), not a regular file"), "\(fifoReason)")
        let socketReason = try String(contentsOfFile: rejected + "/socket.csv.reason.txt", encoding: .utf8)
        #expect(socketReason.contains("a socket, not a regular file"), "\(socketReason)")
        let folderReason = try String(contentsOfFile: rejected + "/folder.csv.reason.txt", encoding: .utf8)
        #expect(folderReason.contains("a folder, not a regular file"), "\(folderReason)")
        // The target: where it was, as it was, and none of it anywhere.
        let victimAfter = try Self.lstatInfo(victim)
        #expect(victimAfter.st_ino == victimBefore.st_ino && victimAfter.st_size == victimBefore.st_size)
        #expect(victimAfter.st_mtim.tv_sec == victimBefore.st_mtim.tv_sec)
        #expect(victimAfter.st_mtim.tv_nsec == victimBefore.st_mtim.tv_nsec)
        #expect(
            try String(contentsOfFile: victim, encoding: .utf8).hasPrefix(Self.envLine), "the target is untouched")
        for name in hostile {
            let reason = try String(contentsOfFile: rejected + "/\(name).reason.txt", encoding: .utf8)
            #expect(!reason.contains("victim-key") && !reason.contains("pw-secret"), "\(name): \(reason)")
        }
        #expect(!logs.text.contains("victim-key") && !logs.text.contains("pw-secret"), "\(logs.text)")
        // Only good.csv became a batch.
        let batches = try harness.session.store.batches()
        #expect(batches.map(\.fileName) == ["good.csv"])
        await harness.close()
    }

    @Test func aReportThatCannotBeWrittenIsRetriedAndBlocksNoOtherBatch() async throws {
        let harness = try await EngineHarness()
        let directory = harness.directory
        let reports = directory.file("reports")
        // A batch settled before watch starts, whose report name is taken by a folder.
        let (blocked, _) = try await harness.importCSV(Fixtures.validRows(2, prefix: "Blocked"), name: "blocked.csv")
        let blocker = reports + "/blocked.\(blocked.batch.id).csv"
        try FileManager.default.createDirectory(atPath: blocker + "/inside", withIntermediateDirectories: true)
        let inbox = directory.file("inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let logs = LogCapture()
        let service = try InboxService(
            session: harness.session,
            configuration: InboxConfiguration(
                inbox: inbox, settleSeconds: 0.2, shutdownTimeout: 5, reportRetryInterval: 0.2),
            logger: logs.logger)
        let run = Task { await onDedicatedThread { service.run() } }
        try Data(Fixtures.validRows(2, prefix: "Later").utf8).write(to: URL(fileURLWithPath: inbox + "/later.csv"))
        // One pass writes both reports and logs after: wait for the file and the log line.
        let laterReported = await Self.waitUntil {
            Self.names(reports).contains { $0.hasPrefix("later.") && $0.hasSuffix(".csv") }
                && logs.text.contains("cannot write the report of batch \(blocked.batch.id)")
        }
        #expect(laterReported, "the other batch's report is written meanwhile: \(logs.text)")
        // Once the name is free again, the blocked report is written on a later attempt.
        try FileManager.default.removeItem(atPath: blocker)
        let blockedReported = await Self.waitUntil {
            var info = stat()
            return lstat(blocker, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        }
        service.requestStop()
        _ = await run.value
        #expect(blockedReported, "\(logs.text)")
        #expect(try harness.session.store.batchesAwaitingReport(account: harness.session.account.key).isEmpty)
        await harness.close()
    }

    @Test func controlCharactersAreEscapedInReasonFilesAndLogs() throws {
        #expect(
            ControlCharacters.escaped("a\nb\rc\td\u{1B}[31m\u{0}\u{7F}\u{9B}\u{202E}é✓")
                == "a\\nb\\rc\\td\\u{1B}[31m\\u{0}\\u{7F}\\u{9B}\\u{202E}é✓")
        #expect(ControlCharacters.escaped("plain é text") == "plain é text")
        let directory = TestDirectory()
        let folders = try InboxFolders(inbox: directory.file("inbox"), stateDirectory: directory.file("state"))
        let name = "bad\u{1B}[2J\nname.csv"
        try Data("x".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/" + name))
        let claimed = try #require(try folders.claim(name))
        let moved = try folders.reject(claimed, reason: "header cell \"a\u{1B}]0;title\u{7}\"\nfake: line")
        let note = try String(contentsOfFile: moved + ".reason.txt", encoding: .utf8)
        #expect(note == "header cell \"a\\u{1B}]0;title\\u{7}\"\\nfake: line\n")
        let logs = LogCapture()
        logs.logger.error("rejected \(name)", metadata: ["cell": "x\ny"])
        #expect(logs.text == "error: rejected bad\\u{1B}[2J\\nname.csv")
    }

    @Test func rejectedNamesFitTheNameLimitWithTheirReasonFile() throws {
        let directory = TestDirectory()
        let folders = try InboxFolders(inbox: directory.file("inbox"), stateDirectory: directory.file("state"))
        let name = String(repeating: "n", count: 251) + ".csv"  // 255 bytes: no room for ".reason.txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/" + name))
        let claimed = try #require(try folders.claim(name))
        let moved = try folders.reject(claimed, reason: "binary")
        let movedName = (moved as NSString).lastPathComponent
        #expect(movedName.utf8.count + ".reason.txt".utf8.count <= 255 && movedName.hasSuffix(".csv"), "\(movedName)")
        #expect(FileManager.default.fileExists(atPath: moved + ".reason.txt"))
    }

    @Test func baseURLLoopbackHosts() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            #expect(BaseURLCheck.isLoopback(host), "\(host)")
        }
        for host in ["127.0.0.1.example.com", "128.0.0.1", "localhost.example.com", "10.0.0.1", "::2", "127.0.0"] {
            #expect(!BaseURLCheck.isLoopback(host), "\(host)")
        }
        #expect(throws: BaseURLCheck.Refusal.self) {
            try BaseURLCheck.validate("http://[::2]:80", allowInsecureHTTP: false)
        }
        #expect(throws: Never.self) { try BaseURLCheck.validate("http://[::1]:80", allowInsecureHTTP: false) }
    }

    // MARK: - Helpers

    static func waitUntil(timeout: Double = 30, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return condition()
    }

    static func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    static func lstatInfo(_ path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw SubImportError.io("lstat \(path): \(errno)") }
        return info
    }

    static func linkTarget(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// A Unix-domain socket bound at `path` (a socket file appears there).
    static func bindUnixSocket(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard descriptor >= 0, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SubImportError.io("cannot make a socket at \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw SubImportError.io("cannot bind \(path): \(errno)") }
        return descriptor
    }
}

/// Collects log lines in memory, as the CLI's handler would write them (escaped).
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var logger: Logger {
        var logger = Logger(label: "capture") { _ in EscapingLogHandler(wrapping: Handler(capture: self)) }
        logger.logLevel = .debug
        return logger
    }

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    fileprivate func append(_ line: String) { lock.withLock { lines.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        var metadataProvider: Logger.MetadataProvider?

        func log(event: LogEvent) { capture.append("\(event.level): \(event.message)") }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }
}
