import Foundation
import Postgres
import Support

/// One consistent view of the database for the whole dump.
///
/// The leader opens a `REPEATABLE READ, READ ONLY` transaction, exports its snapshot, and takes
/// `ACCESS SHARE` locks on every table it will dump (so no concurrent DDL can change them while
/// their definitions and rows are read). Workers import the same snapshot, so every table is read
/// as of the same instant whatever `--jobs` is.
struct DumpSnapshot {
    let leader: Connection
    /// `pg_export_snapshot()` id, shared with worker connections.
    let snapshotID: String
    /// Transaction start on the server: the moment the data is consistent as of.
    let snapshotTime: Date
    let encoding: String

    /// Session settings for every dump connection: predictable text output for every type.
    static let sessionSQL = """
        SET statement_timeout = 0;
        SET idle_in_transaction_session_timeout = 0;
        SET extra_float_digits = 3;
        SET DateStyle = ISO;
        SET IntervalStyle = postgres;
        SET row_security = off;
        SET quote_all_identifiers = false;
        """

    static func open(conninfo: String, lockTimeout: TimeInterval) throws -> DumpSnapshot {
        let leader = try Connection(conninfo: conninfo, applicationName: "drd dump")
        do {
            guard leader.serverVersionNum >= 100000 else {
                throw DRDError(.connection, "server \(leader.displayName) runs PostgreSQL \(leader.serverVersion); drd supports 10 and later (tested on 15)")
            }
            try leader.execute(sessionSQL)
            // The artifact is UTF-8 throughout, whatever the database encoding (like pg_dump -E UTF8):
            // the server converts names and rows, and a restore converts back to the target's encoding.
            let encoding = SchemaDump.scriptEncoding
            try leader.execute("SET client_encoding = \(Connection.quoteLiteral(encoding))")
            try leader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let row = try leader.query("SELECT pg_catalog.pg_export_snapshot() AS id, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at")
            guard row.count == 1, let id = row[0, "id"], let at = row[0, "at"], let time = Timestamp.parse(at) else {
                throw DRDError(.internal, "unable to export a snapshot on \(leader.displayName)")
            }
            let ms = Int(lockTimeout * 1000)
            try leader.execute("SET lock_timeout = \(max(ms, 1))")
            return DumpSnapshot(leader: leader, snapshotID: id, snapshotTime: time, encoding: encoding)
        } catch {
            leader.close()
            throw error
        }
    }

    /// Takes ACCESS SHARE locks on every user table, one statement per table so a timeout names it.
    func lockTables(token: CancellationToken?) throws -> Int {
        let tables = try leader.query("""
            SELECT n.nspname, c.relname
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
              AND c.relpersistence <> 't'
            ORDER BY c.oid
            """).records
        for table in tables {
            try token?.check()
            let name = "\(Connection.quoteIdentifier(table.string("nspname"))).\(Connection.quoteIdentifier(table.string("relname")))"
            do {
                try leader.execute("LOCK TABLE \(name) IN ACCESS SHARE MODE")
            } catch let error as DRDError where error.code == .lockTimeout {
                throw DRDError(.lockTimeout, "unable to lock table \(name) within the lock timeout: another session holds a conflicting lock",
                               hint: "look for the blocker in pg_stat_activity/pg_locks, or raise the lock timeout")
            } catch let error as DRDError where error.code == .permission {
                throw DRDError(.permission, "unable to lock table \(name): permission denied",
                               hint: "the dump role needs SELECT on every table (or membership in pg_read_all_data)")
            }
        }
        return tables.count
    }

    /// Opens a worker connection on the same snapshot.
    func worker(conninfo: String, index: Int) throws -> Connection {
        let conn = try Connection(conninfo: conninfo, applicationName: "drd dump worker \(index)")
        do {
            try conn.execute(Self.sessionSQL)
            try conn.execute("SET client_encoding = \(Connection.quoteLiteral(encoding))")
            try conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try conn.execute("SET TRANSACTION SNAPSHOT \(Connection.quoteLiteral(snapshotID))")
            return conn
        } catch {
            conn.close()
            throw error
        }
    }

    func finish() {
        _ = try? leader.execute("COMMIT")
        leader.close()
    }
}
