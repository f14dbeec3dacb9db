import Foundation
import GRDB

/// One imported file for one provider account: the unit of reports, `retry` and `cancel`.
public struct Batch: Sendable, Codable, Equatable, FetchableRecord {
    /// Lifecycle of a batch: rows are being read, rows are being worked, every row is settled, or
    /// cancelled; `pruned`: `prune` deleted its rows, attempts and keys, and only this record of
    /// its identity stays, so its content is recognised and never sent again.
    public enum State: String, Sendable, Codable {
        case ingesting, ready, settled, cancelled, pruned
    }

    public var id: String
    public var fileName: String
    public var filePath: String
    public var sha256: String
    public var provider: String
    public var mode: String
    public var account: String
    public var state: State
    public var encoding: String
    public var notes: String
    /// Names of the values stored in each job's `fields`, in order.
    public var columns: [String]
    public var totalRows: Int
    public var unsettled: Int
    public var createdAt: Timestamp
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    /// When `prune` deleted its rows (state `pruned`).
    public var prunedAt: Timestamp?

    public init(
        id: String, fileName: String, filePath: String, sha256: String, provider: String, mode: String,
        account: String, state: State, encoding: String, notes: String, columns: [String], totalRows: Int,
        unsettled: Int, createdAt: Timestamp, startedAt: Timestamp?, finishedAt: Timestamp?, prunedAt: Timestamp?
    ) {
        (self.id, self.fileName, self.filePath, self.sha256) = (id, fileName, filePath, sha256)
        (self.provider, self.mode, self.account, self.state) = (provider, mode, account, state)
        (self.encoding, self.notes, self.columns, self.totalRows) = (encoding, notes, columns, totalRows)
        (self.unsettled, self.createdAt, self.startedAt) = (unsettled, createdAt, startedAt)
        (self.finishedAt, self.prunedAt) = (finishedAt, prunedAt)
    }

    public init(row: Row) throws {
        id = row["id"]
        fileName = row["file_name"]
        filePath = row["file_path"]
        sha256 = row["sha256"]
        provider = row["provider"]
        mode = row["mode"]
        account = row["account"]
        state = State(rawValue: row["state"]) ?? .ready
        encoding = row["encoding"]
        notes = row["notes"]
        columns = JSONText.stringArray(row["columns"])
        totalRows = row["total_rows"]
        unsettled = row["unsettled"]
        createdAt = row["created_at"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        prunedAt = row["pruned_at"]
    }

    /// The file name without its extension, used to name the report files.
    public var fileStem: String {
        let base = (fileName as NSString).deletingPathExtension
        return base.isEmpty ? fileName : base
    }
}
