import Dispatch
import Foundation

/// Claims rows for many workers with one statement (batched claims), without blocking anyone.
///
/// A worker asks with `claim` only once the rate limiter has let its request leave, and goes on
/// when its completion runs. Requests are gathered for at most `window` seconds (or until
/// `fullBatch` wait), then one statement claims at most as many rows as there are requests: so
/// every claimed row still has a departure granted by the limiter (claim after the limiter), and
/// at `--concurrency N` a statement claims up to N rows. No thread waits meanwhile.
///
/// With `aheadLimit` > 0 (for an unlimited rate only, where the limiter grants every departure at
/// once), the statement also claims up to that many rows ahead, kept here and handed to the next
/// requests at once, and a request that takes one of the last half of them refills the rest in the
/// background: a worker then rarely waits for a statement. Rows claimed ahead are held under this
/// pool's lease like rows in flight; whoever runs the combiner gives back the ones left
/// (`takeRowsClaimedAhead`) when it stops.
///
/// Guarantees: each completion runs exactly once, with a job, nil (no runnable row was left for
/// it) or the error of the statement run for it: at once on the caller's thread when a row claimed
/// ahead is handed out, else on the combiner's queue; requests are served in arrival order; at
/// most `aheadLimit` rows are held claimed ahead at any moment.
final class ClaimCombiner: @unchecked Sendable {
    typealias Completion = @Sendable (Result<ClaimedJob?, any Error>) -> Void

    private let batch: (Int) throws -> [ClaimedJob]
    private let window: Double
    private let fullBatch: Int
    private let aheadLimit: Int
    private let queue = DispatchQueue(label: "subimport.claims")
    private let lock = NSLock()
    /// Requests not yet served, in arrival order.
    private var waiting: [Completion] = []
    /// Rows claimed ahead, not handed out yet, oldest last.
    private var ahead: [ClaimedJob] = []
    /// A statement is scheduled or running: new requests wait for it or the next one.
    private var scheduled = false

    /// - Parameters:
    ///   - window: seconds the first waiting request may wait for others to join its statement.
    ///   - fullBatch: a statement runs at once when this many requests wait.
    ///   - aheadLimit: rows claimed ahead of any request (0: none, claims follow requests only).
    ///   - batch: `batch(n)` claims up to `n` rows in one statement.
    init(
        window: Double = 0.001, fullBatch: Int, aheadLimit: Int = 0, batch: @escaping (Int) throws -> [ClaimedJob]
    ) {
        self.window = max(0, window)
        self.fullBatch = max(1, fullBatch)
        self.aheadLimit = max(0, aheadLimit)
        self.batch = batch
    }

    /// Asks for one row; `completion` gets it (or nil, or the statement's error) once claimed.
    func claim(_ completion: @escaping Completion) {
        lock.lock()
        if let job = ahead.popLast() {
            let refill = ahead.count < (aheadLimit + 1) / 2 && !scheduled
            if refill { scheduled = true }
            lock.unlock()
            if refill { queue.async { self.run() } }
            completion(.success(job))
            return
        }
        waiting.append(completion)
        let runNow = waiting.count >= fullBatch
        let schedule = !scheduled
        scheduled = true
        lock.unlock()
        if runNow {
            queue.async { self.run() }
        } else if schedule {
            queue.asyncAfter(deadline: .now() + window) { self.run() }
        }
    }

    /// Rows claimed ahead waiting to be handed out (a worker looking for work takes one).
    var rowsClaimedAhead: Int {
        lock.withLock { ahead.count }
    }

    /// The rows claimed ahead and not handed out, which stay this combiner's no more: its caller
    /// gives them back to the queue. Call once no worker asks any more.
    func takeRowsClaimedAhead() -> [ClaimedJob] {
        lock.withLock {
            defer { ahead = [] }
            return ahead
        }
    }

    /// Serves every request waiting now (and refills the rows claimed ahead) with one statement;
    /// requests that came meanwhile take rows claimed ahead, else wait for the next statement.
    private func run() {
        lock.lock()
        let served = waiting
        waiting = []
        let wanted = served.count + max(0, aheadLimit - ahead.count)
        lock.unlock()
        let items = wanted > 0 ? Result { try batch(wanted) } : .success([])
        lock.lock()
        if let claimed = try? items.get(), claimed.count > served.count {
            ahead.insert(contentsOf: claimed.dropFirst(served.count).reversed(), at: 0)
        }
        var late: [(Completion, ClaimedJob)] = []
        while !waiting.isEmpty, let job = ahead.popLast() { late.append((waiting.removeFirst(), job)) }
        let more = !waiting.isEmpty
        scheduled = more
        lock.unlock()
        for (index, completion) in served.enumerated() {
            completion(items.map { index < $0.count ? $0[index] : nil })
        }
        for (completion, job) in late { completion(.success(job)) }
        if more { queue.asyncAfter(deadline: .now() + window) { self.run() } }
    }
}
