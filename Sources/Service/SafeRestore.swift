import Archive
import Foundation
import Postgres
import Support

/// What `drctl restore BACKUP ENVIRONMENT` asks for.
public struct SafeRestoreRequest: Sendable {
    /// The environment's database (libpq conninfo or URI); its dbname is the database replaced.
    public var targetConninfo: String
    public var jobs = 2
    /// Only this table's data (`schema.table`).
    public var table: String?
    public var applyGlobals = false
    /// SQL that must return true on the restored database before it is swapped in.
    public var checks: [String] = []
    public init(targetConninfo: String) { self.targetConninfo = targetConninfo }
}

public struct SafeRestoreResult: Sendable {
    public var database: String
    public var load: LoadSummary
    public var checks: [(String, Bool, String)]
    public var replacedExisting: Bool
    public var seconds: Double
}

/// Restores into a new database beside the target, verifies it, then swaps it in: a failed or
/// cancelled restore leaves the target exactly as it was.
///
/// Swap: block new connections to the old database, end the ones it has, rename it away, rename
/// the new one into place, and only then drop the old one. If a rename fails, the old name is put
/// back and connections are allowed again.
public enum SafeRestore {
    public static func run(source: ObjectTarget, request: SafeRestoreRequest, token: CancellationToken,
                           log: Logger = Logger("restore"), progress: LoadProgressHandler? = nil) throws -> SafeRestoreResult {
        let started = Date()
        guard let target = Connection.parseConninfo(request.targetConninfo)?["dbname"], !target.isEmpty else {
            throw DRDError(.config, "the environment's database setting names no dbname",
                           hint: "set database = \"host=… dbname=NAME\" in [environment.NAME]")
        }
        let admin = try Connection(conninfo: request.targetConninfo, overrides: ["dbname": "postgres"],
                                   applicationName: "drd restore")
        defer { admin.close() }
        let suffix = Hex.encode(Digest.randomBytes(3))
        let scratch = scratchName(target, tag: "restore_\(suffix)")
        let existing = try admin.query("""
            SELECT pg_catalog.pg_get_userbyid(datdba) AS owner, pg_catalog.pg_encoding_to_char(encoding) AS enc,
                   datcollate, datctype FROM pg_catalog.pg_database WHERE datname = $1
            """, [target]).records.first

        var createSQL = "CREATE DATABASE \(Connection.quoteIdentifier(scratch)) TEMPLATE template0"
        if let existing {
            createSQL += " ENCODING \(Connection.quoteLiteral(existing.string("enc")))"
            createSQL += " LC_COLLATE \(Connection.quoteLiteral(existing.string("datcollate")))"
            createSQL += " LC_CTYPE \(Connection.quoteLiteral(existing.string("datctype")))"
        }
        try admin.execute(createSQL)
        log.info("restoring into scratch database", [("database", scratch), ("target", target)])
        var swapped = false
        defer {
            if !swapped { ScratchDatabase.drop(scratch, admin: admin, conninfo: request.targetConninfo, log: log) }
        }

        var load = LoadRequest(conninfo: request.targetConninfo)
        load.jobs = request.jobs
        load.table = request.table
        load.applyGlobals = request.applyGlobals
        load.skipMissingRoles = true
        let scratchConninfo = try Conninfo.replacingDatabase(request.targetConninfo, with: scratch)
        load.conninfo = scratchConninfo
        let loaded = try LoadService.load(from: source, request: load, token: token, progress: progress)
        try token.check()

        if let table = request.table {
            // One table: its rows replace the target table's in one transaction; the rest of the
            // target database is not touched (the policy's checks may need other tables: not run).
            guard existing != nil else {
                throw DRDError(.notFound, "database \(target) does not exist: --table restores one table into an existing database")
            }
            let rows = try replaceTable(table, from: scratchConninfo, into: request.targetConninfo, token: token)
            log.info("table restored", [("table", table), ("database", target), ("rows", "\(rows)")])
            return SafeRestoreResult(database: target, load: loaded, checks: [], replacedExisting: true,
                                     seconds: Date().timeIntervalSince(started))
        }
        let checks = try runChecks(request.checks, conninfo: scratchConninfo)
        if let failed = checks.first(where: { !$0.1 }) {
            throw DRDError(.query, "restore verification failed: check '\(failed.0)' \(failed.2); \(target) was left untouched")
        }
        if let owner = existing?.string("owner") {
            try admin.execute("ALTER DATABASE \(Connection.quoteIdentifier(scratch)) OWNER TO \(Connection.quoteIdentifier(owner))")
            try DatabaseSettings.copy(from: target, to: scratch, admin: admin)
        }
        try token.check()
        try swap(admin: admin, conninfo: request.targetConninfo, target: target, scratch: scratch, suffix: suffix,
                 exists: existing != nil, log: log)
        swapped = true
        return SafeRestoreResult(database: target, load: loaded, checks: checks, replacedExisting: existing != nil,
                                 seconds: Date().timeIntervalSince(started))
    }

