/// What ingesting one file did.
public struct IngestSummary: Sendable {
    public var batch: Batch
    /// The content was ingested before for this account: nothing was read again.
    public var alreadyKnown: Bool
    /// Data rows read (every one is in exactly one job).
    public var rows: Int
    public var invalid: Int
    public var duplicates: Int
    /// Rows queued to be sent.
    public var toSend: Int
    /// What was done with the file, for the operator (encoding, delimiter, ignored columns).
    public var notes: [String]
}
