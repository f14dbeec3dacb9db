import Dispatch
import Foundation

/// Serves many blocking callers with one batched call: the callers that arrive while a batch
/// runs wait and are served together by the next one, which asks for as many items as there are
/// waiting callers (at most). Each waiting caller sleeps on its own semaphore and is woken once,
/// with its item or to run the next batch itself (no thundering herd).
///
/// Used for the reservations of a shared rate limiter: one statement serves every worker that
/// arrived meanwhile.
public final class BatchCombiner<Item: Sendable>: @unchecked Sendable {
    /// One caller waiting for an item.
    private final class Waiter: @unchecked Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        /// Set before the semaphore is signalled; nil when woken to run the next batch.
        var result: Result<Item?, any Error>?
    }

    private let batch: (Int) throws -> [Item]
    private let lock = NSLock()
    /// Callers waiting for an item, in arrival order.
    private var waiting: [Waiter] = []
    /// A caller is running a batch (and will hand the next one to the first caller waiting).
    private var running = false

    /// `batch(n)` returns up to `n` items in one call; the i-th goes to the i-th caller of the
    /// batch, in arrival order (callers beyond the items returned get nil). A batch that throws
    /// throws to every caller it was run for.
    public init(batch: @escaping (Int) throws -> [Item]) {
        self.batch = batch
    }

    /// The caller's item, or nil when the batch returned fewer items than callers. Blocks while a
    /// batch for earlier callers runs; the caller may itself run the batch for every caller waiting.
    public func one() throws -> Item? {
        let me = Waiter()
        lock.lock()
        waiting.append(me)
        if running {
            lock.unlock()
            me.semaphore.wait()
            if let result = me.result { return try result.get() }
            lock.lock()  // woken to run the next batch, with `running` still set
        } else {
            running = true
        }
        let group = waiting
        waiting = []
        lock.unlock()
        let items = Result { try batch(group.count) }
        lock.lock()
        let next = waiting.first
        if next == nil { running = false }
        lock.unlock()
        for (index, waiter) in group.enumerated() where waiter !== me {
            waiter.result = items.map { index < $0.count ? $0[index] : nil }
            waiter.semaphore.signal()
        }
        next?.semaphore.signal()
        let index = group.firstIndex { $0 === me }!
        return try items.map { index < $0.count ? $0[index] : nil }.get()
    }
}
