import GRDB

/// Job ids are `(batch.seq << 32) | row`: the jobs of a batch form one contiguous id range in
/// row order, so finding a batch's jobs, or one row of it, needs no index besides the primary
/// key — one b-tree less to write for every ingested row.
enum JobIDs {
    /// The id of data row `row` of the batch numbered `seq`.
    static func id(seq: Int64, row: Int) -> Int64 { (seq << 32) | Int64(row) }

    /// The id range of the batch `batchID` (empty when there is no such batch).
    static func range(_ db: Database, batchID: String) throws -> (low: Int64, high: Int64) {
        guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM batch WHERE id = ?", arguments: [batchID]) else {
            return (1, 0)
        }
        return (seq << 32, (seq << 32) | 0xFFFF_FFFF)
    }
}
