import Foundation
import Logging
import Testing

@testable import SubImport

#if canImport(Glibc)
    import Glibc
#endif

/// Claims shared by the watches of one inbox (`ClaimSharing.inbox`): real folders, real
/// processes whose pids name live and dead holders, real renames racing, and a real
/// `InboxService` finishing the claims of watches that are gone.
@Suite struct SharedClaimTests {
    let directory = TestDirectory()
    var inbox: String { directory.file("inbox") }

    func sharedFolders(state: String = "state", staleAfter: Double = 60) throws -> InboxFolders {
        try InboxFolders(inbox: inbox, stateDirectory: directory.file(state), claims: .inbox(staleAfter: staleAfter))
    }

    /// A claim folder left by `holder` (`pid:<pid>:<random>@<host>`) holding `name` with `text`;
    /// returns the claim folder's name.
    @discardableResult
    func leaveClaim(
        by holder: String, _ name: String, _ text: String = Fixtures.validRows(2), in folders: InboxFolders
    ) throws -> String {
        let claim = (folders.processing as NSString).appendingPathComponent(holder)
        #expect(mkdir(claim, 0o700) == 0)
        try Data(text.utf8).write(to: URL(fileURLWithPath: claim + "/" + name))
        return holder
    }

    /// A holder name for process `pid` on `host`, unique to the call.
    func holder(pid: pid_t, host: String = WorkerIdentity.host) -> String {
        "pid:\(pid):\(UInt32.random(in: 0...UInt32.max))@\(host)"
    }

