import NIOCore
import PostgresNIO
import SubImport

/// Reading the queue's rows from PostgreSQL answers (columns looked up by name).
extension PostgresRandomAccessRow {
    /// The value of `column`, decoded as `T` (an optional `T` for a nullable column).
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

extension Batch {
    /// The columns of a `SELECT *` of `batch`.
    init(postgres row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        self.init(
            id: try row.value("id"), fileName: try row.value("file_name"), filePath: try row.value("file_path"),
            sha256: try row.value("sha256"), provider: try row.value("provider"), mode: try row.value("mode"),
            account: try row.value("account"), state: State(rawValue: try row.value("state")) ?? .ready,
            encoding: try row.value("encoding"), notes: try row.value("notes"),
            columns: JSONText.stringArray(try row.value("columns")), totalRows: try row.value("total_rows"),
            unsettled: try row.value("unsettled"), createdAt: try row.value("created_at"),
            startedAt: try row.value("started_at"), finishedAt: try row.value("finished_at"),
            prunedAt: try row.value("pruned_at"))
    }
}

extension JobRecord {
    /// The columns a `JobRecord` is read from, in `init(postgres:columns:)`'s order.
    static let postgresColumns =
        "row, line, state, fields, attempts, api_login, api_key, error_code, error_message, note"

    /// A row of `SELECT \(postgresColumns) FROM job` (decoded by position: no lookup by name
    /// per row); `columns` names the values of its `fields`.
    init(postgres row: PostgresRow, columns: [String]) throws {
        let (number, line, state, fields, attempts, apiLogin, apiKey, errorCode, errorMessage, note) = try row.decode(
            (Int, Int, String, String, Int, String?, String?, String?, String?, String?).self)
        self.init(
            row: number, line: line, state: JobState(rawValue: state) ?? .queued,
            fields: JSONText.namedValues(fields, names: columns), attempts: attempts, apiLogin: apiLogin,
            apiKey: apiKey, errorCode: errorCode, errorMessage: errorMessage, note: note)
    }
}

/// Text as PostgreSQL can store it: a `text` value cannot hold a NUL character (the server
/// refuses the whole statement), so each one becomes U+FFFD. Applied to what providers answer
/// (keys, codes, messages), which a hostile or broken provider controls: with the character
/// refused, its answer could never be recorded.
enum PostgresText {
    static func storable(_ value: String?) -> String? {
        guard let value, value.utf8.contains(0) else { return value }
        return value.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }
}

/// A `text[]` parameter whose elements may be NULL (postgres-nio encodes arrays of non-optional
/// values only): for `unnest` of many rows' nullable columns in one statement.
struct PostgresTextArray: PostgresNonThrowingEncodable {
    var elements: [String?]

    init(_ elements: [String?]) { self.elements = elements }

    static var psqlType: PostgresDataType { .textArray }
    static var psqlFormat: PostgresFormat { .binary }

    /// PostgreSQL's binary array format: dimensions, a has-NULL flag, the element type, the
    /// length and lower bound of the one dimension, then each element's length (−1: NULL) and bytes.
    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeInteger(elements.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(elements.contains(nil) ? 1 : 0, as: Int32.self)
        buffer.writeInteger(PostgresDataType.text.rawValue)
        guard !elements.isEmpty else { return }
        buffer.writeInteger(Int32(elements.count))
        buffer.writeInteger(1, as: Int32.self)
        for element in elements {
            guard let element else {
                buffer.writeInteger(-1, as: Int32.self)
                continue
            }
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(0, as: Int32.self)
            let written = buffer.writeString(element)
            buffer.setInteger(Int32(written), at: lengthIndex)
        }
    }
}

/// A batch's job id range: `(seq << 32) | row` for every row of the batch numbered `seq`.
struct PostgresJobIDs {
    var seq: Int64
    var low: Int64 { seq << 32 }
    var high: Int64 { (seq << 32) | 0xFFFF_FFFF }

    /// The range of batch `batchID`, or nil when there is no such batch.
    static func of(_ batchID: String, _ session: PostgresSession) throws -> PostgresJobIDs? {
        guard let row = try session.query("SELECT seq FROM batch WHERE id = \(batchID)").first else { return nil }
        return PostgresJobIDs(seq: try row.decode(Int64.self))
    }

    /// The range of batch `batchID`, or an empty one (`low > high`: no job matches).
    static func orEmpty(_ batchID: String, _ session: PostgresSession) throws -> (low: Int64, high: Int64) {
        guard let ids = try of(batchID, session) else { return (1, 0) }
        return (ids.low, ids.high)
    }
}
