import Foundation
import Logging

/// `watch`: takes complete CSV files from an inbox, queues their rows, and works the account's
/// queue continuously, writing each batch's report as soon as it settles.
///
/// Three threads: the inbox thread (claim → ingest → archive or reject, one file at a time),
/// the worker thread (the same `WorkerPool` as `import`, in continuous mode, over every batch
/// of the account) and the report thread; with shared claims a fourth, the claims' heartbeat.
/// Guarantees:
/// - a file is taken only when complete: on its close-after-write or rename-in event
///   (inotify), or once unchanged for the settle window (`--poll`, and files already there at
///   start) — and in every case only when no visible process still holds it open for writing;
/// - a file is opened once, without following a link and without blocking, and read only from
///   that descriptor; a link, FIFO, socket, device or folder named `*.csv` is never read but
///   moved as itself to `rejected` at once, never holding back other files;
/// - a file is always in exactly one place (inbox, processing, archive, rejected): each move is
///   one rename; a run killed at any moment finishes the files left in `processing` next time,
///   without queuing a row twice (`Ingestor` is idempotent per content);
/// - with shared claims (`ClaimSharing.inbox`, several watches on one inbox and one queue): a
///   file is claimed by one watch (one rename); a live watch touches its claims every
///   heartbeat; any watch adopts, by one rename of the claim folder, a claim whose holder is a
///   process of its host that no longer runs, or whose heartbeat is older than `staleAfter`,
///   and finishes the file as its own (taking over an ingest left half done);
/// - content imported before is rejected naming its batch, and never sent again;
/// - after `requestStop`: no file or row is claimed any more, in-flight requests get
///   `shutdownTimeout` seconds to finish, rows claimed but not sent are released.
public final class InboxService: @unchecked Sendable {
    public let session: ImportSession
    public let folders: InboxFolders
    public let configuration: InboxConfiguration
    let logger: Logger
    private let watcher: InotifyWatcher?
    /// The shared claims this watch holds (none with `ClaimSharing.stateFolder`).
    private let heartbeat = ClaimHeartbeat()
    /// Seconds between attempts at files left in `processing` after an error.
    static let stuckFileRetryInterval: Double = 30
    private let condition = NSCondition()
    private var stopping = false
    private var stopAskedAt: Double?
    private var running: Set<String> = []
    /// When a report that could not be written is tried again (monotonic seconds), by batch id.
    /// Only the report thread and, after it stopped, `run` use it.
    private var reportRetryAt: [String: Double] = [:]

    /// Prepares the folders (created 0700) and the inotify watch. Throws when the folders cannot
    /// be created, the inbox and the state folder are on different file systems, or inotify is
    /// unavailable without `polling`.
    public init(session: ImportSession, configuration: InboxConfiguration, logger: Logger) throws {
        self.session = session
        self.configuration = configuration
        self.logger = logger
        folders = try InboxFolders(
            inbox: configuration.inbox, stateDirectory: session.store.directory, claims: configuration.claims)
        watcher = configuration.polling ? nil : try InotifyWatcher(directory: folders.inbox)
    }

    /// Runs until `requestStop`, then shuts down (see the type's guarantees). Blocks the calling thread.
    public func run() -> InboxShutdown {
        logger.info(
            "watching \(configuration.inbox) (\(watcher == nil ? "polling every \(configuration.scanInterval) s" : "inotify"), settle window \(configuration.settleSeconds) s); reports in \(session.reportsDirectory)"
        )
        start("inbox") { self.inboxLoop() }
        start("worker") { self.workLoop() }
        start("reports") { self.reportLoop() }
        if sharesClaims { start("claims") { self.heartbeatLoop() } }
        condition.lock()
        while !stopping { condition.wait() }
        let deadline = (stopAskedAt ?? TokenBucket.monotonic()) + configuration.shutdownTimeout
        condition.unlock()
        session.requestStop()
        let clean = waitForThreads(threadNames, until: deadline)
        if clean {
            folders.removeSpareClaimFolders()
            reportSettledBatches()
            return InboxShutdown(requestsLeftInFlight: 0, fileInProgress: false)
        }
        condition.lock()
        let fileInProgress = running.contains("inbox")
        condition.unlock()
        return InboxShutdown(requestsLeftInFlight: session.jobsInFlight(), fileInProgress: fileInProgress)
    }

    /// Whether the inbox, worker and report threads (and the claims' heartbeat) are all running
    /// (`watch`'s health).
    public var threadsAlive: Bool {
        condition.lock()
        defer { condition.unlock() }
        return running.isSuperset(of: threadNames)
    }

