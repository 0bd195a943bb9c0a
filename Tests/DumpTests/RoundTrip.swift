import Foundation
import Postgres
import Support
import TestHelpers
@testable import Dump

/// Loads a source database, reads it with SchemaReader inside a snapshot, rebuilds it from that
/// output (globals + pre-data, COPY of every table, large objects, post-data) and compares it
/// with a copy restored from stock `pg_dump`: schema dumps must be equal, table contents too.
struct RoundTrip {
    struct Outcome {
        var schemaDiff: String?     // unified diff when pg_dump --schema-only differs
        var dataMismatches: [String]
        var warnings: [String]
        var tables: Int
        var script: String
        var name: String
    }

    /// The session settings the engine writes before every script section.
    static let header = ScriptHeader.sessionSettings(encoding: SchemaDump.scriptEncoding)

    /// A throwaway database in `encoding` (TestDatabase makes UTF8 ones; this recreates it).
    static func database(_ prefix: String, encoding: String) throws -> TestDatabase {
        let db = try TestDatabase(prefix: prefix)
        guard encoding != "UTF8", let admin = TestEnv.pgConninfo else { return db }
        let conn = try Connection(conninfo: admin)
        defer { conn.close() }
        try conn.execute("DROP DATABASE \(db.name)")
        try conn.execute("CREATE DATABASE \(db.name) TEMPLATE template0 ENCODING '\(encoding)' LC_COLLATE 'C' LC_CTYPE 'C'")
        return db
    }

    /// `load` fills the source database (psql files, SQL).
    static func run(prefix: String, encoding: String = "UTF8", load: (TestDatabase) throws -> Void) throws -> Outcome {
        let a = try database(prefix, encoding: encoding)
        defer { dropSubscriptions(a); a.drop() }
        try load(a)
        let b = try database(prefix + "_b", encoding: encoding)
        defer { dropSubscriptions(b); b.drop() }
        let c = try database(prefix + "_c", encoding: encoding)
        defer { dropSubscriptions(c); c.drop() }
        let dir = try TestEnv.tempDirectory(prefix)
        defer { try? FileManager.default.removeItem(at: dir) }

        // Read A inside a snapshot, as the engine does.
        let conn = try a.connect()
        defer { conn.close() }
        try conn.execute("""
            SET extra_float_digits = 3; SET DateStyle = ISO; SET IntervalStyle = postgres;
            SET row_security = off; SET quote_all_identifiers = false; SET client_encoding = 'UTF8';
            BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
            """)
        let schema = try SchemaReader.read(conn, options: SchemaOptions())

        // B from our output.
        let pre = dir.appendingPathComponent("pre.sql")
        try (schema.globals + header + schema.preData).write(to: pre, atomically: true, encoding: .utf8)
        try b.psqlFile(pre.path)
        let target = try b.connect()
        defer { target.close() }
        // Everything in UTF-8 (statements with non-ASCII names, and COPY rows: the server converts).
        try target.execute("SET client_encoding = 'UTF8'")
        for table in schema.tables {
            let copyIn = String(table.copyInHeader.dropLast())   // drop the ';'
            try target.copyIn(copyIn) { writer in
                try conn.copyOut(table.copyOutSQL) { row in try writer.write(row) }
            }
        }
        var loSQL = ""
        if !schema.largeObjects.isEmpty {
            let sink = MemorySink()
            for oid in schema.largeObjects { try SchemaReader.writeLargeObject(conn, oid: oid, to: sink) }
            loSQL = String(decoding: sink.bytes, as: UTF8.self)
            let lo = dir.appendingPathComponent("lo.sql")
            try (header + loSQL).write(to: lo, atomically: true, encoding: .utf8)
            try b.psqlFile(lo.path)
        }
        let post = dir.appendingPathComponent("post.sql")
        try (header + schema.postData).write(to: post, atomically: true, encoding: .utf8)
        try b.psqlFile(post.path)

        // C from stock pg_dump.
        try Shell.bash("pg_dump -d '\(a.conninfo)' | psql -X -q -v ON_ERROR_STOP=1 -d '\(c.conninfo)' >/dev/null")

        let dumpB = try schemaOnly(b), dumpC = try schemaOnly(c)
        var diff: String?
        if dumpB != dumpC {
            let fb = dir.appendingPathComponent("drd.sql"), fc = dir.appendingPathComponent("pg_dump.sql")
            try dumpB.write(to: fb, atomically: true, encoding: .utf8)
            try dumpC.write(to: fc, atomically: true, encoding: .utf8)
            let out = try Shell.run(["diff", "-u", fc.path, fb.path], check: false).stdout
            diff = String(out.prefix(30000))
        }

        // Per-table content, order-independent.
        var mismatches: [String] = []
        let bc = try b.connect(), cc = try c.connect()
        defer { bc.close(); cc.close() }
        try bc.execute("SET client_encoding = 'UTF8'")
        try cc.execute("SET client_encoding = 'UTF8'")
        for table in schema.tables {
            let sql = "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM ONLY \(table.qualifiedName) t"
            let hb = try bc.scalar(sql), hc = try cc.scalar(sql), ha = try conn.scalar(sql)
            if hb != hc || hb != ha { mismatches.append("\(table.qualifiedName): source \(ha ?? "-") drd \(hb ?? "-") pg_dump \(hc ?? "-")") }
        }
        let loCheck = "SELECT count(*) || ':' || coalesce(md5(string_agg(pg_catalog.encode(pg_catalog.lo_get(oid), 'hex'), ',' ORDER BY oid)), '') FROM pg_catalog.pg_largeobject_metadata"
        if try bc.scalar(loCheck) != cc.scalar(loCheck) { mismatches.append("large objects differ") }
        try conn.execute("COMMIT")
        return Outcome(schemaDiff: diff, dataMismatches: mismatches, warnings: schema.warnings, tables: schema.tables.count,
                       script: schema.globals + schema.preData + loSQL + schema.postData, name: prefix)
    }

    /// A database with subscriptions cannot be dropped: drop them first (they have no slot).
    static func dropSubscriptions(_ db: TestDatabase) {
        guard let conn = try? db.connect() else { return }
        defer { conn.close() }
        let names = (try? conn.query("SELECT subname FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()").rows) ?? []
        for row in names {
            guard let name = row.first ?? nil else { continue }
            _ = try? conn.execute("DROP SUBSCRIPTION \(Connection.quoteIdentifier(name))")
        }
    }

    static func schemaOnly(_ db: TestDatabase) throws -> String {
        let out = try Shell.run(["pg_dump", "--schema-only", "-d", db.conninfo]).stdout
        return out.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    static func fixture(_ name: String) -> String {
        TestEnv.repoRoot.appendingPathComponent("Tests/DumpTests/Fixtures/\(name)").path
    }
}
