/// The durable job queue as the engine sees it: batches of rows, claimed under leases, settled
/// by answers. Two stores implement it: `QueueStore` (SQLite under the state folder, the
/// embedded default, one host) and `PostgresQueue` (module SubImportPostgres: one PostgreSQL
/// database shared by every worker on every host).
///
/// Every implementation guarantees, whatever the number of processes sharing it:
/// - a state change of a job and the record of why it happened are one transaction;
/// - a job is held by at most one lease at a time (`claim` is atomic);
/// - `settle` applies an answer only to the claim that sent it (lease owner and, when given,
///   the attempt count), and a batch of entries commits all together or not at all;
/// - a settled row's password is erased in the same transaction that settles it;
/// - a batch's identity (content, provider, mode, account) is unique: the same content for
///   the same account is queued once, whoever reads it.
public protocol JobQueue: AnyObject, Sendable {
    /// The local state folder (mode 0700): the answer journal, dry runs and the state lock live
    /// here whatever the store (with PostgreSQL, each host has its own).
    var directory: String { get }
    /// How writes wait for locks and how long a run keeps answers while the store cannot be written.
    var options: StoreOptions { get }
    /// A short name of where the queue is, for messages (never a password).
    var location: String { get }

    // MARK: Batches and ingest

    /// The batch with this id (or unique id prefix).
    func batch(id: String) throws -> Batch?
    /// Every batch, oldest first; pruned ones (identities kept after `prune`) only with `includingPruned`.
    func batches(includingPruned: Bool) throws -> [Batch]
    /// How many batches `prune` has reduced to their identity.
    func prunedBatchCount() throws -> Int
    /// Starts ingesting a batch, in one transaction: creates it in state `ingesting` owned by
    /// `owner`, or empties an earlier `ingesting` batch of the same identity whose owner is gone.
    /// Throws when another live process is reading the same content for the same account.
    func beginIngest(identity: BatchIdentity, fileName: String, filePath: String, owner: WorkerIdentity) throws
        -> IngestStart
    /// Appends ingested rows to a batch in one transaction; throws `unknownBatch` (writing
    /// nothing) when the batch is not in the queue.
    func appendJobs(batchID: String, _ jobs: [NewJob]) throws
    /// The stored fields and secret of one row of a batch (used to confirm a suspected duplicate).
    func storedRow(batchID: String, row: Int) throws -> (fields: String, secret: String?)?
    /// Finishes an ingest: the batch becomes `ready` (or `settled` when no row needs sending).
    func finishIngest(
        batchID: String, totalRows: Int, toSend: Int, encoding: String, notes: String, columns: [String]) throws
    /// Removes a batch whose ingest failed: nothing of it had been sent.
    func abandonIngest(batchID: String) throws
    /// Records that a batch's source file moved from `oldPath` to `newPath`.
    func relocateSource(batchID: String, from oldPath: String, to newPath: String) throws

    // MARK: Claims, leases and answers

    /// Claims up to `limit` runnable jobs of `scope` for `owner`, with a lease until
    /// `now + leaseSeconds`, atomically: a job is never held by two workers at once. Each claimed
    /// job's `attempts` is incremented.
    func claim(scope: WorkScope, owner: WorkerIdentity, limit: Int, leaseSeconds: Double) throws -> [ClaimedJob]
    /// Extends to `now + leaseSeconds` the lease of every job `owner` holds; returns how many.
    /// A live worker calls it well before its leases expire, so that only a dead one's are rescued.
    @discardableResult
    func renewLeases(owner: WorkerIdentity, leaseSeconds: Double) throws -> Int
    /// Whether `scope` has a job that could be claimed right now.
    func hasRunnableJob(scope: WorkScope) throws -> Bool
    /// How much of `scope` is unsettled, and when the next job can run.
    func outlook(scope: WorkScope) throws -> QueueOutlook
    /// Rescues jobs whose lease expired or whose owning process is certainly gone (checked only
    /// for owners on this host), as `policy` decides for a crash in flight. Returns how many.
    @discardableResult
    func rescueAbandonedLeases(policy: SettlementPolicy, rescuer: WorkerIdentity) throws -> Int
    /// Applies every entry in ONE transaction (group commit); for each entry in order, whether its
    /// job was still held by that claim (false: that entry changed nothing).
    func settle(_ entries: [SettlementEntry]) throws -> [Bool]
    /// Jobs held right now by `owner` (claimed, their answer not yet recorded).
    func runningJobs(owner: WorkerIdentity) throws -> Int

    // MARK: Reading a batch

