/// Something wrong with one record that does not stop the reading of the file.
///
/// The record is still returned (with the text that could be read); the caller decides what
/// to do with it, typically report the row as invalid. Columns are 1-based field indexes.
public enum CSVRecordProblem: Sendable, Equatable, CustomStringConvertible {
    /// A quoted field was still open at the end of the file. The field holds the text read
    /// up to the end of the file (including any line breaks).
    case unterminatedQuote(column: Int)
    /// The field's bytes are not valid text in `encoding`. Invalid bytes were replaced with
    /// U+FFFD in the field.
    case undecodable(column: Int, encoding: CSVEncoding)
    /// The file is read as Windows-1252 but this field is valid multi-byte UTF-8: the file
    /// mixes two encodings. The field holds the UTF-8 interpretation of its bytes.
    case mixedEncoding(column: Int)
    /// The record holds more than `limit` bytes (its fields' bytes plus one per delimiter);
    /// `column` is the field where it crossed the limit. Its text is not kept: the record has
    /// a single empty field.
    case tooLong(column: Int, limit: Int)

    /// The 1-based index of the field the problem is about.
    public var column: Int {
        switch self {
        case .unterminatedQuote(let column), .undecodable(let column, _), .mixedEncoding(let column),
            .tooLong(let column, _):
            return column
        }
    }

    /// A one-line English explanation naming the column, e.g.
    /// `column 3: bytes that are not valid UTF-8 text`.
    public var description: String {
        switch self {
        case .unterminatedQuote(let column):
            return "column \(column): quoted field is not closed before the end of the file"
        case .undecodable(let column, let encoding):
            return "column \(column): bytes that are not valid \(encoding.rawValue) text"
        case .mixedEncoding(let column):
            return "column \(column): UTF-8 text in a file read as Windows-1252 (the file mixes encodings)"
        case .tooLong(let column, let limit):
            return
                "column \(column): record longer than \(limit) bytes, the most a record may hold; its cells were not read"
        }
    }
}
