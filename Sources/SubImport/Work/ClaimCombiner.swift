import Dispatch
import Foundation

/// Claims rows for many workers with one statement (batched claims).
///
/// A worker calls `claimOne` only once the rate limiter has let its request leave; the calls
/// that arrive while a claim statement runs wait and are served together by the next one, which
/// claims at most as many rows as there are waiting callers. So every claimed row still has a
/// departure granted by the limiter (claim after the limiter), and at `--concurrency N` one
/// statement claims up to N rows. Each waiting caller sleeps on its own semaphore and is woken
/// once, with its row or to run the next claim itself (no thundering herd).
final class ClaimCombiner: @unchecked Sendable {
    /// One caller waiting for a row.
    private final class Waiter: @unchecked Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        /// Set before the semaphore is signalled; nil when woken to run the next claim.
        var result: Result<ClaimedJob?, any Error>?
    }

    private let claim: (Int) throws -> [ClaimedJob]
    private let lock = NSLock()
    /// Callers waiting for a row, in arrival order.
    private var waiting: [Waiter] = []
    /// A caller is running a claim (and will hand the next one to the first caller waiting).
    private var claiming = false

    /// `claim(n)` claims up to `n` rows in one statement.
    init(claim: @escaping (Int) throws -> [ClaimedJob]) {
        self.claim = claim
    }

    /// One claimed row for the caller, or nil when none was runnable. Blocks while a claim for
    /// earlier callers runs; the caller may itself run the claim for every caller waiting.
    func claimOne() throws -> ClaimedJob? {
        let me = Waiter()
        lock.lock()
        waiting.append(me)
        if claiming {
            lock.unlock()
            me.semaphore.wait()
            if let result = me.result { return try result.get() }
            lock.lock()  // woken to run the next claim, with `claiming` still set
        } else {
            claiming = true
        }
        let group = waiting
        waiting = []
        lock.unlock()
        let claimed = Result { try claim(group.count) }
        lock.lock()
        let next = waiting.first
        if next == nil { claiming = false }
        lock.unlock()
        for (index, waiter) in group.enumerated() where waiter !== me {
            waiter.result = claimed.map { index < $0.count ? $0[index] : nil }
            waiter.semaphore.signal()
        }
        next?.semaphore.signal()
        let index = group.firstIndex { $0 === me }!
        return try claimed.map { index < $0.count ? $0[index] : nil }.get()
    }
}
