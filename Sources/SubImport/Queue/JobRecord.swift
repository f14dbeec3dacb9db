import GRDB

/// A job as reports and `status` see it (no secret).
public struct JobRecord: Sendable {
    public var row: Int
    public var line: Int
    public var state: JobState
    public var fields: [String: String]
    public var attempts: Int
    public var apiLogin: String?
    public var apiKey: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var note: String?

    public init(
        row: Int, line: Int, state: JobState, fields: [String: String], attempts: Int, apiLogin: String?,
        apiKey: String?, errorCode: String?, errorMessage: String?, note: String?
    ) {
        (self.row, self.line, self.state, self.fields, self.attempts) = (row, line, state, fields, attempts)
        (self.apiLogin, self.apiKey, self.errorCode) = (apiLogin, apiKey, errorCode)
        (self.errorMessage, self.note) = (errorMessage, note)
    }

    /// The columns `init(row:columns:)` reads, in its order: select them with this list.
    static let selection = "row, line, state, fields, attempts, api_login, api_key, error_code, error_message, note"

    /// A job from a row of the columns of `selection`, read by position (a column looked up by
    /// name costs a case-insensitive search of the row's names); `columns` names the values of its
    /// `fields` (see `Batch.columns`).
    init(row: Row, columns: [String]) {
        self.row = row[0]
        line = row[1]
        state = JobState(rawValue: row[2]) ?? .queued
        fields = JSONText.namedValues(row[3], names: columns)
        attempts = row[4]
        apiLogin = row[5]
        apiKey = row[6]
        errorCode = row[7]
        errorMessage = row[8]
        note = row[9]
    }
}
