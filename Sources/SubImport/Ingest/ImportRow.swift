/// One data row of an input file, mapped to the provider's canonical column names.
///
/// Cells are kept in schema order in a small array (names shared by every row of a file):
/// looking a column up compares a handful of short names, which is cheaper than hashing on
/// files of millions of rows.
public struct ImportRow: Sendable, Equatable {
    /// The canonical column names, in schema order (shared by every row of a file).
    public let names: [String]
    /// Non-secret values in `names` order, trimmed; nil for an empty or absent cell.
    public var cells: [String?]
    /// The password column, kept apart so it can be erased once the row is settled.
    public var secret: String?

    public init(names: [String], cells: [String?], secret: String?) {
        self.names = names
        self.cells = cells
        self.secret = secret
    }

    /// The value of `column`, or nil when the cell is empty or the column absent.
    public subscript(_ column: String) -> String? {
        // Column names mostly differ in length: comparing lengths first skips most string compares.
        // The names are read in place (no retain and release of each one per lookup).
        let length = column.utf8.count
        let found = names.withUnsafeBufferPointer { names in
            names.indices.first { names[$0].utf8.count == length && names[$0] == column }
        }
        return found.map { cells[$0] } ?? nil
    }
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
