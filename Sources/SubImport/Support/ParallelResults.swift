import Foundation

/// Results of `count` tasks worked by several threads: each thread claims the next task's
/// index, and stores its result at that index. Safe from any thread.
final class ParallelResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Value, any Error>?]
    private var nextIndex = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// The index of a task no thread has claimed yet, or nil when every task is claimed.
    func claimIndex() -> Int? {
        lock.withLock {
            guard nextIndex < slots.count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func set(_ index: Int, _ result: Result<Value, any Error>) {
        lock.withLock { slots[index] = result }
    }

    /// Every task's result, in index order (call once every claimed task has stored its result).
    var all: [Result<Value, any Error>] {
        lock.withLock { slots.map { $0 ?? .failure(CancellationError()) } }
    }
}
