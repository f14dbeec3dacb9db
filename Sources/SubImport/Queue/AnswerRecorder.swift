import Dispatch
import Foundation
import GRDB
import Logging

/// Records provider answers in the queue so that none is ever lost.
///
/// Guarantees:
/// - an answer is appended to `<state>/answers.journal` and on disk before the database is
///   asked to record it;
/// - while the database cannot be written (locked beyond the busy timeout, full, read-only),
///   the answer is kept and its recording retried with backoff; claims are writes too, so no new
///   row is claimed meanwhile;
/// - when the database stays unwritable for `StoreOptions.unwritableLimit` seconds, `submit`
///   completes with `.storeUnwritable` and `failure` says why; the answers stay in the journal;
/// - `start` applies the answers a stopped process left in the journal before anything else is
///   done with their rows (a recorded answer is applied, never sent again);
/// - journal entries are dropped once their answers are durably in the database (after a WAL
///   checkpoint), within about `StoreOptions.checkpointInterval` seconds; the same checkpoint
///   truncates the WAL, so settled rows' passwords leave the WAL file with it.
///
/// Use one recorder per state folder, in the process holding the state lock.
public final class AnswerRecorder: @unchecked Sendable {
    /// What happened to an answer given to `submit`.
    public enum Outcome: Sendable, Equatable {
        /// Recorded in the database.
        case recorded
        /// The job was no longer held by this claim (rescued by another process); nothing changed.
        case notHeld
        /// The database stayed unwritable beyond the limit: the answer is kept in the journal.
        case storeUnwritable
    }

    public let store: any JobQueue
    /// The journal file.
    public let journalPath: String
    let logger: Logger
    private let condition = NSCondition()
    private var journal: AnswerJournal?
    private var started = false
    private var finished = false
    private var nextSequence: UInt64 = 0
    /// Lines in the journal file whose answers are not yet durably in the database, by sequence.
    private var kept: [UInt64: [UInt8]] = [:]
    /// Lines that could not be written to the journal (kept in memory, written again on each retry).
    private var unjournaled: [UInt64: [UInt8]] = [:]
    /// Answers applied to the database, not yet made durable by a checkpoint.
    private var appliedSinceCheckpoint: Set<UInt64> = []
    /// Lines in the journal file (kept ones and applied ones not yet dropped).
    private var linesInFile = 0
    private var unwritableSince: Double?
    private var maintenanceScheduled = false
    private let maintenanceQueue = DispatchQueue(label: "subimport.store-maintenance")
    private var storedFailure: StoreUnwritable?
    /// Answers waiting at most this many for the committer; `submit` blocks beyond.
    public let pendingLimit: Int
    /// Guards `pending` and `committerRunning`; signalled when the committer takes a group or stops,
    /// and when a full group waits.
    private let inbox = NSCondition()
    /// Answers given to `submit` and not yet taken by the committer, in arrival order.
    private var pending: [PendingAnswer] = []
    private var committerRunning = false
    private let commitQueue = DispatchQueue(label: "subimport.answer-commit")
    /// Group commits so far (read by `finish` for its log line; written by the committer only).
    private var groupsCommitted = 0
    private var answersCommitted = 0
    private var largestGroup = 0

    /// The committer commits at once once this many answers wait; fewer wait at most `linger`.
    let fullGroup: Int
    /// Seconds the committer waits for a full group before committing a smaller one: one sync
    /// and one transaction then carry more answers, and no worker waits for it.
    let linger: Double

    public init(store: any JobQueue, logger: Logger, pendingLimit: Int = 128, linger: Double = 0.001) {
        self.pendingLimit = max(1, pendingLimit)
        fullGroup = max(1, self.pendingLimit / 2)
        self.linger = max(0, linger)
        self.store = store
        self.logger = logger
        journalPath = (store.directory as NSString).appendingPathComponent(AnswerJournal.fileName)
    }

    /// Why the database was given up on, with the answers still kept (nil while all is well).
    public var failure: StoreUnwritable? {
        condition.lock()
        defer { condition.unlock() }
        guard var failure = storedFailure else { return nil }
        failure.answersKept = kept.count - appliedSinceCheckpoint.count + unjournaled.count
        return failure
    }

    /// Applies the answers left in the journal by a stopped process (retrying while the
    /// database cannot be written, up to the limit), then checkpoints the WAL and empties the
    /// journal. Runs once; later calls return at once. Call before lease rescue, holding the
    /// state lock. Throws `StoreUnwritable` when the database stays unwritable (the journal is
    /// left as it was).
    public func start() throws {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        if let storedFailure { throw storedFailure }
        let leftOver = try AnswerJournal.entries(directory: store.directory)
        try openJournal()
        var applied = 0
        for (line, entry) in leftOver {
            let sequence = nextSequence
            nextSequence += 1
            kept[sequence] = line
            linesInFile += 1
            guard let settlement = entry.settlement.settlement else {
                appliedSinceCheckpoint.insert(sequence)  // unusable: dropped with the applied ones
                continue
            }
            let held = try applyRetrying(sequences: [sequence]) {
                [
                    try self.store.settle(
                        jobID: entry.jobID, leaseOwner: entry.leaseOwner, settlement, attempt: entry.attempt?.record,
                        claimedAttempts: entry.claimedAttempts)
                ]
            }
            if held.first == true { applied += 1 }
        }
        if applied > 0 {
            logger.notice("applied \(applied) answer(s) a stopped run had kept in \(journalPath)")
        }
        started = true
        condition.unlock()
        maintain()
        condition.lock()
        store.onSecretErased { [weak self] in self?.scheduleMaintenance() }
    }

