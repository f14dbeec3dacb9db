import Foundation
import PostgresNIO
import SubImport

/// Claims whose transaction failed without a known outcome: the connection broke, or the
/// server's answer to `COMMIT` was lost, so the rows may be claimed in the queue while no worker
/// got them. Such rows would be held by a live owner whose lease renewal keeps them from ever
/// being rescued, so they are put back in the queue (as a release of a claim that sent nothing)
/// in the same transaction as this process's next claim or lease renewal.
final class PostgresUnknownClaims: @unchecked Sendable {
    /// One claim: who claimed and the claim's time (the `updated_at` it gave its rows).
    struct Claim: Sendable, Equatable {
        var owner: String
        var time: Timestamp
    }

    private let lock = NSLock()
    private var claims: [Claim] = []

    /// Remembers a claim whose outcome is unknown.
    func add(_ claim: Claim) {
        lock.withLock { claims.append(claim) }
    }

    /// Runs `body` in a transaction of `queue` after putting back, in that transaction, the rows
    /// of every unknown claim (only rows still `running` under that claim: a row that has been
    /// settled or rescued since is left alone). When the transaction fails, the claims are kept
    /// for the next one.
    func releasing<T>(in queue: PostgresQueue, _ body: (PostgresSession) throws -> T) throws -> T {
        let pending = lock.withLock {
            defer { claims.removeAll() }
            return claims
        }
        do {
            return try queue.write { session in
                for claim in pending {
                    try session.execute(
                        """
                        UPDATE job SET state = 'queued', attempts = attempts - 1, lease_owner = NULL,
                            lease_expires_at = NULL
                        WHERE state = 'running' AND lease_owner = \(claim.owner) AND updated_at = \(claim.time)
                        """)
                }
                return try body(session)
            }
        } catch {
            lock.withLock { claims.insert(contentsOf: pending, at: 0) }
            throw error
        }
    }
}
