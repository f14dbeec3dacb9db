/// One record (row) of a CSV file.
public struct CSVRecord: Sendable, Equatable {
    /// The fields, unquoted and decoded. Never empty: a record has at least one field.
    public var fields: [String]
    /// The 1-based physical line of the file where the record starts. Blank lines and line
    /// breaks inside quoted fields are counted, so this is the line an editor shows.
    public var line: Int
    /// The first problem found in the record, if any. The fields are still usable text.
    public var problem: CSVRecordProblem?

    /// Creates a record.
    public init(fields: [String], line: Int, problem: CSVRecordProblem? = nil) {
        self.fields = fields
        self.line = line
        self.problem = problem
    }
}
