/// A finished batch old enough to be pruned: every row settled, settled before the cut-off,
/// and its report written (or the batch cancelled).
public struct PruneCandidate: Sendable, Equatable {
    public var batchID: String
    public var fileName: String
    /// The path the batch's rows were last read from (its archived copy for `watch` batches).
    public var filePath: String
    public var rows: Int
    public var attempts: Int
    public var finishedAt: Timestamp

    public init(batchID: String, fileName: String, filePath: String, rows: Int, attempts: Int, finishedAt: Timestamp) {
        (self.batchID, self.fileName, self.filePath) = (batchID, fileName, filePath)
        (self.rows, self.attempts, self.finishedAt) = (rows, attempts, finishedAt)
    }
}
