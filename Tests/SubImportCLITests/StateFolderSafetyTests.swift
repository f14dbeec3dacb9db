import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Folders and files the tool writes, against modes, owners and links planted by someone else;
/// and `--base-url` and control characters. The real binary and real folders (the tests run as
/// root, so another owner is made with `chown` to `nobody`).
@Suite struct StateFolderSafetyTests {
    let folder = TestFolder()
    var state: String { folder.file("state") }
    var reports: String { folder.file("reports") }
    var stateArguments: [String] { ["--state", state, "--reports", reports] }
    static let nobody: uid_t = 65534

    func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func newFoldersAre0700AndExistingOnesKeepTheirMode() async throws {
        let file = folder.write("two.csv", validRows(2))
        // New: created 0700, parents included.
        let fresh = try await CLI.run(
            ["import", file, "--sandbox", "--state", folder.file("new/state"), "--reports", folder.file("new/reports")])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        for path in ["new", "new/state", "new/reports", "new/state/lock", "new/state/queue.sqlite"] {
            #expect(mode(folder.file(path)) == (path.hasPrefix("new/state/") ? 0o600 : 0o700), "\(path)")
        }
        // Existing: a 0755 state folder and a sticky 1777 reports folder keep their modes.
        #expect(mkdir(state, 0o755) == 0 && chmod(state, 0o755) == 0)
        #expect(mkdir(reports, 0o777) == 0 && chmod(reports, 0o1777) == 0)
        let existing = try await CLI.run(["import", file, "--sandbox"] + stateArguments)
        #expect(existing.status == 0, "\(existing.stderr)")
        #expect(mode(state) == 0o755)
        #expect(mode(reports) == 0o1777, "the sticky bit is kept")
        // `--state .`: the current folder is used as it is.
        let here = folder.file("here")
        #expect(mkdir(here, 0o750) == 0 && chmod(here, 0o750) == 0)
        let dot = try await CLI.run(["enqueue", file, "--sandbox", "--state", "."], directory: here)
        #expect(dot.status == 0, "\(dot.stderr)")
        #expect(mode(here) == 0o750)
        #expect(FileManager.default.fileExists(atPath: here + "/queue.sqlite"))
    }

    @Test func stateFolderOfAnotherUserOrWritableByOthersIsRefused() async throws {
        let file = folder.write("one.csv", validRows(1))
        #expect(mkdir(state, 0o700) == 0)
        #expect(chown(state, Self.nobody, Self.nobody) == 0)
        for command in [["import", file, "--sandbox"], ["enqueue", file, "--sandbox"], ["status"]] {
            let output = try await CLI.run(command + stateArguments)
            #expect(output.status == 2, "\(command[0]): \(output.stderr)")
            #expect(output.stderr.contains("belongs to uid 65534"), "\(output.stderr)")
            #expect(output.stderr.contains(state))
        }
        #expect(!FileManager.default.fileExists(atPath: state + "/queue.sqlite"), "nothing written in it")
        #expect(chown(state, 0, 0) == 0 && chmod(state, 0o770) == 0)
        let groupWritable = try await CLI.run(["import", file, "--sandbox"] + stateArguments)
        #expect(groupWritable.status == 2)
        #expect(groupWritable.stderr.contains("writable by group or others (mode 770)"), "\(groupWritable.stderr)")
        #expect(mode(state) == 0o770, "refused, not repaired")
    }

