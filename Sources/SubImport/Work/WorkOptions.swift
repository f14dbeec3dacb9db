/// How a worker pool runs.
public struct WorkOptions: Sendable {
    /// Workers sending at the same time (`--concurrency`).
    public var concurrency: Int
    /// Requests per second for the account (`--rate`, 0 = unlimited) and the bucket size (`--burst`).
    public var rate: Double
    public var burst: Int
    public var retry: RetryPolicy
    /// Seconds to open a connection, and to wait for an answer once connected.
    public var connectTimeout: Double
    public var requestTimeout: Double
    /// How long a claimed job stays ours without an answer before another process may rescue it;
    /// always longer than a request can take (at least `connectTimeout + requestTimeout + 1`).
    /// A row is claimed only once the rate limiter lets its request leave (at an unlimited rate
    /// a few rows are claimed ahead, and the pool renews its leases), so waiting on the limiter
    /// never eats into the lease.
    public var leaseSeconds: Double
    /// How often idle workers look again for work done by other processes (seconds).
    public var idlePoll: Double
    /// Keep working when the scope is settled, waiting for new rows (`watch`), until
    /// `requestStop` or a fatal stop; `WorkerPool.wake` cuts the wait short.
    public var continuous = false

    public init(
        concurrency: Int = 4, rate: Double = 5, burst: Int = 5, retry: RetryPolicy = RetryPolicy(),
        connectTimeout: Double = 10, requestTimeout: Double = 30, leaseSeconds: Double = 300, idlePoll: Double = 0.25
    ) {
        self.concurrency = max(1, concurrency)
        self.rate = max(0, rate)
        self.burst = max(1, burst)
        self.retry = retry
        self.connectTimeout = max(0.1, connectTimeout)
        self.requestTimeout = max(0.1, requestTimeout)
        self.leaseSeconds = max(leaseSeconds, self.connectTimeout + self.requestTimeout + 1)
        self.idlePoll = idlePoll
    }
}

/// How a pool's run ended.
public struct WorkResult: Sendable {
    /// The fatal answer that stopped the account, if one did (rows stay pending).
    public var fatalStop: String?
    /// The run was interrupted by `requestStop` before everything settled.
    public var interrupted: Bool
    /// HTTP requests this run sent.
    public var requests: Int
}
