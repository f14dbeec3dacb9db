import GRDB

/// A batch's rows by job state, from the `batch_count` table (migration v3): read in constant
/// time whatever the batch's size. Ingest counts a batch once when it finishes (`recount`); the
/// `job_state_counted` trigger keeps the counts in step with every later state change.
enum BatchCounts {
    /// Rows of `batchID` by job state. A batch still ingesting has no kept counts yet: its rows
    /// are counted one by one (they are being written).
    static func byState(_ db: Database, batchID: String) throws -> [JobState: Int] {
        guard let batch = try Row.fetchOne(db, sql: "SELECT seq, state FROM batch WHERE id = ?", arguments: [batchID])
        else { return [:] }
        let seq: Int64 = batch["seq"]
        let rows: [Row]
        if batch["state"] == Batch.State.ingesting.rawValue {
            rows = try Row.fetchAll(
                db, sql: "SELECT state, COUNT(*) AS n FROM job WHERE id BETWEEN ? AND ? GROUP BY state",
                arguments: [seq << 32, (seq << 32) | 0xFFFF_FFFF])
        } else {
            rows = try Row.fetchAll(
                db, sql: "SELECT state, n FROM batch_count WHERE seq = ? AND n > 0", arguments: [seq])
        }
        var counts: [JobState: Int] = [:]
        for row in rows {
            counts[JobState(rawValue: row["state"]) ?? .queued, default: 0] += row["n"] as Int
        }
        return counts
    }

    /// Counts the rows of `batchID` afresh (one pass over its id range): ingest's last step.
    static func recount(_ db: Database, batchID: String) throws {
        let ids = try JobIDs.range(db, batchID: batchID)
        try db.execute(sql: "DELETE FROM batch_count WHERE seq = ?", arguments: [ids.low >> 32])
        try db.execute(
            sql: """
                INSERT INTO batch_count (seq, state, n)
                SELECT ?, state, COUNT(*) FROM job WHERE id BETWEEN ? AND ? GROUP BY state
                """, arguments: [ids.low >> 32, ids.low, ids.high])
    }
}