    private var sharesClaims: Bool { configuration.claims != .stateFolder }

    private var threadNames: Set<String> {
        sharesClaims ? ["inbox", "worker", "reports", "claims"] : ["inbox", "worker", "reports"]
    }

    /// Stop claiming files and rows; `run` then shuts down. Safe from any thread.
    public func requestStop() {
        condition.lock()
        if !stopping {
            stopping = true
            stopAskedAt = TokenBucket.monotonic()
        }
        condition.broadcast()
        condition.unlock()
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Waits `seconds`, or less when a stop is asked. Returns false when stopping.
    @discardableResult
    private func pause(_ seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !stopping, Date() < deadline { _ = condition.wait(until: deadline) }
        return !stopping
    }

    private func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        condition.lock()
        running.insert(name)
        condition.unlock()
        let thread = Thread {
            body()
            self.condition.lock()
            self.running.remove(name)
            self.condition.broadcast()
            self.condition.unlock()
        }
        thread.name = "subimport.watch.\(name)"
        thread.start()
    }

    /// Waits until the named threads have finished or `deadline` (monotonic seconds) passes.
    private func waitForThreads(_ names: Set<String>, until deadline: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !running.isDisjoint(with: names) {
            let left = deadline - TokenBucket.monotonic()
            if left <= 0 { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: left))
        }
        return true
    }

    // MARK: - Inbox

    private func inboxLoop() {
        for path in folders.leftInProcessing() where !isStopping {
            logger.notice("finishing \((path as NSString).lastPathComponent), claimed by an earlier run")
            process(path, resumed: true)
        }
        adoptAbandonedClaims()
        var settling = SettleTracker(window: configuration.settleSeconds)
        for name in folders.inboxCandidates() where observe(name, in: &settling) { take(name) }
        var lastProcessingCheck = TokenBucket.monotonic()
        var lastAdoptionCheck = TokenBucket.monotonic()
        var inotify = watcher
        while !isStopping {
            // A file that could not be queued (a database error) stays in processing: try again.
            if TokenBucket.monotonic() - lastProcessingCheck >= Self.stuckFileRetryInterval {
                lastProcessingCheck = TokenBucket.monotonic()
                for path in folders.leftInProcessing() + heartbeat.files where !isStopping {
                    process(path, resumed: true)
                }
            }
            if sharesClaims, TokenBucket.monotonic() - lastAdoptionCheck >= configuration.claims.heartbeatInterval {
                lastAdoptionCheck = TokenBucket.monotonic()
                adoptAbandonedClaims()
            }
            var eventNames: [String] = []
            if let active = inotify {
                let events = active.wait(timeout: configuration.scanInterval)
                eventNames = events.names.filter(InboxFileFilter.accepts)
                // A link, FIFO, socket or folder made in place sends no other event: take it now.
                for name in events.created where InboxFileFilter.accepts(name) && !isStopping {
                    if case .special = FileSignature.entry(at: inboxPath(name)) { take(name) }
                }
                if events.overflowed {
                    for name in folders.inboxCandidates() where !settling.isTracking(name) {
                        if observe(name, in: &settling) { take(name) }
                    }
                }
                if events.folderGone {
                    logger.critical(
                        "the inbox \(folders.inbox) was removed or moved: polling its path from now on (settle window \(configuration.settleSeconds) s)"
                    )
                    inotify = nil
                }
            } else {
                pause(configuration.scanInterval)
                let names = folders.inboxCandidates()
                settling.keepOnly(Set(names))
                for name in names where !settling.isTracking(name) {
                    if observe(name, in: &settling) { take(name) }
                }
            }
            // Closed or renamed in: complete unless another writer still holds it open (one look
            // at the writers for every file of the round).
            var regular: [(name: String, signature: FileSignature)] = []
            for name in eventNames where !isStopping {
                settling.forget(name)
                switch FileSignature.entry(at: inboxPath(name)) {
                case .missing: continue
                case .special: take(name)
                case .regular(let signature): regular.append((name, signature))
                }
            }
            let held = OpenWriterCheck.withWriters(regular.map(\.signature))
            for (name, signature) in regular where !isStopping {
                if held.contains(signature) {
                    _ = settling.observe(name, signature, at: TokenBucket.monotonic())
                } else {
                    take(name)
                }
            }
            for name in settling.tracked.sorted() where !isStopping {
                if observe(name, in: &settling) { take(name) }
            }
        }
    }

    /// Observes a file waiting to settle; true when it has settled and nobody holds it open for
    /// writing, or when it is no regular file at all (a link, FIFO, socket, device or folder:
    /// taken at once, to be rejected). A file that disappeared is forgotten. Never opens the file.
    private func observe(_ name: String, in settling: inout SettleTracker) -> Bool {
        let signature: FileSignature
        switch FileSignature.entry(at: inboxPath(name)) {
        case .missing:
            settling.forget(name)
            return false
        case .special:
            settling.forget(name)
            return true
        case .regular(let found):
            signature = found
        }
        guard settling.observe(name, signature, at: TokenBucket.monotonic()) else { return false }
        settling.forget(name)
        if OpenWriterCheck.hasWriter(signature) {
            // Still held open: wait another whole window before looking at the writers again.
            _ = settling.observe(name, signature, at: TokenBucket.monotonic())
            return false
        }
        return true
    }

    private func inboxPath(_ name: String) -> String {
        (folders.inbox as NSString).appendingPathComponent(name)
    }

    /// Claims an inbox file and processes it.
    private func take(_ name: String) {
        do {
            guard let path = try folders.claim(name) else { return }
            if sharesClaims { heartbeat.hold(path) }
            process(path, resumed: false)
        } catch {
            logger.error("cannot claim \(name): \(error); it stays in the inbox", metadata: .file(name))
        }
    }

    /// Queues a claimed file's rows, then archives it; or rejects it (not a regular file, not CSV
    /// at all, or content imported before). The file is opened once, without following a link and
    /// without blocking (`InputFile`), and everything is read from that descriptor. `resumed`:
    /// the file was claimed by an earlier run (or adopted), so a batch created from this very
    /// claim is its own (the run stopped before archiving it), not a repeat.
    private func process(_ path: String, resumed: Bool) {
        let name = (path as NSString).lastPathComponent
        let file: InputFile
        do {
            file = try InputFile(opening: path, followingLinks: false)
        } catch InputFile.Refusal.missing {
            heartbeat.release(path)
            logger.error("\(name) disappeared from \(path) before it could be read", metadata: .file(name))
            return
        } catch InputFile.Refusal.notRegular(let kind) {
            rejectUnreadable(
                path, reason: "\(kind), not a regular file: the inbox never follows links nor reads special files")
            return
        } catch {
            logger.error(
                "cannot open \(name): \(error); it stays in \(path) and is tried again in \(Int(Self.stuckFileRetryInterval)) s",
                metadata: .file(name))
            return
        }
        do {
            let summary = try session.ingest(file, owner: folders.ingestOwner(ofClaimed: path))
            let batch = summary.batch
            if summary.alreadyKnown && !(resumed && folders.isSameClaim(batch.filePath, as: path)) {
                let reason =
                    "content already imported as batch \(batch.id) (file \(batch.fileName)); nothing is sent again"
                let moved = try heartbeat.finish(path) { try folders.reject(path, reason: reason) }
                EngineMetrics.file(.rejected)
                logger.warning("rejected \(name): \(reason) → \(moved)", metadata: .file(name, batch: batch.id))
                return
            }
            session.wakeWorkers()
            EngineMetrics.file(.pickedUp)
            EngineMetrics.settled(provider: batch.provider, status: .invalid, count: summary.invalid)
            EngineMetrics.settled(provider: batch.provider, status: .duplicate, count: summary.duplicates)
            // Archive first, then record the new place: a batch whose recorded path is still in
            // `processing` (this claim's, maybe before an adoption) is how a restart or an
            // adopter knows the file there is its own, not a repeat.
            let archived = try heartbeat.finish(path) { try folders.archive(path, batchID: batch.id) }
            try session.store.relocateSource(
                batchID: batch.id, from: summary.alreadyKnown ? batch.filePath : path, to: archived)
            var line =
                "picked up \(name): \(summary.rows) rows, \(summary.toSend) to send, \(summary.invalid) invalid, \(summary.duplicates) duplicate → batch \(batch.id); archived as \(archived)"
            if !summary.notes.isEmpty { line += " (\(summary.notes.joined(separator: "; ")))" }
            logger.info("\(line)", metadata: .file(name, batch: batch.id))
        } catch SubImportError.unreadableFile(_, let reason) {
            rejectUnreadable(path, reason: "cannot be read as CSV: \(reason)")
        } catch {
            logger.error(
                "cannot queue \(name): \(error); it stays in \(path) and is tried again in \(Int(Self.stuckFileRetryInterval)) s",
                metadata: .file(name))
        }
    }

    /// Moves a claimed file that cannot be imported to `rejected`, with `reason`, and logs it.
    private func rejectUnreadable(_ path: String, reason: String) {
        let name = (path as NSString).lastPathComponent
        do {
            let moved = try heartbeat.finish(path) { try folders.reject(path, reason: reason) }
            EngineMetrics.file(.rejected)
            logger.error("rejected \(name): \(reason) → \(moved)", metadata: .file(name))
        } catch {
            logger.error("cannot reject \(name): \(error); it stays in \(path)", metadata: .file(name))
        }
    }

    // MARK: - Shared claims

    /// Adopts, one at a time, every shared claim whose holder is gone, and finishes its file.
    private func adoptAbandonedClaims() {
        guard case .inbox(let staleAfter) = configuration.claims else { return }
        // Never this watch's own claims, even one whose heartbeat was late.
        let held = Set(
            heartbeat.files.map { (($0 as NSString).deletingLastPathComponent as NSString).lastPathComponent })
        for claim in folders.adoptableClaims(staleAfter: staleAfter) where !isStopping && !held.contains(claim) {
            guard let files = folders.adopt(claim) else { continue }
            for path in files { heartbeat.hold(path) }
            for path in files where !isStopping {
                let name = (path as NSString).lastPathComponent
                logger.notice(
                    "finishing \(name), adopted from claim \(claim) (its holder is gone or silent for more than \(staleAfter) s)",
                    metadata: .file(name))
                process(path, resumed: true)
            }
        }
    }

    /// Keeps this watch's shared claims alive until the inbox thread has stopped.
    private func heartbeatLoop() {
        while waitWhileInboxRuns(configuration.claims.heartbeatInterval) {
            for path in heartbeat.beat() {
                let name = (path as NSString).lastPathComponent
                logger.warning(
                    "lost the claim of \(name) (\(path)): another watch adopted it after this one was silent too long; it finishes the file",
                    metadata: .file(name))
            }
        }
    }

    /// Waits `seconds`, or less when the inbox thread stops. Returns whether it still runs.
    private func waitWhileInboxRuns(_ seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while running.contains("inbox"), Date() < deadline { _ = condition.wait(until: deadline) }
        return running.contains("inbox")
    }

    // MARK: - Work

    /// Works every batch of the account continuously; after a fatal answer, pauses sending for
    /// the cool-down, then lets the account be called again.
    private func workLoop() {
        while !isStopping {
            let result = session.work(batchIDs: nil, continuous: true)
            if session.storeFailure != nil {
                // The answers are kept in the journal; `watch` exits with 3 (see WatchCommand).
                requestStop()
                return
            }
            guard !isStopping else { return }
            if let reason = result.fatalStop {
                logger.critical(
                    "sending paused for \(configuration.fatalCooldown) s after a fatal provider answer (\(reason)); files are still queued meanwhile"
                )
                guard pause(configuration.fatalCooldown) else { return }
                logger.notice("cool-down over: sending to \(session.account.key) again")
                session.resumeAccount()
            } else {
                pause(configuration.scanInterval)
            }
        }
    }

    // MARK: - Reports

    private func reportLoop() {
        while pause(configuration.scanInterval) { reportSettledBatches() }
    }

    /// Writes the report of every settled batch of the account not reported since it settled,
    /// logging one line each. A report that cannot be written is logged once and tried again
    /// after `reportRetryInterval`; it never keeps the other batches' reports from being written.
    private func reportSettledBatches() {
        let batchIDs: [String]
        do {
            batchIDs = try session.store.batchesAwaitingReport(account: session.account.key)
        } catch {
            logger.error("cannot list the batches to report: \(error)")
            return
        }
        let now = TokenBucket.monotonic()
        let due = batchIDs.filter { (reportRetryAt[$0] ?? 0) <= now }
        for (batchID, result) in zip(due, session.writeEachReport(batchIDs: due)) {
            switch result {
            case .success(let report):
                reportRetryAt[batchID] = nil
                logger.info(
                    "batch \(batchID) settled: \(ReportWriter.countsText(report.counts)) → \(report.csvPath)",
                    metadata: ["batch": "\(batchID)"])
            case .failure(let error):
                reportRetryAt[batchID] = now + configuration.reportRetryInterval
                logger.error(
                    "cannot write the report of batch \(batchID): \(error); tried again in \(configuration.reportRetryInterval) s",
                    metadata: ["batch": "\(batchID)"])
            }
        }
    }
}
