/// A job a worker holds under a lease: everything needed to send it once.
public struct ClaimedJob: Sendable {
    public var id: Int64
    public var batchID: String
    public var row: Int
    public var provider: String
    public var mode: String
    public var account: String
    /// Non-secret fields by canonical column name (empty cells are absent).
    public var fields: [String: String]
    /// The password, while the row is unsettled.
    public var secret: String?
    /// HTTP attempts made so far, this one included.
    public var attempts: Int
    /// Transient failures so far (counted against `--max-attempts`).
    public var failures: Int
    /// An earlier attempt may have reached the provider.
    public var ambiguous: Bool
    public var note: String?

    public init(
        id: Int64, batchID: String, row: Int, provider: String, mode: String, account: String,
        fields: [String: String], secret: String?, attempts: Int, failures: Int, ambiguous: Bool, note: String?
    ) {
        (self.id, self.batchID, self.row, self.provider, self.mode) = (id, batchID, row, provider, mode)
        (self.account, self.fields, self.secret, self.attempts) = (account, fields, secret, attempts)
        (self.failures, self.ambiguous, self.note) = (failures, ambiguous, note)
    }
}
