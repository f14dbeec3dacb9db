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

    /// A job from its database row; `columns` names the values of its `fields` (see `Batch.columns`).
    init(row: Row, columns: [String]) {
        self.row = row["row"]
        line = row["line"]
        state = JobState(rawValue: row["state"]) ?? .queued
        fields = JSONText.namedValues(row["fields"], names: columns)
        attempts = row["attempts"]
        apiLogin = row["api_login"]
        apiKey = row["api_key"]
        errorCode = row["error_code"]
        errorMessage = row["error_message"]
        note = row["note"]
    }
}
