/// An error that stops the reading of a whole file (as opposed to a ``CSVRecordProblem``,
/// which concerns one record).
public struct CSVFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened; `reason` is the system's error text.
        case cannotOpen(path: String, reason: String)
        /// Reading the file failed after it was opened; `reason` is the system's error text.
        case readFailed(path: String, reason: String)
        /// A NUL byte was found on `line`: the file is binary, not CSV text.
        case binary(path: String, line: Int)
        /// The file has no record at all (it is empty or holds only blank lines), so there is
        /// no header row.
        case empty(path: String)
    }

    /// What went wrong.
    public var kind: Kind

    /// Creates an error of the given kind.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// See ``Kind/cannotOpen(path:reason:)``.
    public static func cannotOpen(path: String, reason: String) -> CSVFileError {
        CSVFileError(.cannotOpen(path: path, reason: reason))
    }

    /// See ``Kind/readFailed(path:reason:)``.
    public static func readFailed(path: String, reason: String) -> CSVFileError {
        CSVFileError(.readFailed(path: path, reason: reason))
    }

    /// See ``Kind/binary(path:line:)``.
    public static func binary(path: String, line: Int) -> CSVFileError {
        CSVFileError(.binary(path: path, line: line))
    }

    /// See ``Kind/empty(path:)``.
    public static func empty(path: String) -> CSVFileError {
        CSVFileError(.empty(path: path))
    }

    /// The path (or in-memory name) of the file concerned.
    public var path: String {
        switch kind {
        case .cannotOpen(let path, _), .readFailed(let path, _), .binary(let path, _), .empty(let path):
            return path
        }
    }

    /// The 1-based line concerned, when the error is about a line.
    public var line: Int? {
        switch kind {
        case .binary(_, let line): return line
        case .empty: return 1
        case .cannotOpen, .readFailed: return nil
        }
    }

    /// A one-line English message naming the file and, where it applies, the line.
    public var description: String {
        switch kind {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open the file: \(reason)"
        case .readFailed(let path, let reason):
            return "\(path): reading the file failed: \(reason)"
        case .binary(let path, let line):
            return "\(path): line \(line): NUL byte found; this is a binary file, not CSV text"
        case .empty(let path):
            return "\(path): line 1: the file is empty, there is no header row"
        }
    }
}
