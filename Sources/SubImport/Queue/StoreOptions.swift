/// How the queue database is written, and how long a run keeps trying when it cannot be.
public struct StoreOptions: Sendable {
    /// Seconds a write waits for another connection's lock before it fails (`--busy-timeout`).
    public var busyTimeout: Double
    /// Seconds answers are kept (in the answer journal) and their recording retried while the
    /// database cannot be written, before the run stops with exit 3 (`--store-retry-limit`).
    /// Keep it well below the lease (300 s at least): a lease that expired while its answer
    /// waited could be rescued, and its row sent again, once the database is writable.
    public var unwritableLimit: Double
    /// Seconds between checkpoints that scrub settled rows' passwords from the WAL while rows settle.
    public var checkpointInterval: Double

    public init(busyTimeout: Double = 30, unwritableLimit: Double = 120, checkpointInterval: Double = 1) {
        self.busyTimeout = max(0, busyTimeout)
        self.unwritableLimit = max(0, unwritableLimit)
        self.checkpointInterval = max(0.05, checkpointInterval)
    }
}
