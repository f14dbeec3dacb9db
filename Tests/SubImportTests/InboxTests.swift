import Foundation
import Testing

@testable import SubImport

#if canImport(Glibc)
    import Glibc
#endif

/// The inbox's building blocks: which names are taken, when a file has settled, who still
/// writes a file, the folders a file moves through, and the state folder's lock.
@Suite struct InboxTests {
    let directory = TestDirectory()

    @Test func filterTakesCSVFilesOnly() {
        for name in ["a.csv", "Accounts.CSV", "x.part.csv", "with space.csv"] {
            #expect(InboxFileFilter.accepts(name), "\(name)")
        }
        for name in [
            ".hidden.csv", "a.csv.part", "a.csv.tmp", "a.CSV.PART", "notes.txt", ".csv", "a.csvx", ".a.csv.swp",
        ] {
            #expect(!InboxFileFilter.accepts(name), "\(name)")
        }
    }

    @Test func settleNeedsTheWholeWindowUnchanged() {
        var tracker = SettleTracker(window: 2)
        func settled(_ signature: FileSignature, at time: Double) -> Bool {
            tracker.observe("a.csv", signature, at: time)
        }
        let first = FileSignature(device: 1, inode: 7, size: 100, modified: 5)
        #expect(!settled(first, at: 10))
        #expect(!settled(first, at: 11.9))
        #expect(settled(first, at: 12))
        // A write restarts the window.
        let grown = FileSignature(device: 1, inode: 7, size: 150, modified: 6)
        #expect(!settled(grown, at: 12.5))
        #expect(!settled(grown, at: 14.4))
        #expect(settled(grown, at: 14.5))
        // So does a touch that keeps the size, and a file replaced by another one.
        #expect(!settled(FileSignature(device: 1, inode: 7, size: 150, modified: 9), at: 15))
        #expect(!settled(FileSignature(device: 1, inode: 8, size: 150, modified: 9), at: 20))
        tracker.keepOnly([])
        #expect(tracker.tracked.isEmpty)
    }

    @Test func openWriterCheckSeesAFileHeldOpenForWriting() throws {
        let path = directory.write("held.csv", "first_name\n")
        let signature = try #require(FileSignature.of(path))
        #expect(!OpenWriterCheck.hasWriter(signature))
        let reader = try #require(FileHandle(forReadingAtPath: path))
        #expect(!OpenWriterCheck.hasWriter(signature), "a reader is not a writer")
        let writer = try #require(FileHandle(forWritingAtPath: path))
        #expect(OpenWriterCheck.hasWriter(signature))
        try writer.close()
        try reader.close()
        #expect(!OpenWriterCheck.hasWriter(signature))
    }

    @Test func oneLookAtTheWritersFindsExactlyTheFilesHeldOpenForWriting() throws {
        let paths = (0..<5).map { directory.write("burst\($0).csv", "first_name\n") }
        let signatures = try paths.map { try #require(FileSignature.of($0)) }
        #expect(OpenWriterCheck.withWriters(signatures).isEmpty)
        let writer = try #require(FileHandle(forWritingAtPath: paths[3]))
        let reader = try #require(FileHandle(forReadingAtPath: paths[1]))
        #expect(OpenWriterCheck.withWriters(signatures) == [signatures[3]])
        try writer.close()
        try reader.close()
        #expect(OpenWriterCheck.withWriters(signatures).isEmpty)
    }

    @Test func inotifyReportsCloseAfterWriteAndRenameIn() throws {
        let inbox = directory.file("inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let watcher = try InotifyWatcher(directory: inbox)
        let handle = FileHandle(
            fileDescriptor: open(inbox + "/slow.csv", O_WRONLY | O_CREAT | O_EXCL, 0o644), closeOnDealloc: false)
        try handle.write(contentsOf: Data("first_name,".utf8))
        #expect(watcher.wait(timeout: 0.1).names.isEmpty, "nothing while the writer holds the file")
        try handle.close()
        #expect(watcher.wait(timeout: 2).names == ["slow.csv"])
        directory.write("outside.csv.part", "x\n")
        #expect(rename(directory.file("outside.csv.part"), inbox + "/moved.csv") == 0)
        #expect(watcher.wait(timeout: 2).names == ["moved.csv"])
    }

    @Test func emptiedClaimFoldersAreReusedUnderNewNames() throws {
        let folders = try InboxFolders(inbox: directory.file("inbox"), stateDirectory: directory.file("state"))
        var paths = Set<String>()
        var inodes = Set<UInt64>()
        for index in 0..<3 {
            try Data("\(index)\n".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/f\(index).csv"))
            let claimed = try #require(try folders.claim("f\(index).csv"))
            let folder = (claimed as NSString).deletingLastPathComponent
            var info = stat()
            #expect(stat(folder, &info) == 0)
            paths.insert(folder)
            inodes.insert(UInt64(info.st_ino))
            try folders.archive(claimed, batchID: "b\(index)")
        }
        #expect(paths.count == 3, "every claim has a path never used before")
        #expect(inodes.count == 1, "one folder, renamed from claim to claim, instead of a mkdir and rmdir each")
        let left = try FileManager.default.contentsOfDirectory(atPath: folders.processing)
        #expect(left.allSatisfy { $0.hasPrefix(".") }, "no claim left: \(left)")
        #expect(folders.leftInProcessing().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folders.processing).isEmpty, "spares removed")
    }

    @Test func foldersClaimArchiveAndReject() throws {
        let folders = try InboxFolders(inbox: directory.file("inbox"), stateDirectory: directory.file("state"))
        #expect(mode(of: folders.processing) == 0o700)
        try Data("a\n".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/a.csv"))
        let claimed = try #require(try folders.claim("a.csv"))
        #expect(claimed.hasPrefix(folders.processing + "/") && claimed.hasSuffix("/a.csv"))
        #expect(!FileManager.default.fileExists(atPath: folders.inbox + "/a.csv"))
        #expect(folders.leftInProcessing() == [claimed])
        #expect(try folders.claim("a.csv") == nil, "a file that is gone is not claimed")
        #expect(try folders.archive(claimed, batchID: "b1") == folders.archive + "/a.csv")
        #expect(folders.leftInProcessing().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folders.processing).isEmpty, "claim folder removed")
        // The same name again: the batch id is added.
        try Data("b\n".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/a.csv"))
        let again = try #require(try folders.claim("a.csv"))
        #expect(try folders.archive(again, batchID: "b2") == folders.archive + "/a.b2.csv")
        try Data("\0\0".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/bin.csv"))
        let garbage = try #require(try folders.claim("bin.csv"))
        let rejected = try folders.reject(garbage, reason: "binary")
        #expect(rejected == folders.rejected + "/bin.csv")
        #expect(try String(contentsOfFile: rejected + ".reason.txt", encoding: .utf8) == "binary\n")
        #expect(mode(of: rejected + ".reason.txt") == 0o600)
    }

    @Test func stateLockIsExclusiveAndNamesItsHolder() throws {
        let state = directory.file("state")
        let lock = try StateLock.acquire(stateDirectory: state, command: "watch")
        #expect(throws: SubImportError.self) { try StateLock.acquire(stateDirectory: state, command: "import") }
        do {
            _ = try StateLock.acquire(stateDirectory: state, command: "import")
        } catch {
            #expect("\(error)".contains("in use by subimport watch (pid \(getpid()), since "), "\(error)")
            #expect("\(error)".contains("stop it or use another --state"))
        }
        lock.release()
        let next = try StateLock.acquire(stateDirectory: state, command: "work")
        next.release()
    }
}
