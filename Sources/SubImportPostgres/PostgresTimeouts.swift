import SubImport

/// How long the PostgreSQL queue waits, derived from `StoreOptions.busyTimeout`, so that a
/// server that is down, unreachable or stuck makes a call throw (and the engine keep its answers
/// in the journal and retry) instead of hanging.
struct PostgresTimeouts: Sendable, Equatable {
    /// Seconds to open a connection (TCP, TLS, authentication).
    var connect: Double
    /// Seconds a statement waits for a row or table lock (`lock_timeout`): the busy timeout.
    var lock: Double
    /// Seconds a statement may run on the server (`statement_timeout`).
    var statement: Double
    /// Seconds the client waits for any answer of the server before it closes the connection
    /// and throws: a statement's own limit plus a margin for the network.
    var answer: Double

    init(busyTimeout: Double) {
        let busy = max(0.1, busyTimeout)
        connect = max(1, busy)
        lock = busy
        statement = 2 * busy + 1
        answer = statement + 1
    }

    /// The session settings sent when a connection starts (milliseconds, as the server reads them).
    var startupParameters: [(String, String)] {
        [
            ("lock_timeout", String(Int((lock * 1000).rounded(.up)))),
            ("statement_timeout", String(Int((statement * 1000).rounded(.up)))),
        ]
    }
}
