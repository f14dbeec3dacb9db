/// Finds the duplicate rows of one file among its jobs, given chunk after chunk in row order
/// with each row's `RowContentHash` (computed by the reading thread while the row is at hand; the
/// lookups run on the ingest writer thread, overlapping with reading the next rows).
///
/// Guarantees: a `queued` job becomes `duplicate` (note `duplicate of row N: sent once`, no
/// password kept) only when its fields and password equal (as `String`s, canonical
/// equivalence) those of an earlier row to be sent; a hash match is always confirmed by
/// comparing the content, with the rows of the current chunk in memory and those of earlier
/// chunks read back from the store. So each chunk must be stored (committed) before the next
/// one is given. Jobs in any other state are left as they are.
struct DuplicateFinder {
    private let store: any JobQueue
    private let batchID: String
    private var seen = RowHashTable()
    /// Rows to send so far (`queued` and not duplicates).
    private(set) var toSend = 0
    /// Rows found to be duplicates so far.
    private(set) var duplicates = 0

    init(store: any JobQueue, batchID: String) {
        self.store = store
        self.batchID = batchID
    }

    /// Makes room for `rows` rows to send at once (instead of growing step by step while
    /// they come); an estimate, never a limit. At most `maxReservedRows` are reserved (10 MiB),
    /// so that an estimate misled by short first rows costs little: larger files grow from there.
    mutating func expect(rows: Int) { seen.reserve(min(rows, Self.maxReservedRows)) }

    static let maxReservedRows = 1 << 20

    /// Marks the duplicates among `jobs` (the next chunk of the file); `hashes[i]` is the
    /// `RowContentHash` of `jobs[i]` (one hasher for the whole file; any value for a job not
    /// `queued`).
    mutating func mark(_ jobs: inout [NewJob], hashes: [UInt64]) throws {
        let (store, batchID) = (self.store, self.batchID)
        seen.prefetch(hashes)
        for index in jobs.indices where jobs[index].state == .queued {
            let first = try seen.firstMatchOrInsert(hash: hashes[index], row: jobs[index].row) { earlier in
                try Self.isSame(earlier, as: jobs[index], chunk: jobs, store: store, batchID: batchID)
            }
            if let first {
                jobs[index].state = .duplicate
                jobs[index].note = "duplicate of row \(first): sent once"
                jobs[index].secret = nil
                duplicates += 1
            } else {
                toSend += 1
            }
        }
    }

    /// Whether row `first` (a row to send, earlier in the file) has the content of `job`.
    private static func isSame(
        _ first: Int, as job: NewJob, chunk: [NewJob], store: any JobQueue, batchID: String
    ) throws -> Bool {
        // The rows of a chunk are consecutive: row `first` of this chunk is at `first - start`.
        if let start = chunk.first?.row, first >= start, first - start < chunk.count,
            chunk[first - start].row == first
        {
            let earlier = chunk[first - start]
            return earlier.fields == job.fields && earlier.secret == job.secret
        }
        guard let stored = try store.storedRow(batchID: batchID, row: first) else { return false }
        return stored.fields == job.fields && stored.secret == job.secret
    }
}
