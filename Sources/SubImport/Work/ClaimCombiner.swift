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
/// Guarantees: each completion runs exactly once, on the combiner's queue, with a job, nil (no
/// runnable row was left for it) or the error of the statement run for it; requests are served
/// in arrival order.
final class ClaimCombiner: @unchecked Sendable {
    typealias Completion = @Sendable (Result<ClaimedJob?, any Error>) -> Void

    private let batch: (Int) throws -> [ClaimedJob]
    private let window: Double
    private let fullBatch: Int
    private let queue = DispatchQueue(label: "subimport.claims")
    private let lock = NSLock()
    /// Requests not yet served, in arrival order.
    private var waiting: [Completion] = []
    /// A statement is scheduled or running: new requests wait for it or the next one.
    private var scheduled = false

    /// - Parameters:
    ///   - window: seconds the first waiting request may wait for others to join its statement.
    ///   - fullBatch: a statement runs at once when this many requests wait.
    ///   - batch: `batch(n)` claims up to `n` rows in one statement.
    init(window: Double = 0.001, fullBatch: Int, batch: @escaping (Int) throws -> [ClaimedJob]) {
        self.window = max(0, window)
        self.fullBatch = max(1, fullBatch)
        self.batch = batch
    }

    /// Asks for one row; `completion` gets it (or nil, or the statement's error) once claimed.
    func claim(_ completion: @escaping Completion) {
        lock.lock()
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

    /// Serves every request waiting now with one statement, then schedules the next statement
    /// for the requests that came meanwhile (if any).
    private func run() {
        lock.lock()
        let served = waiting
        waiting = []
        lock.unlock()
        if !served.isEmpty {
            let items = Result { try batch(served.count) }
            for (index, completion) in served.enumerated() {
                completion(items.map { index < $0.count ? $0[index] : nil })
            }
        }
        lock.lock()
        let more = !waiting.isEmpty
        scheduled = more
        lock.unlock()
        if more { queue.asyncAfter(deadline: .now() + window) { self.run() } }
    }
}
