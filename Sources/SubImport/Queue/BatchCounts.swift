import GRDB

/// A batch's rows by job state, from the `batch_count` table (migration v4): read in constant
/// time whatever the batch's size. Ingest adds each chunk's rows in the transaction that writes
/// them (`add`), so the counts are exact when the batch finishes without a pass over its rows;
/// the `job_state_counted` trigger keeps them in step with every later state change.
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

    /// Adds `jobs`, rows just inserted into the batch numbered `seq`, to its counts (in the
    /// caller's transaction, so the counts and the rows commit or roll back together).
    static func add(_ db: Database, seq: Int64, _ jobs: [NewJob]) throws {
        // A chunk has a state or two: a short list searched in place costs less than hashing
        // each row's state into a dictionary.
        var added: [(state: JobState, count: Int)] = []
        jobs.withUnsafeBufferPointer { jobs in
            for index in jobs.indices {
                let state = jobs[index].state
                if let known = added.firstIndex(where: { $0.state == state }) {
                    added[known].count += 1
                } else {
                    added.append((state, 1))
                }
            }
        }
        for (state, count) in added {
            try db.execute(
                sql: """
                    INSERT INTO batch_count (seq, state, n) VALUES (?, ?, ?)
                    ON CONFLICT (seq, state) DO UPDATE SET n = n + excluded.n
                    """, arguments: [seq, state.rawValue, count])
        }
    }
}