    @Test func databaseOfAnotherUserOrThroughALinkIsRefused() async throws {
        let file = folder.write("one.csv", validRows(1))
        let first = try await CLI.run(["enqueue", file, "--sandbox"] + stateArguments)
        #expect(first.status == 0, "\(first.stderr)")
        let database = state + "/queue.sqlite"
        #expect(chown(database, Self.nobody, Self.nobody) == 0)
        let foreign = try await CLI.run(["status"] + stateArguments)
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("queue.sqlite belongs to uid 65534"), "\(foreign.stderr)")
        #expect(chown(database, 0, 0) == 0)
        // A database replaced by a link to one elsewhere is refused, not opened through.
        let elsewhere = folder.file("elsewhere.sqlite")
        #expect(rename(database, elsewhere) == 0 && symlink(elsewhere, database) == 0)
        let linked = try await CLI.run(["status"] + stateArguments)
        #expect(linked.status == 2)
        #expect(linked.stderr.contains("queue.sqlite is a symbolic link"), "\(linked.stderr)")
    }

    @Test func aPlantedLockLinkIsRefusedAndItsTargetUntouched() async throws {
        let file = folder.write("one.csv", validRows(1))
        let victim = folder.write("victim.txt", "precious\n")
        #expect(mkdir(state, 0o700) == 0 && symlink(victim, state + "/lock") == 0)
        let output = try await CLI.run(["import", file, "--sandbox"] + stateArguments)
        #expect(output.status == 2)
        #expect(output.stderr.contains("lock is a symbolic link"), "\(output.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    }

    @Test func reportNamesOfLongInputNamesAreShortenedKeepingTheBatchID() async throws {
        let longName = String(repeating: "é", count: 120) + "-accounts.csv"  // 253 bytes
        let file = folder.write(longName, validRows(2))
        let output = try await CLI.run(["import", file, "--sandbox"] + stateArguments)
        #expect(output.status == 0, "\(output.stderr)")
        let csv = try #require(reportPaths(in: output.stdout).first)
        let name = (csv as NSString).lastPathComponent
        #expect(name.utf8.count <= 255)
        let status = try await CLI.run(["status", "--json", "--state", state])
        let batches = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let batchID = try #require(batches.first?["batch_id"] as? String)
        #expect(name.hasSuffix(".\(batchID).csv") && name.hasPrefix("éé"), "\(name)")
        #expect(try reportRows(csv).filter { $0["status"] == "created" }.count == 2)
    }

    @Test func importFollowsALinkTheUserNamed() async throws {
        let file = folder.write("real.csv", validRows(2))
        #expect(symlink(file, folder.file("link.csv")) == 0)
        let output = try await CLI.run(["import", folder.file("link.csv"), "--sandbox"] + stateArguments)
        #expect(output.status == 0, "\(output.stderr)")
    }

    @Test func baseURLIsSchemeHostAndPortOnlyAndPlainHTTPOnlyToLoopback() async throws {
        let file = folder.write("one.csv", validRows(1))
        let refused: [(String, String)] = [
            ("https://user:pa55word@api.example.com", "user info"),
            ("https://api.example.com/v1", "without path, query or fragment"),
            ("https://api.example.com?x=1", "without path, query or fragment"),
            ("https://api.example.com#top", "without path, query or fragment"),
            ("http://api.example.com", "--allow-insecure-http"),
            ("ftp://api.example.com", "http:// or https://"),
        ]
        for (url, message) in refused {
            let output = try await CLI.run(["import", "--dry-run", "--base-url", url, file] + stateArguments)
            #expect(output.status == 2, "\(url): \(output.stderr)")
            #expect(output.stderr.contains(message), "\(url): \(output.stderr)")
            #expect(!output.stderr.contains("pa55word"))
        }
        // Loopback over plain http, or another host with the explicit flag, are accepted.
        for arguments in [
            ["--base-url", "http://127.0.0.1:9"], ["--base-url", "http://localhost:9/"],
            ["--base-url", "http://api.example.com", "--allow-insecure-http"],
        ] {
            let output = try await CLI.run(["import", "--dry-run"] + arguments + [file] + stateArguments)
            #expect(output.status == 0, "\(arguments): \(output.stderr)")
        }
    }

    @Test func controlCharactersInNamesAndHeaderCellsAreEscapedOnStandardError() async throws {
        let file = folder.write("evil\u{1B}[2J\nfake line.csv", "first\u{1B}[31mname,last\rname\n")
        let output = try await CLI.run(["import", "--dry-run", file] + stateArguments)
        #expect(output.status == 2)
        #expect(!output.stderr.contains("\u{1B}"), "\(output.stderr.debugDescription)")
        #expect(!output.stderr.contains("\r"))
        #expect(output.stderr.contains("evil\\u{1B}[2J\\nfake line.csv"), "\(output.stderr.debugDescription)")
        #expect(output.stderr.split(separator: "\n").filter { $0.contains("evil") }.count == 1, "one error, one line")
    }
}