    /// The pid of a real process that has exited (and was reaped).
    func deadPid() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// A real process that runs until `end` (its output not tied to the test runner's).
    func liveProcess() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["600"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Ends `process` with SIGKILL (it may have inherited an ignored SIGTERM) and reaps it.
    func end(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sets the modification time of `path` to `secondsAgo` in the past.
    func age(_ path: String, by secondsAgo: Double) {
        let then = Date().timeIntervalSince1970 - secondsAgo
        let time = timespec(tv_sec: Int(then), tv_nsec: 0)
        let times = [time, time]
        #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
    }

    func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test func sharedClaimsLiveInAHiddenFolderOfTheInboxNamedForTheirHolder() throws {
        let folders = try sharedFolders()
        #expect(folders.processing == folders.inbox + "/.processing")
        #expect(mode(of: folders.processing) == 0o700)
        try Data("a\n".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/a.csv"))
        let claimed = try #require(try folders.claim("a.csv"))
        let claim = ((claimed as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let token = try #require(ClaimToken(folderName: claim))
        #expect(token.holder.hasPrefix("pid:\(getpid()):") && token.holder.hasSuffix("@\(WorkerIdentity.host)"))
        #expect(token.ingestOwner.description == token.original)
        #expect(folders.inboxCandidates().isEmpty, "the claim folder is no inbox file")
        #expect(folders.leftInProcessing().isEmpty, "shared claims are not this state folder's leftovers")
        #expect(folders.adoptableClaims(staleAfter: 60).isEmpty, "a live holder's fresh claim is left alone")
        #expect(try folders.archive(claimed, batchID: "b1") == folders.archive + "/a.csv")
        #expect(names(folders.processing).isEmpty, "the claim folder is removed with its file")
    }

    @Test func aClaimOfAProcessGoneFromThisHostIsAdoptedAtOnceALiveOnesOnlyOnceSilent() throws {
        let folders = try sharedFolders(staleAfter: 30)
        let live = try liveProcess()
        defer { end(live) }
        let dead = try leaveClaim(by: holder(pid: try deadPid()), "dead.csv", in: folders)
        let alive = try leaveClaim(by: holder(pid: live.processIdentifier), "alive.csv", in: folders)
        #expect(folders.adoptableClaims(staleAfter: 30) == [dead])

        let adopted = try #require(folders.adopt(dead))
        #expect(adopted.count == 1)
        let path = try #require(adopted.first)
        let newClaim = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        #expect(newClaim.hasPrefix(dead + "~pid:\(getpid()):"), "same claim, held by this process: \(newClaim)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Fixtures.validRows(2))
        #expect(!FileManager.default.fileExists(atPath: folders.processing + "/" + dead))
        #expect(folders.adopt(dead) == nil, "a claim is adopted once")
        #expect(folders.isSameClaim(folders.processing + "/" + dead + "/dead.csv", as: path))
        #expect(!folders.isSameClaim(folders.processing + "/" + alive + "/dead.csv", as: path))
        #expect(folders.ingestOwner(ofClaimed: path).description == dead, "the ingest runs as the first claimant")
        #expect(folders.adoptableClaims(staleAfter: 30).isEmpty, "an adopted claim is fresh, its holder alive")

        // An empty claim (its holder killed between making it and moving the file in, or between
        // moving the file out and removing it) is removed by its adopter.
        let empty = holder(pid: try deadPid())
        #expect(mkdir(folders.processing + "/" + empty, 0o700) == 0)
        #expect(folders.adoptableClaims(staleAfter: 30) == [empty])
        #expect(folders.adopt(empty) == [])
        #expect(names(folders.processing).count == 2, "\(names(folders.processing))")

        // A live holder that stopped touching its claim for longer than the limit.
        age(folders.processing + "/" + alive, by: 31)
        #expect(folders.adoptableClaims(staleAfter: 30) == [alive])
    }

    @Test func anotherHostsClaimIsAdoptedOnlyOnceItsHeartbeatIsOld() throws {
        let folders = try sharedFolders(staleAfter: 5)
        // The pid of this very process: on another host it says nothing about the holder.
        let remote = try leaveClaim(by: holder(pid: getpid(), host: "elsewhere.example"), "remote.csv", in: folders)
        let dead = try deadPid()
        let remoteDeadPid = try leaveClaim(
            by: holder(pid: dead, host: "elsewhere.example"), "remote2.csv", in: folders)
        #expect(folders.adoptableClaims(staleAfter: 5).isEmpty, "fresh claims of another host are never adopted")
        age(folders.processing + "/" + remote, by: 6)
        age(folders.processing + "/" + remoteDeadPid, by: 4)
        #expect(folders.adoptableClaims(staleAfter: 5) == [remote])
        // Its holder's heartbeat makes it fresh again.
        #expect(InboxFolders.touchClaim(of: folders.processing + "/" + remote + "/remote.csv"))
        #expect(folders.adoptableClaims(staleAfter: 5).isEmpty)
    }

    @Test func twoAdoptersRacingTakeEveryClaimExactlyOnce() async throws {
        let first = try sharedFolders(state: "state1")
        let second = try sharedFolders(state: "state2")
        let dead = try deadPid()
        let claims = try (0..<60).map { try leaveClaim(by: holder(pid: dead), "file\($0).csv", in: first) }
        let adopters = [first, second]
        let taken = await withTaskGroup(of: [String].self) { group in
            for folders in adopters {
                group.addTask {
                    await onDedicatedThread {
                        folders.adoptableClaims(staleAfter: 60).compactMap { folders.adopt($0) }.flatMap { $0 }
                    }
                }
            }
            var all: [[String]] = []
            for await files in group { all.append(files) }
            return all
        }
        let names = taken.flatMap { $0 }.map { ($0 as NSString).lastPathComponent }
        #expect(names.count == claims.count, "every claim adopted once: \(taken.map(\.count))")
        #expect(Set(names).count == claims.count)
        let folders = self.names(first.processing)
        #expect(folders.count == claims.count)
        #expect(folders.allSatisfy { ClaimToken(folderName: $0)?.holderIsGone == false }, "all held by this process")
    }

    @Test func theHeartbeatKeepsHeldClaimsFreshAndNamesTheLostOnes() throws {
        let folders = try sharedFolders()
        for name in ["kept.csv", "lost.csv"] {
            try Data("a\n".utf8).write(to: URL(fileURLWithPath: folders.inbox + "/" + name))
        }
        let kept = try #require(try folders.claim("kept.csv"))
        let lost = try #require(try folders.claim("lost.csv"))
        let heartbeat = ClaimHeartbeat()
        heartbeat.hold(kept)
        heartbeat.hold(lost)
        let keptClaim = (kept as NSString).deletingLastPathComponent
        age(keptClaim, by: 120)
        // Another watch adopted `lost` (this one looked silent to it).
        let lostClaim = (lost as NSString).deletingLastPathComponent
        #expect(rename(lostClaim, lostClaim + "~" + holder(pid: 1, host: "elsewhere.example")) == 0)
        #expect(heartbeat.beat() == [lost])
        #expect(heartbeat.files == [kept])
        let modified = try #require(
            try FileManager.default.attributesOfItem(atPath: keptClaim)[.modificationDate] as? Date)
        #expect(Date().timeIntervalSince(modified) < 60, "touched by the beat")
        // A claim finished (archived) is no longer held, and no beat takes it as lost.
        _ = try heartbeat.finish(kept) { try folders.archive(kept, batchID: "b1") }
        #expect(heartbeat.beat().isEmpty)
        #expect(heartbeat.files.isEmpty)
    }

    /// Three claims of watches that are gone: one killed right after claiming (this host), one
    /// killed after queuing its file but before archiving it (this host), one on another host
    /// silent for longer than the limit, killed halfway through its ingest. A live watch adopts
    /// each one, queues every row once, archives every file and records where it is.
    @Test func aWatchFinishesTheClaimsOfWatchesThatAreGone() async throws {
        let harness = try await EngineHarness()
        let folders = try InboxFolders(
            inbox: harness.directory.file("inbox"), stateDirectory: harness.directory.file("state"),
            claims: .inbox(staleAfter: 60))
        let dead = try deadPid()
        let claimedText = Fixtures.validRows(3, prefix: "Claimed")
        let queuedText = Fixtures.validRows(2, prefix: "Queued")
        let halfText = Fixtures.validRows(4, prefix: "Half")
        try leaveClaim(by: holder(pid: dead), "claimed.csv", claimedText, in: folders)
        let queuedClaim = try leaveClaim(by: holder(pid: dead), "queued.csv", queuedText, in: folders)
        let queuedPath = folders.processing + "/" + queuedClaim + "/queued.csv"
        let queued = try harness.session.ingest(
            InputFile(opening: queuedPath, followingLinks: false),
            owner: folders.ingestOwner(ofClaimed: queuedPath))
        #expect(queued.batch.filePath == queuedPath)
        let halfClaim = try leaveClaim(
            by: holder(pid: getpid(), host: "elsewhere.example"), "half.csv", halfText, in: folders)
        let halfPath = folders.processing + "/" + halfClaim + "/half.csv"
        let account = harness.session.account
        let identity = BatchIdentity(
            sha256: Digest.sha256Hex(of: Array(halfText.utf8)), provider: account.provider.name,
            mode: ImportMode.create.rawValue, account: account.key)
        let started = try harness.session.store.beginIngest(
            identity: identity, fileName: "half.csv", filePath: halfPath,
            owner: folders.ingestOwner(ofClaimed: halfPath))
        guard case .started = started else {
            Issue.record("the half-done ingest did not start: \(started)")
            return
        }
        age(folders.processing + "/" + halfClaim, by: 3)

        let logs = LogCapture()
        let service = try InboxService(
            session: harness.session,
            configuration: InboxConfiguration(
                inbox: folders.inbox, settleSeconds: 0.2, shutdownTimeout: 5, claims: .inbox(staleAfter: 2)),
            logger: logs.logger)
        let run = Task { await onDedicatedThread { service.run() } }
        let archive = harness.directory.file("state/archive")
        let done = await InboxHostileEntryTests.waitUntil {
            names(archive) == ["claimed.csv", "half.csv", "queued.csv"] && harness.sandbox.accounts().count == 9
        }
        service.requestStop()
        _ = await run.value
        #expect(done, "archive: \(names(archive)); logs: \(logs.text)")
        #expect(names(harness.directory.file("state/rejected")).isEmpty, "\(logs.text)")
        #expect(names(folders.processing).isEmpty, "no claim left")
        let batches = try harness.session.store.batches(includingPruned: false)
        #expect(batches.count == 3)
        #expect(batches.allSatisfy { $0.filePath == archive + "/" + $0.fileName }, "\(batches.map(\.filePath))")
        #expect(batches.map(\.totalRows).sorted() == [2, 3, 4])
        let created = harness.sandbox.accounts().compactMap(\.firstName)
        #expect(created.count == Set(created).count, "no account created twice: \(created.sorted())")
        #expect(logs.text.contains("finishing half.csv, adopted from claim \(halfClaim)"))
        await harness.close()
    }
}
