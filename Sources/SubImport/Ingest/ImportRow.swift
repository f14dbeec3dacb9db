/// One data row of an input file, mapped to the provider's canonical column names.
public struct ImportRow: Sendable, Equatable {
    /// Non-secret values by canonical column name, trimmed; empty cells are absent.
    public var values: [String: String]
    /// The password column, kept apart so it can be erased once the row is settled.
    public var secret: String?

    public init(values: [String: String], secret: String?) {
        self.values = values
        self.secret = secret
    }

    public subscript(_ column: String) -> String? { values[column] }
}

/// Why a row cannot be sent: the column at fault (when one is) and a message for the report.
public struct RowProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var column: String?
    public var message: String

    public init(column: String?, message: String) {
        self.column = column
        self.message = message
    }

    public var description: String { column.map { "\($0): \(message)" } ?? message }
}