    /// Row counts of a batch by report status (`pending` for every unsettled state), constant time.
    func statusCounts(batchID: String) throws -> [String: Int]
    /// Jobs still unsettled in a batch, by state, and the next retry time.
    func pendingDetail(batchID: String) throws -> (byState: [String: Int], nextRetryAt: Timestamp?)
    /// Every job of a batch in row order, streamed to `body` (constant memory for large batches).
    func forEachJob(batchID: String, _ body: (JobRecord) throws -> Void) throws
    /// How many requests the batch made and over what span.
    func traffic(batchID: String) throws -> BatchTraffic
    /// Attempts recorded for one row of a batch, oldest first.
    func attempts(batchID: String, row: Int) throws -> [(failureClass: String, httpStatus: Int?)]
    /// The pace of `batchID` over the last `window` seconds before `now`.
    func pace(batchID: String, window: Double, now: Timestamp) throws -> BatchPace
    /// Unsettled rows of `account` by state and when its oldest batch with unsettled rows was created.
    func pendingRows(account: String) throws -> (byState: [String: Int], oldestCreatedAt: Timestamp?)

    // MARK: Operator actions

    /// Rows of a batch that ended in one of `states`, by row number.
    func failedRows(batchID: String, states: [JobState]) throws -> Set<Int>
    /// Puts the rows of a batch settled in one of `states` back in the queue (see `QueueStore.retry`).
    func retry(batchID: String, secrets: [Int: String], secretRequired: Bool, states: [JobState]) throws
        -> (requeued: Int, skipped: Int)
    /// Cancels a batch's rows not yet settled and not in flight; returns how many.
    func cancel(batchID: String) throws -> Int
    /// Settled batches of `account` whose report is not written since they settled, oldest first.
    func batchesAwaitingReport(account: String) throws -> [String]
    /// Records, in one transaction, that each batch's complete report was written.
    func markReported(_ batches: [(batchID: String, settledAt: Timestamp)]) throws
    /// Batches finished before `cutoff` that `prune` may delete, oldest first.
    func pruneCandidates(finishedBefore cutoff: Timestamp) throws -> [PruneCandidate]
    /// Deletes a finished batch's jobs and attempts and keeps its identity (`pruned`), if it is
    /// still a candidate; returns whether it did.
    func deleteFinishedBatch(_ batchID: String, finishedBefore cutoff: Timestamp) throws -> Bool

    /// Throws when the queue cannot be written now (read-only storage, a lock held past the busy
    /// timeout, the server gone), writing nothing.
    func checkWritable() throws

    // MARK: Secrets at rest

    /// Makes erased secrets (settled rows' passwords, pruned rows) leave every file the store
    /// writes, waiting up to `wait` seconds; false when it could not yet (try again later).
    @discardableResult
    func scrubErasedSecrets(wait: Double) -> Bool
    /// Registers `action`, called after each commit that erased a settled row's password.
    func onSecretErased(_ action: (@Sendable () -> Void)?)
}

extension JobQueue {
    /// Every batch but pruned ones, oldest first.
    public func batches() throws -> [Batch] { try batches(includingPruned: false) }

    /// `claim(scope:owner:limit:leaseSeconds:)` of one job.
    public func claim(scope: WorkScope, owner: WorkerIdentity, leaseSeconds: Double) throws -> [ClaimedJob] {
        try claim(scope: scope, owner: owner, limit: 1, leaseSeconds: leaseSeconds)
    }

    /// The pace over the last minute.
    public func pace(batchID: String, window: Double = 60) throws -> BatchPace {
        try pace(batchID: batchID, window: window, now: now())
    }

    /// Puts the `failed` rows of a batch (or those in `states`) back in the queue; a row without
    /// a password stays failed and is counted as `skipped` (see `QueueStore.retry`).
    public func retry(
        batchID: String, secrets: [Int: String], secretRequired: Bool = true, states: [JobState] = [.failed]
    ) throws -> (requeued: Int, skipped: Int) {
        try retry(batchID: batchID, secrets: secrets, secretRequired: secretRequired, states: states)
    }

    /// The rows of a batch that ended `failed`.
    public func failedRows(batchID: String) throws -> Set<Int> { try failedRows(batchID: batchID, states: [.failed]) }

    /// Applies one answer (see `settle(_:)`); whether its job was still held by that claim.
    @discardableResult
    public func settle(
        jobID: Int64, leaseOwner: String, _ settlement: Settlement, attempt: AttemptRecord?,
        claimedAttempts: Int? = nil
    ) throws -> Bool {
        try settle([
            SettlementEntry(
                jobID: jobID, leaseOwner: leaseOwner, settlement, attempt: attempt, claimedAttempts: claimedAttempts)
        ])[0]
    }
}

/// What is left to do in a `WorkScope` when nothing can be claimed right now.
public struct QueueOutlook: Sendable {
    /// Jobs of the scope not yet settled (queued, running or waiting for a retry).
    public var unsettled: Int
    /// When the earliest waiting job becomes runnable, if any job is waiting.
    public var nextRunAt: Timestamp?

    public init(unsettled: Int, nextRunAt: Timestamp?) {
        self.unsettled = unsettled
        self.nextRunAt = nextRunAt
    }
}

/// What `JobQueue.beginIngest` found.
public enum IngestStart: Sendable {
    /// The batch is new, or an interrupted ingest of it is redone: read the file.
    case started(batchID: String)
    /// The content is already queued for this account.
    case exists(Batch)
}
