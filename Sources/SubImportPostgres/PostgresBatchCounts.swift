import PostgresNIO
import SubImport

/// A batch's rows by job state, from `batch_count` (see `PostgresMigrations`: signed deltas
/// appended by the `job_state_counted` trigger). Ingest counts a batch once when it finishes
/// (`recount`); every later state change appends its deltas.
enum PostgresBatchCounts {
    /// Delta rows of one batch past which a read folds them back into one row per state, so
    /// that reading stays cheap however many claims and settlements a batch saw.
    static let foldThreshold = 64

    /// Rows of `batchID` by job state. A batch still ingesting has no kept counts yet: its rows
    /// are counted one by one (they are being written).
    static func byState(_ session: PostgresSession, batchID: String) throws -> [JobState: Int] {
        guard
            let batch = try session.query("SELECT seq, state FROM batch WHERE id = \(batchID)").first?
                .makeRandomAccess()
        else { return [:] }
        let ids = PostgresJobIDs(seq: try batch.value("seq"))
        let rows: [PostgresRow]
        if try batch.value("state", as: String.self) == Batch.State.ingesting.rawValue {
            rows = try session.query(
                """
                SELECT state, COUNT(*)::bigint, 0::bigint FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high)
                GROUP BY state
                """)
        } else {
            rows = try session.query(
                "SELECT state, SUM(n)::bigint, COUNT(*)::bigint FROM batch_count WHERE seq = \(ids.seq) GROUP BY state"
            )
        }
        var counts: [JobState: Int] = [:]
        var deltaRows = 0
        for row in rows {
            let (state, n, pieces) = try row.decode((String, Int, Int).self)
            deltaRows += pieces
            if n > 0 { counts[JobState(rawValue: state) ?? .queued, default: 0] += n }
        }
        if deltaRows > foldThreshold { try fold(session, seq: ids.seq) }
        return counts
    }

    /// Replaces the deltas of batch `seq` by one row per state, in one statement (concurrent
    /// appends and folds keep the sums: each removes only the rows it read).
    static func fold(_ session: PostgresSession, seq: Int64) throws {
        try session.execute(
            """
            WITH gone AS (DELETE FROM batch_count WHERE seq = \(seq) RETURNING state, n)
            INSERT INTO batch_count (seq, state, n)
            SELECT \(seq), state, SUM(n) FROM gone GROUP BY state HAVING SUM(n) <> 0
            """)
    }

    /// Counts the rows of batch `seq` afresh (one pass over its id range): ingest's last step.
    static func recount(_ session: PostgresSession, ids: PostgresJobIDs) throws {
        try session.execute("DELETE FROM batch_count WHERE seq = \(ids.seq)")
        try session.execute(
            """
            INSERT INTO batch_count (seq, state, n)
            SELECT \(ids.seq), state, COUNT(*) FROM job WHERE id BETWEEN \(ids.low) AND \(ids.high) GROUP BY state
            """)
    }
}
