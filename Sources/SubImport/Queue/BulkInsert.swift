import GRDB
import GRDBSQLite

/// One prepared statement run many times with values bound directly through the SQLite C API:
/// no per-value boxing, no intermediate C strings. Used only where millions of rows are written.
struct BulkInsert {
    /// A value to bind.
    enum Value {
        case text(String)
        case optionalText(String?)
        case integer(Int64)
        case real(Double)
    }

    private let statement: Statement
    private let db: Database

    /// Prepares `sql` on `db`; the statement lives as long as this value.
    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.makeStatement(sql: sql)
    }

    /// Binds `values` to the statement's parameters, in order, and runs it once.
    func run(_ values: [Value]) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .text(let text): code = bind(text, at: index, to: handle)
            case .optionalText(let text):
                code = text.map { bind($0, at: index, to: handle) } ?? sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            }
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
        }
        let step = sqlite3_step(handle)
        guard step == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: step), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    private func bind(_ text: String, at index: Int32, to handle: OpaquePointer) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            // SQLITE_TRANSIENT: SQLite copies the bytes before this returns. An empty string
            // still needs a non-null pointer, or SQLite would store NULL.
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, transient) }
            return UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), transient)
            }
        }
    }
}
