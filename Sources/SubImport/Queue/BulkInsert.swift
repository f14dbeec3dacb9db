import GRDB
import GRDBSQLite

/// One cached prepared statement run many times with values bound directly through the SQLite
/// C API: no per-value boxing, no array of values, and text bound `SQLITE_STATIC` from an arena
/// this value owns (copied once, with no allocation by SQLite per value). Used only where
/// millions of rows are written.
///
/// Use: `bind` each parameter in order (`text`, `optionalText`, `integer`, `real`), then
/// `step()`. Bound text stays valid until the next `step()` resets the statement.
struct BulkInsert: ~Copyable {
    private let statement: Statement
    private let handle: OpaquePointer
    private let db: Database
    /// Where bound text lives until the row is stepped; grown (never moved while bound) as needed.
    private var arena: UnsafeMutablePointer<CChar>
    private var arenaCapacity: Int
    private var arenaUsed = 0
    /// Arenas outgrown while a row was being bound: freed after that row's step.
    private var retired: [UnsafeMutablePointer<CChar>] = []
    private var index: Int32 = 1

    /// Prepares `sql` on `db` (through GRDB's statement cache, so later chunks reuse it).
    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        arenaCapacity = 4096
        arena = .allocate(capacity: arenaCapacity)
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    deinit {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        arena.deallocate()
        for old in retired { old.deallocate() }
    }

    /// Binds `text` to the next parameter.
    mutating func text(_ text: String) throws {
        // Native strings lend their UTF-8 without a copy of the String value (no retain).
        let code = text.withUTF8Bytes { bind($0) }
        try next(code)
    }

    /// Copies `bytes` into the arena and binds them `SQLITE_STATIC` to the next parameter.
    private mutating func bind(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let count = bytes.count
        if arenaUsed + count + 1 > arenaCapacity {
            retired.append(arena)
            arenaCapacity = max(arenaCapacity * 2, count + 1)
            arena = .allocate(capacity: arenaCapacity)
            arenaUsed = 0
        }
        let start = arena + arenaUsed
        if let base = bytes.baseAddress {
            UnsafeMutableRawPointer(start).copyMemory(from: base, byteCount: count)
        }
        arenaUsed += count + 1
        // SQLITE_STATIC (nil destructor): the bytes stay put until `step()` resets the row.
        // A non-null pointer even for "" (a null one would store NULL).
        return sqlite3_bind_text(handle, index, start, Int32(count), nil)
    }

    /// Binds `text`, or NULL, to the next parameter.
    mutating func optionalText(_ text: String?) throws {
        if let text { try self.text(text) } else { try next(sqlite3_bind_null(handle, index)) }
    }

    /// Binds `number` to the next parameter.
    mutating func integer(_ number: Int64) throws { try next(sqlite3_bind_int64(handle, index, number)) }

    /// Binds `number` to the next parameter.
    mutating func real(_ number: Double) throws { try next(sqlite3_bind_double(handle, index, number)) }

    /// Runs the statement with the values bound since the last step, then resets it for the next row.
    mutating func step() throws {
        let result = sqlite3_step(handle)
        sqlite3_reset(handle)
        index = 1
        arenaUsed = 0
        if !retired.isEmpty {
            for old in retired { old.deallocate() }
            retired.removeAll()
        }
        guard result == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: result), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    private mutating func next(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
        index += 1
    }
}
