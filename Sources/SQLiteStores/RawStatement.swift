import ChatServices
import GRDB
import GRDBSQLite

/// A cached statement bound and stepped through SQLite's C API directly.
///
/// GRDB's `StatementArguments` and `Row` box every value and allocate on each call; on the
/// message commit path, several statements per message on the one writer thread, that boxing
/// cost more than SQLite's own work (see README, Performance). So the commit path's statements
/// go through this: integers and text only, bound by position, results read by column.
struct RawStatement {
    enum Value {
        case integer(Int64)
        case text(String)
    }

    private let statement: Statement
    private let db: Database

    init(_ db: Database, _ sql: String) throws {
        self.statement = try db.cachedStatement(sql: sql)
        self.db = db
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    func execute(_ values: Value...) throws -> Int {
        _ = try step(values)
        sqlite3_reset(statement.sqliteStatement)
        return Int(sqlite3_changes(db.sqliteConnection))
    }

    /// The first column of the first row as an integer, or nil without a row.
    func int64(_ values: Value...) throws -> Int64? {
        defer { sqlite3_reset(statement.sqliteStatement) }
        guard try step(values) else { return nil }
        return sqlite3_column_int64(statement.sqliteStatement, 0)
    }

    /// The first row's first `count` columns as integers, or nil without a row.
    func int64s(_ count: Int32, _ values: Value...) throws -> [Int64]? {
        defer { sqlite3_reset(statement.sqliteStatement) }
        guard try step(values) else { return nil }
        return (0..<count).map { sqlite3_column_int64(statement.sqliteStatement, $0) }
    }

    /// Binds `values` to ?1, ?2, … and steps once: true when a row came back.
    private func step(_ values: [Value]) throws -> Bool {
        let handle = statement.sqliteStatement
        // These statements only ever run inside a transaction. Should SQLite have rolled it back
        // by itself (a full disk, an I/O error), a statement run now would commit on its own,
        // outside the batch; GRDB's own statements refuse in that state, and so does this.
        guard sqlite3_get_autocommit(db.sqliteConnection) == 0 else {
            throw DatabaseError(
                resultCode: .SQLITE_ABORT,
                message: "The transaction was rolled back.",
                sql: statement.sql
            )
        }
        sqlite3_reset(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code =
                switch value {
                case .integer(let integer): sqlite3_bind_int64(handle, index, integer)
                case .text(let text): sqlite3_bind_text(handle, index, text, -1, SQLITE_TRANSIENT)
                }
            guard code == SQLITE_OK else { throw error(code) }
        }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let failure = error(code)
            sqlite3_reset(handle)
            throw failure
        }
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
            sql: statement.sql
        )
    }
}

/// SQLite copies the bytes of a value bound with this destructor, so a Swift string's temporary
/// C string may go away after the bind.
private let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
