/// What a ``SandboxServer`` has served so far, as `GET /_sandbox/stats` shows it.
public struct SandboxStats: Sendable, Codable, Equatable {
    /// HTTP requests handled, on every route, including injected faults and dropped connections;
    /// counted once the answer is decided, before it is written.
    public var requests: Int
    /// Provider requests (paths under `/v1/`) being handled right now, latency included.
    public var inFlight: Int
    /// The most provider requests that were ever handled at the same time.
    public var maxInFlight: Int
    /// Live sub-accounts, every provider and master together.
    public var accounts: Int
}

/// Counts the requests a sandbox handles and how many provider requests are in flight. Thread-safe.
final class SandboxTraffic: Sendable {
    private struct Counts {
        var requests = 0
        var inFlight = 0
        var maxInFlight = 0
    }

    private let counts = Locked(Counts())

    /// A provider request starts being handled.
    func begin() {
        counts.withLock { counts in
            counts.inFlight += 1
            counts.maxInFlight = max(counts.maxInFlight, counts.inFlight)
        }
    }

    /// A provider request `begin()` counted is answered.
    func end() {
        counts.withLock { $0.inFlight -= 1 }
    }

    /// Counts one handled request (any route).
    func countRequest() {
        counts.withLock { $0.requests += 1 }
    }

    /// The counts so far, with `accounts` live accounts.
    func stats(accounts: Int) -> SandboxStats {
        counts.withLock {
            SandboxStats(requests: $0.requests, inFlight: $0.inFlight, maxInFlight: $0.maxInFlight, accounts: accounts)
        }
    }
}