    /// Hands an answer to the committer and returns at once (blocking only while
    /// `pendingLimit` answers already wait); `completion` is called on the committer's queue once
    /// the answer is recorded (`.recorded`, `.notHeld`) or kept (`.storeUnwritable`).
    ///
    /// Group commit: the committer waits up to `linger` for `pendingLimit / 2` answers, then
    /// journals every answer waiting at that moment with one write and one sync, and records them
    /// all in one database transaction. No answer is recorded in
    /// the database before the sync of the journal write holding it has returned; until then its
    /// row stays `running` (a crash then rescues it as a `possible duplicate`): at most
    /// `2 × pendingLimit` answers are in that window at any moment.
    public func submit(
        _ job: ClaimedJob, leaseOwner: String, _ settlement: Settlement, attempt: AttemptRecord?,
        completion: @escaping @Sendable (Outcome) -> Void
    ) {
        let entry = JournaledAnswer(
            jobID: job.id, leaseOwner: leaseOwner, claimedAttempts: job.attempts,
            settlement: JournaledSettlement(settlement), attempt: attempt.map(JournaledAttempt.init))
        let answer = PendingAnswer(
            line: entry.jsonLine,
            entry: SettlementEntry(
                jobID: job.id, leaseOwner: leaseOwner, settlement, attempt: attempt, claimedAttempts: job.attempts),
            completion: completion)
        inbox.lock()
        while pending.count >= pendingLimit { inbox.wait() }
        pending.append(answer)
        if pending.count == fullGroup { inbox.broadcast() }
        let startCommitter = !committerRunning
        committerRunning = true
        inbox.unlock()
        if startCommitter { commitQueue.async { self.commitPending() } }
    }

    /// Returns once every answer given to `submit` so far is recorded or kept (its completion ran).
    public func drain() {
        inbox.lock()
        while committerRunning { inbox.wait() }
        inbox.unlock()
    }

    /// The committer: commits groups of pending answers until none is left.
    private func commitPending() {
        while true {
            inbox.lock()
            let lingerUntil = Date(timeIntervalSinceNow: linger)
            while pending.count < fullGroup && inbox.wait(until: lingerUntil) {}
            let group = pending
            pending = []
            if group.isEmpty { committerRunning = false }
            inbox.broadcast()
            inbox.unlock()
            guard !group.isEmpty else { return }
            let outcomes = commit(group)
            groupsCommitted += 1
            answersCommitted += group.count
            largestGroup = max(largestGroup, group.count)
            for (answer, outcome) in zip(group, outcomes) { answer.completion(outcome) }
        }
    }

    /// Journals `group` (one write, one sync), then records it in one transaction.
    private func commit(_ group: [PendingAnswer]) -> [Outcome] {
        condition.lock()
        defer { condition.unlock() }
        var sequences: [UInt64] = []
        for answer in group {
            unjournaled[nextSequence] = answer.line
            sequences.append(nextSequence)
            nextSequence += 1
        }
        writeUnjournaled()
        let unwritable = Array(repeating: Outcome.storeUnwritable, count: group.count)
        guard storedFailure == nil else { return unwritable }
        do {
            let held = try applyRetrying(sequences: sequences) { try self.store.settle(group.map(\.entry)) }
            return held.map { $0 ? .recorded : .notHeld }
        } catch {
            return unwritable
        }
    }

    /// Checkpoints the WAL and drops the journal entries that are durably applied; call at exit.
    public func finish() {
        drain()
        commitQueue.sync {
            if groupsCommitted > 0 {
                logger.debug(
                    "recorded \(answersCommitted) answer(s) in \(groupsCommitted) group commit(s), largest \(largestGroup)"
                )
            }
        }
        maintenanceQueue.sync {
            condition.lock()
            finished = true
            condition.unlock()
            runMaintenance(wait: min(store.options.busyTimeout, 2))
        }
        store.onSecretErased(nil)
    }

    // MARK: - Writing with retries (called with `condition` locked)

