import ChatServices
import Dispatch
import GRDBSQLite
import Logging
import Synchronization

/// Copies the WAL back into the database file on a thread of its own, so the writer never does.
///
/// By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: with
/// small batches (one client's message each) that is every few commits, and each such commit
/// stalls every message behind it for several milliseconds (README → Performance). The writer's
/// automatic checkpoints are off (`wal_autocheckpoint = 0`, see `SQLiteDatabase`); this runs
/// PASSIVE checkpoints on its own connection every `interval`, which wait for nobody: they copy
/// what no reader still needs while writers and readers go on, and once one has caught up the
/// next commit starts the WAL file from its beginning again. Should the WAL still pass
/// `restartPages` (the writer outran it for long), one RESTART checkpoint holds writers back
/// briefly so the file cannot grow without bound.
///
/// Durability is untouched: a commit is durable once its WAL frames are synced; a checkpoint only
/// moves committed pages (and syncs the database file before the WAL may be reused).
final class WALCheckpointer: Sendable {
    static let interval = DispatchTimeInterval.milliseconds(100)
    static let restartPages: Int32 = 65_536

    /// Dispatch sources are thread-safe; only `stop` touches it after `init`.
    nonisolated(unsafe) private let timer: DispatchSourceTimer
    /// The checkpointing connection, used only on `queue` (a raw pointer: SQLite's own type).
    private let connection: Mutex<OpaquePointer?>
    private let logger: Logger

    init(path: String, logger: Logger) throws {
        var db: OpaquePointer?
        let opened = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard opened == SQLITE_OK, let db else {
            sqlite3_close(db)
            throw SQLiteError(code: opened, message: "could not open \(path) to checkpoint it")
        }
        // Its checkpoints sync the database file before the WAL may be reused.
        sqlite3_exec(db, "PRAGMA synchronous = FULL", nil, nil, nil)
        // A connection opens the WAL on its first read; until then a checkpoint on it does nothing.
        let read = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        guard read == SQLITE_OK else {
            defer { sqlite3_close(db) }
            throw SQLiteError(code: read, message: "could not read \(path): \(String(cString: sqlite3_errmsg(db)))")
        }
        self.connection = Mutex(db)
        self.logger = logger
        let queue = DispatchQueue(label: "wechat.sqlite.checkpoint")
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.interval, repeating: Self.interval, leeway: .milliseconds(20))
        timer.setEventHandler { [weak self] in self?.checkpoint() }
        timer.activate()
    }

    private func checkpoint() {
        connection.withLock { db in
            guard let db else { return }
            var walPages: Int32 = 0
            var copied: Int32 = 0
            let result = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &walPages, &copied)
            guard result == SQLITE_OK else {
                // A reader or writer holding a lock it needs: the next tick tries again.
                if result == SQLITE_BUSY { return }
                logger.warning(
                    "WAL checkpoint failed",
                    metadata: ["code": "\(result)", "error": "\(String(cString: sqlite3_errmsg(db)))"]
                )
                return
            }
            if walPages >= Self.restartPages {
                // RESTART waits for writers and readers; a short wait keeps a commit from ever
                // waiting long on it (the next tick tries again).
                sqlite3_busy_timeout(db, 50)
                let restarted = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_RESTART, nil, nil)
                sqlite3_busy_timeout(db, 0)
                logger.notice(
                    "WAL checkpoint falling behind; restarting the WAL",
                    metadata: [
                        "walPages": "\(walPages)", "result": "\(restarted)",
                    ]
                )
            }
        }
    }

    deinit {
        stop()
    }

    /// Stops checkpointing and closes its connection (before the database itself closes).
    func stop() {
        timer.cancel()
        connection.withLock { db in
            sqlite3_close(db)
            db = nil
        }
    }
}

/// An SQLite result code from a call outside GRDB.
struct SQLiteError: Error, CustomStringConvertible {
    var code: Int32
    var message: String
    var description: String { "SQLite error \(code): \(message)" }
}