    /// Replaces the rows of `table` (`schema.table`) in the target with those restored into the scratch
    /// database: `DELETE` + `COPY` streamed between the two connections, in one transaction, so a
    /// failure (a foreign key, a changed column list) leaves the target table as it was.
    static func replaceTable(_ table: String, from scratchConninfo: String, into targetConninfo: String,
                             token: CancellationToken) throws -> Int64 {
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        let (schema, name) = parts.count == 2 ? (parts[0], parts[1]) : ("public", table)
        let qualified = "\(Connection.quoteIdentifier(schema)).\(Connection.quoteIdentifier(name))"
        let source = try Connection(conninfo: scratchConninfo, applicationName: "drd restore")
        defer { source.close() }
        let target = try Connection(conninfo: targetConninfo, applicationName: "drd restore")
        defer { target.close() }
        for conn in [source, target] { try conn.execute("SET client_encoding = 'UTF8'") }
        // Refuse what DELETE + COPY cannot replace faithfully: rows of child tables (inheritance,
        // partitions) and foreign keys that would cascade into other tables.
        let shape = try target.query("""
            SELECT c.relkind::text AS kind,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid) AS has_children,
                   (SELECT pg_catalog.string_agg(con.conrelid::pg_catalog.regclass::text, ', ')
                      FROM pg_catalog.pg_constraint con
                     WHERE con.confrelid = c.oid AND con.contype = 'f' AND con.confdeltype IN ('c', 'n', 'd')) AS cascades
            FROM pg_catalog.pg_class c WHERE c.oid = $1::pg_catalog.regclass
            """, [qualified]).records.first
        if let shape {
            if shape.string("kind") == "p" || shape.bool("has_children") {
                throw DRDError(.usage, "--table \(table): the table has partitions or child tables; a one-table restore would not replace their rows",
                               hint: "restore the whole backup, or one partition at a time")
            }
            if let cascades = shape["cascades"] {
                throw DRDError(.usage, "--table \(table): foreign keys ON DELETE CASCADE/SET NULL/SET DEFAULT in \(cascades) would change those tables",
                               hint: "restore the whole backup instead")
            }
        }
        let columns = try source.scalar("""
            SELECT pg_catalog.string_agg(pg_catalog.quote_ident(attname), ', ' ORDER BY attnum)
            FROM pg_catalog.pg_attribute WHERE attrelid = $1::pg_catalog.regclass AND attnum > 0
              AND NOT attisdropped AND attgenerated = ''
            """, [qualified]) ?? ""
        try target.execute("BEGIN")
        do {
            try target.execute("LOCK TABLE \(qualified) IN ACCESS EXCLUSIVE MODE")
            try target.execute("DELETE FROM ONLY \(qualified)")
            let rows = try target.copyIn("COPY \(qualified) (\(columns)) FROM STDIN") { writer in
                try source.copyOut("COPY \(qualified) (\(columns)) TO STDOUT") { row in
                    try writer.write(row)
                }
                try token.check()
            }
            try target.execute("COMMIT")
            return rows
        } catch let error as DRDError {
            _ = try? target.execute("ROLLBACK")
            throw error.context("unable to replace table \(qualified) in \(target.databaseName) (left as it was)")
        }
    }

    /// Runs SQL checks that must return true; returns (sql, passed, detail) for each.
    static func runChecks(_ checks: [String], conninfo: String) throws -> [(String, Bool, String)] {
        guard !checks.isEmpty else { return [] }
        let conn = try Connection(conninfo: conninfo, applicationName: "drd verify")
        defer { conn.close() }
        return checks.map { sql in
            do {
                let value = try conn.scalar(sql)
                return (sql, value == "t", value == "t" ? "returned true" : "returned \(value ?? "NULL")")
            } catch {
                return (sql, false, "failed: \(error)")
            }
        }
    }

    static func swap(admin: Connection, conninfo: String, target: String, scratch: String, suffix: String, exists: Bool,
                     log: Logger) throws {
        let t = Connection.quoteIdentifier(target)
        guard exists else {
            try admin.execute("ALTER DATABASE \(Connection.quoteIdentifier(scratch)) RENAME TO \(t)")
            return
        }
        let old = scratchName(target, tag: "old_\(suffix)")
        let o = Connection.quoteIdentifier(old)
        try admin.execute("ALTER DATABASE \(t) ALLOW_CONNECTIONS false")
        var renamed = false
        do {
            // Sessions can race in between; a few rounds of terminate + rename settles it.
            for attempt in 1...5 {
                _ = try admin.query("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()", [target])
                do {
                    try admin.execute("ALTER DATABASE \(t) RENAME TO \(o)")
                    renamed = true
                    break
                } catch let error as DRDError where attempt < 5 && error.sqlState == "55006" {
                    Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
                }
            }
            try admin.execute("ALTER DATABASE \(Connection.quoteIdentifier(scratch)) RENAME TO \(t)")
        } catch {
            var restored = true
            if renamed {
                do { try admin.execute("ALTER DATABASE \(o) RENAME TO \(t)") } catch { restored = false }
            }
            guard restored else {
                throw DRDError(.query, "unable to swap the restored database into place: \(error); the previous database is now named \(old) and does not accept connections",
                               hint: "rename it back: ALTER DATABASE \(o) RENAME TO \(t); ALTER DATABASE \(t) ALLOW_CONNECTIONS true")
            }
            do {
                try admin.execute("ALTER DATABASE \(t) ALLOW_CONNECTIONS true")
            } catch {
                throw DRDError(.query, "the restored database could not be swapped in and \(target) still refuses connections: \(error)",
                               hint: "run ALTER DATABASE \(t) ALLOW_CONNECTIONS true")
            }
            throw DRDError(.query, "unable to swap the restored database into place: \(error); \(target) was left as it was")
        }
        ScratchDatabase.drop(old, admin: admin, conninfo: conninfo, log: log)
    }

    /// `<target>__drd_<tag>`, cut to PostgreSQL's 63-byte identifier limit.
    static func scratchName(_ target: String, tag: String) -> String {
        let tail = "__drd_\(tag)"
        var head = target
        while head.utf8.count + tail.utf8.count > 63 { head.removeLast() }
        return head + tail
    }
}