    /// Runs `write` until it succeeds, waiting with backoff while the database cannot be
    /// written; on success, every one of `sequences` counts as applied. Throws `StoreUnwritable`
    /// once the database has been unwritable for the limit (or was already given up on).
    private func applyRetrying(sequences: [UInt64], _ write: () throws -> [Bool]) throws -> [Bool] {
        var delay = 0.05
        var warned = false
        while true {
            if let storedFailure { throw storedFailure }
            condition.unlock()
            let result: Result<[Bool], any Error> = Result { try write() }
            condition.lock()
            switch result {
            case .success(let held):
                unwritableSince = nil
                for sequence in sequences where unjournaled.removeValue(forKey: sequence) == nil {
                    appliedSinceCheckpoint.insert(sequence)
                }
                if warned { logger.notice("the queue database can be written again; answers kept are recorded") }
                condition.unlock()
                scheduleMaintenance()
                condition.lock()
                return held
            case .failure(let error):
                let time = TokenBucket.monotonic()
                let since = unwritableSince ?? time
                unwritableSince = since
                let reason = Self.describe(error)
                if time - since >= store.options.unwritableLimit {
                    storedFailure = StoreUnwritable(
                        seconds: time - since, reason: reason, journalPath: journalPath, answersKept: 0)
                    condition.broadcast()
                    throw storedFailure!
                }
                if !warned {
                    warned = true
                    logger.warning(
                        "the queue database cannot be written (\(reason)); answers are kept in \(journalPath) and retried"
                    )
                }
                writeUnjournaled()
                let deadline = since + store.options.unwritableLimit
                _ = condition.wait(
                    until: Date(timeIntervalSinceNow: max(0.001, min(delay, deadline - TokenBucket.monotonic()))))
                delay = min(delay * 2, 2)
            }
        }
    }

    /// Appends the lines not yet in the journal with one write and one sync; when that fails,
    /// they all stay in memory (and are written again on the next try).
    private func writeUnjournaled() {
        guard !unjournaled.isEmpty else { return }
        do {
            if journal == nil { try openJournal() }
            let sequences = unjournaled.keys.sorted()
            try journal?.append(lines: sequences.map { unjournaled[$0]! })
            for sequence in sequences {
                kept[sequence] = unjournaled.removeValue(forKey: sequence)
                linesInFile += 1
            }
        } catch {
            logger.error(
                "cannot write the answer journal: \(error); \(unjournaled.count) answer(s) kept in memory only")
        }
    }

    private func openJournal() throws {
        guard journal == nil else { return }
        journal = try AnswerJournal(directory: store.directory)
    }

    /// A database error without its SQL or arguments (they can hold an API key).
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "\(error.resultCode)")"
        }
        return "\(error)"
    }

    // MARK: - Maintenance: checkpoint, then drop durable journal entries

    /// Runs maintenance within `checkpointInterval` (at most one pending at a time).
    private func scheduleMaintenance() {
        condition.lock()
        let schedule = !maintenanceScheduled && !finished
        if schedule { maintenanceScheduled = true }
        condition.unlock()
        guard schedule else { return }
        maintenanceQueue.asyncAfter(deadline: .now() + store.options.checkpointInterval) { [weak self] in
            guard let self else { return }
            self.condition.lock()
            self.maintenanceScheduled = false
            let skip = self.finished
            self.condition.unlock()
            guard !skip else { return }
            if !self.runMaintenance() { self.scheduleMaintenance() }
        }
    }

    private func maintain() {
        maintenanceQueue.sync { _ = runMaintenance(wait: min(store.options.busyTimeout, 2)) }
    }

    /// Checkpoints (truncating the WAL) and rewrites the journal without the answers that the
    /// checkpoint made durable. Returns false when something is left to do.
    @discardableResult
    private func runMaintenance(wait: Double = 0.25) -> Bool {
        condition.lock()
        let applied = appliedSinceCheckpoint
        condition.unlock()
        let checkpointed = store.scrubErasedSecrets(wait: wait)
        condition.lock()
        defer { condition.unlock() }
        guard checkpointed else { return false }
        for sequence in applied { kept[sequence] = nil }
        appliedSinceCheckpoint.subtract(applied)
        if linesInFile != kept.count, let journal {
            do {
                try journal.replace(with: kept.keys.sorted().compactMap { kept[$0] })
                linesInFile = kept.count
            } catch {
                logger.error("cannot rewrite the answer journal: \(error)")
                return false
            }
        }
        return appliedSinceCheckpoint.isEmpty
    }
}

/// The queue database could not be written for too long: the run stops, answers are kept.
public struct StoreUnwritable: Error, CustomStringConvertible, Sendable {
    /// Seconds the database was found unwritable.
    public var seconds: Double
    /// The last database error (never SQL or values).
    public var reason: String
    public var journalPath: String
    /// Answers received and not recorded in the database (kept in the journal).
    public var answersKept: Int

    public var description: String {
        "the queue database could not be written for \(Int(seconds.rounded())) s: \(reason); \(answersKept) answer(s) are kept in \(journalPath) and will be applied at the next start"
    }
}

/// An answer handed to `AnswerRecorder.submit`, waiting for its group commit.
private struct PendingAnswer {
    var line: [UInt8]
    var entry: SettlementEntry
    var completion: @Sendable (AnswerRecorder.Outcome) -> Void
}
