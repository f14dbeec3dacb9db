import Foundation

/// Claims rows for many workers with one statement (batched claims).
///
/// A worker calls `claimOne` only once the rate limiter has let its request leave; the calls
/// that arrive while a claim statement runs wait and are served together by the next one, which
/// claims at most as many rows as there are waiting callers. So every claimed row still has a
/// departure granted by the limiter (claim after the limiter), and at `--concurrency N` one
/// statement claims up to N rows.
final class ClaimCombiner: @unchecked Sendable {
    private let claim: (Int) throws -> [ClaimedJob]
    private let condition = NSCondition()
    /// Callers waiting for a row, by ticket, in arrival order.
    private var waiting: [UInt64] = []
    private var results: [UInt64: Result<ClaimedJob?, any Error>] = [:]
    private var nextTicket: UInt64 = 0
    private var claiming = false

    /// `claim(n)` claims up to `n` rows in one statement.
    init(claim: @escaping (Int) throws -> [ClaimedJob]) {
        self.claim = claim
    }

    /// One claimed row for the caller, or nil when none was runnable. Blocks while a claim for
    /// earlier callers runs; the caller may itself run the claim for every caller waiting.
    func claimOne() throws -> ClaimedJob? {
        condition.lock()
        defer { condition.unlock() }
        let ticket = nextTicket
        nextTicket += 1
        waiting.append(ticket)
        while true {
            if let result = results.removeValue(forKey: ticket) { return try result.get() }
            if claiming {
                condition.wait()
                continue
            }
            claiming = true
            let tickets = waiting
            waiting = []
            condition.unlock()
            let claimed = Result { try claim(tickets.count) }
            condition.lock()
            for (index, ticket) in tickets.enumerated() {
                results[ticket] = claimed.map { index < $0.count ? $0[index] : nil }
            }
            claiming = false
            condition.broadcast()
        }
    }
}
