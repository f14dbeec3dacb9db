import Foundation

/// Writes ingested rows to the queue on a thread of its own, so that parsing and validating the
/// next rows (one core) overlaps with SQLite writing the previous ones (the other core).
///
/// At most `depth` chunks wait at a time (constant memory); `submit` blocks when they do.
/// Chunks are written in order, each in one transaction. The first write error stops the
/// writer and is thrown by the next `submit` or by `finish`.
final class ChunkWriter: @unchecked Sendable {
    private let store: any JobQueue
    private let batchID: String
    private let depth: Int
    private let condition = NSCondition()
    private var waiting: [[NewJob]] = []
    private var writing: [NewJob]?
    private var closed = false
    private var done = false
    private var failure: (any Error)?

    init(store: any JobQueue, batchID: String, depth: Int = 2) {
        self.store = store
        self.batchID = batchID
        self.depth = max(1, depth)
        let thread = Thread { [self] in run() }
        thread.name = "subimport.ingest-writer"
        thread.start()
    }

    /// Queues `chunk` for writing; blocks while `depth` chunks already wait.
    func submit(_ chunk: [NewJob]) throws {
        guard !chunk.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= depth && failure == nil { condition.wait() }
        if let failure { throw failure }
        waiting.append(chunk)
        condition.broadcast()
    }

    /// Waits until every submitted chunk is written; throws the first write error.
    func finish() throws {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        if let failure { throw failure }
    }

    /// A submitted row not yet known to be written, if `row` is one (for duplicate checks).
    func unwrittenJob(row: Int) -> NewJob? {
        condition.lock()
        defer { condition.unlock() }
        for chunk in waiting + (writing.map { [$0] } ?? []) {
            if let first = chunk.first, row >= first.row, let found = chunk.first(where: { $0.row == row }) {
                return found
            }
        }
        return nil
    }

    private func run() {
        while true {
            condition.lock()
            while waiting.isEmpty && !closed { condition.wait() }
            if waiting.isEmpty || failure != nil {
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let chunk = waiting.removeFirst()
            writing = chunk
            condition.broadcast()
            condition.unlock()
            do {
                try store.appendJobs(batchID: batchID, chunk)
            } catch {
                condition.lock()
                failure = error
                waiting.removeAll()
                condition.unlock()
            }
            condition.lock()
            writing = nil
            condition.broadcast()
            condition.unlock()
        }
    }
}
