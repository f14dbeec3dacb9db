import Foundation
import Logging

/// The engine as the CLI drives it: one queue, one provider account, its workers and reports.
/// Prints nothing; every outcome is returned.
public final class ImportSession: @unchecked Sendable {
    public let store: any JobQueue
    public let account: ProviderAccount
    public let mode: ImportMode
    public let options: WorkOptions
    public let reportsDirectory: String
    /// Values of empty or absent cells, by canonical column name, applied at ingest.
    public let columnDefaults: [String: String]
    let logger: Logger
    let transport: HTTPTransport
    /// Records answers so that none is lost (journal first, database with retries).
    public let recorder: AnswerRecorder
    /// The account's gate (rate limiter and fatal stop), shared with every session of the same
    /// runtime (the same `AccountGates`) that calls the same account, and with nothing else.
    public let gate: AccountGate
    private let lock = NSLock()
    private var activePool: WorkerPool?
    private var stopRequested = false

    public init(
        stateDirectory: String, reportsDirectory: String, account: ProviderAccount, mode: ImportMode,
        options: WorkOptions, columnDefaults: [String: String] = [:], storeOptions: StoreOptions = StoreOptions(),
        gates: AccountGates = AccountGates(), store: (any JobQueue)? = nil, logger: Logger
    ) throws {
        gate = try gates.gate(account: account.key, rate: options.rate, burst: options.burst)
        self.store = try store ?? QueueStore(directory: stateDirectory, options: storeOptions)
        recorder = AnswerRecorder(store: self.store, logger: logger)
        self.account = account
        self.mode = mode
        self.options = options
        self.reportsDirectory = reportsDirectory
        self.columnDefaults = columnDefaults
        self.logger = logger
        transport = HTTPTransport(
            connectTimeout: options.connectTimeout, requestTimeout: options.requestTimeout,
            connectionsPerHost: options.concurrency)
    }

    /// Ingests one file (see `Ingestor`).
    public func ingest(path: String, progress: ((Int) -> Void)? = nil) throws -> IngestSummary {
        try ingestor.ingest(path: path, progress: progress)
    }

    /// Ingests a file already open, as `owner` (see `Ingestor.ingest(_:owner:progress:)`): the
    /// inbox's way, which never re-opens a path.
    public func ingest(_ file: InputFile, owner: WorkerIdentity = WorkerIdentity()) throws -> IngestSummary {
        try ingestor.ingest(file, owner: owner)
    }

    private var ingestor: Ingestor {
        Ingestor(store: store, provider: account.provider, mode: mode, account: account.key, defaults: columnDefaults)
    }

    /// Works the given batches (nil: every batch of the account) until they settle, a fatal
    /// answer stops the account, or `requestStop` is called. `continuous` keeps working when
    /// everything is settled, waiting for new rows, until a fatal stop or `requestStop`.
    /// Blocks the calling thread.
    /// Returns at once, sending nothing, when answers kept by a stopped run cannot be applied
    /// (`storeFailure` says why).
    public func work(batchIDs: [String]?, continuous: Bool = false) -> WorkResult {
        do {
            try prepareForSending()
        } catch {
            return WorkResult(fatalStop: nil, interrupted: true, requests: 0)
        }
        let gate = self.gate
        let client = account.provider.makeClient(
            ProviderConnection(
                baseURL: account.baseURL, credentials: account.credentials, transport: transport,
                limiter: gate.limiter, shouldStop: { [weak self] in self?.isStopping ?? true }))
        var poolOptions = options
        poolOptions.continuous = continuous
        let pool = WorkerPool(
            store: store, scope: WorkScope(account: account.key, batchIDs: batchIDs), provider: account.provider,
            client: client, gate: gate, options: poolOptions, logger: logger, recorder: recorder)
        lock.lock()
        activePool = pool
        let stopNow = stopRequested
        lock.unlock()
        if stopNow { pool.requestStop() }
        let result = pool.run()
        lock.lock()
        activePool = nil
        lock.unlock()
        return result
    }

    /// Lets the account be called again after a fatal stop (the operator fixed the cause).
    public func resumeAccount() { gate.resume() }

    /// Batches of this account that still have rows to send.
    public func unsettledBatchIDs() throws -> [String] {
        try store.batches().filter { $0.account == account.key && $0.state == .ready }.map(\.id)
    }

    /// Writes the reports of `batchIDs` (together: see `ReportWriter.write(batchIDs:parallel:)`);
    /// throws the first failure.
    public func writeReports(batchIDs: [String]) throws -> [WrittenReport] {
        try writeEachReport(batchIDs: batchIDs).map { try $0.get() }
    }

    /// Writes the reports of `batchIDs` together; each one's outcome, in order.
    public func writeEachReport(batchIDs: [String]) -> [Result<WrittenReport, any Error>] {
        ReportWriter(store: store, directory: reportsDirectory).write(batchIDs: batchIDs)
    }

    /// Wakes the idle workers of the running `work` (new rows were queued).
    public func wakeWorkers() {
        lock.lock()
        let pool = activePool
        lock.unlock()
        pool?.wake()
    }

    /// Jobs the running `work` has claimed whose answer is not recorded yet (0 when none runs).
    public func jobsInFlight() -> Int {
        lock.lock()
        let pool = activePool
        lock.unlock()
        return (try? pool?.jobsInFlight()) ?? 0
    }

    /// True once `requestStop` was called or the account's gate is stopped: lookups waiting on
    /// the limiter for this session give up (they are woken by the pool's `requestStop`).
    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested || gate.stopReason != nil
    }

    /// Stop claiming work; in-flight requests finish and are recorded. Wakes this run's waits on
    /// the limiter; the limiter itself stays usable by other sessions sharing the gate.
    public func requestStop() {
        lock.lock()
        stopRequested = true
        let pool = activePool
        lock.unlock()
        pool?.requestStop()
    }

    /// Makes the state folder ready to send from: applies the answers a stopped run kept in the
    /// journal (before any lease rescue, so that none is sent again), scrubs the WAL, and removes
    /// dry-run folders left by interrupted dry runs. Runs once. Call holding the state lock.
    /// Throws `StoreUnwritable` when the kept answers cannot be applied.
    public func prepareForSending() throws {
        try recorder.start()
        DryRunFolder.removeAbandoned(stateDirectory: store.directory, logger: logger)
    }

    /// The queue database could not be written for too long and the run stopped (nil otherwise).
    public var storeFailure: StoreUnwritable? { recorder.failure }

    /// Releases the HTTP client, checkpoints the WAL (settled rows' passwords leave it) and
    /// empties the answer journal of what is recorded. Call once, after the last `work`.
    public func shutdown() {
        transport.shutdown()
        recorder.finish()
    }
}
