import Foundation

/// Writes ingested rows to the queue on a thread of its own, so that reading, parsing,
/// validating, encoding and hashing the next rows (one core) overlaps with finding duplicates
/// among and storing the previous ones (the other core).
///
/// At most `depth` chunks wait at a time (constant memory); `submit` blocks when they do.
/// Chunks have their duplicates marked (`DuplicateFinder`) and are written in order, each in
/// one transaction. A written chunk goes back to the submitting thread (`submit` returns its
/// storage, emptied there): the rows' strings are freed by the thread that allocated them,
/// which keeps the two threads from contending for the allocator's lock of that thread's
/// arena. The first error stops the writer and is thrown by the next `submit` or by `finish`.
final class ChunkWriter: @unchecked Sendable {
    private let store: any JobQueue
    private let batchID: String
    private let depth: Int
    private let condition = NSCondition()
    private var waiting: [(jobs: [NewJob], hashes: [UInt64], expectedRows: Int)] = []
    private var closed = false
    private var done = false
    private var failure: (any Error)?
    /// The last chunk written, for the submitting thread to release and reuse (an older one
    /// not taken yet is released by the writer: at most one waits here).
    private var written: [NewJob]?
    /// Used by the writer thread only, until `done`.
    private var finder: DuplicateFinder

    init(store: any JobQueue, batchID: String, depth: Int = 2) {
        self.store = store
        self.batchID = batchID
        self.depth = max(1, depth)
        finder = DuplicateFinder(store: store, batchID: batchID)
        let thread = Thread { [self] in run() }
        thread.name = "subimport.ingest-writer"
        thread.start()
    }

    /// Queues `chunk` (the next rows of the file, in order, with their
    /// `RowContentHash` in `hashes`) for writing; blocks while `depth` chunks
    /// already wait. Returns an empty array for the next chunk: the storage of a chunk already
    /// written when there is one, its rows released on this thread. `expectedRows`, when not 0,
    /// estimates the rows of the whole file (see `DuplicateFinder.expect(rows:)`).
    func submit(_ chunk: [NewJob], hashes: [UInt64], expectedRows: Int = 0) throws -> [NewJob] {
        var released: [NewJob]?
        if !chunk.isEmpty {
            condition.lock()
            defer { condition.unlock() }
            while waiting.count >= depth && failure == nil { condition.wait() }
            if let failure { throw failure }
            waiting.append((chunk, hashes, expectedRows))
            swap(&released, &written)
            condition.broadcast()
        }
        var next = released ?? []
        next.removeAll(keepingCapacity: true)
        return next
    }

    /// Waits until every submitted chunk is written; returns how many rows are to be sent and
    /// how many are duplicates; throws the first error.
    @discardableResult
    func finish() throws -> (toSend: Int, duplicates: Int) {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        if let failure { throw failure }
        return (finder.toSend, finder.duplicates)
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
            var (chunk, hashes, expectedRows) = waiting.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                if expectedRows > 0 { finder.expect(rows: expectedRows) }
                try finder.mark(&chunk, hashes: hashes)
                try store.appendJobs(batchID: batchID, chunk)
                // Handed over without a copy (this thread keeps no reference); a chunk the
                // submitting thread has not taken yet is released here instead.
                var older: [NewJob]? = chunk
                chunk = []
                condition.lock()
                swap(&older, &written)
                condition.unlock()
            } catch {
                condition.lock()
                failure = error
                waiting.removeAll()
                condition.unlock()
            }
        }
    }
}
