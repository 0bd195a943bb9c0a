import Foundation
import Testing
import Archive
import Postgres
import Support
import TestHelpers
@testable import Restore

/// Stock `pg_dump` output of `db` with the per-run `\restrict` / `\unrestrict` keys removed.
func stockDump(_ db: TestDatabase, _ options: [String] = []) throws -> String {
    let out = try Shell.run(["pg_dump", "--no-sync"] + options + ["-d", db.conninfo]).stdout
    return out.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
        .joined(separator: "\n")
}

/// Runs SQL text through a ScriptExecutor on `db`.
@discardableResult
func execute(_ sql: String, on db: TestDatabase, options: ScriptOptions = ScriptOptions()) throws -> ScriptResult {
    let conn = try db.connect()
    defer { conn.close() }
    return try ScriptExecutor(connection: conn, conninfo: db.conninfo, options: options)
        .run(MemorySource(Array(sql.utf8)))
}

/// Runs a file (plain or gzip'd) through a ScriptExecutor on `db`, as `drctl load FILE` would.
@discardableResult
func executeFile(_ path: String, on db: TestDatabase, options: ScriptOptions = ScriptOptions()) throws -> ScriptResult {
    let conn = try db.connect()
    defer { conn.close() }
    let source = GzipReader(try FileSource(path: path), name: path, allowPlain: true)
    return try ScriptExecutor(connection: conn, conninfo: db.conninfo, options: options).run(source)
}

/// A fixture with the things that trip up script splitting: $$ bodies, BEGIN ATOMIC, multi-action
/// rules, hostile identifiers, and data with tabs, newlines, backslashes and `\.`-like values.
let fixtureSQL = #"""
CREATE SCHEMA "Weird;Schema";
CREATE TYPE mood AS ENUM ('sad', 'ok', 'it''s; fine');
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, note text, mood mood, data bytea,
                    tags text[], doc jsonb, amount numeric, at timestamptz DEFAULT '2020-01-01');
CREATE TABLE "Weird;Schema"."Odd ""Table""" ("k;" int, "$$v" text);
CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    -- a comment; with a semicolon and a 'quote
    RETURN i + 1; /* nested /* comment; */ */
END; $$;
CREATE FUNCTION tagged() RETURNS text LANGUAGE sql AS $fn$ SELECT 'a;$$;b'::text $fn$;
CREATE FUNCTION atomic_f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT x + 1; SELECT CASE WHEN x > 0 THEN x END; END;
CREATE VIEW v AS SELECT id, name FROM items WHERE note IS NOT NULL;
CREATE RULE r AS ON INSERT TO v DO INSTEAD (INSERT INTO items(name, note) VALUES (NEW.name, 'x;'); INSERT INTO items(name) VALUES ('dup'));
CREATE INDEX items_lower ON items (lower(name)) WHERE note <> ';';
COMMENT ON TABLE items IS 'it''s; a "table" \ with a backslash';
INSERT INTO items (name, note, mood, data, tags, doc, amount) VALUES
 ('tab', E'a\tb', 'ok', '\x00ff', '{a,"b c"}', '{"k": "v;"}', 'NaN'),
 ('newline', E'line1\nline2\r\n', 'sad', NULL, NULL, NULL, 1.5),
 ('backslash', E'C:\\path\\N', 'it''s; fine', '\x5c', '{"\\\\"}', '[]', '-0'),
 ('\N', '\.', NULL, '', '{}', 'null', 0),
 ('semi;colon', E'\\.\n\\.\n', NULL, NULL, '{NULL}', '"\\u0000"', NULL);
INSERT INTO "Weird;Schema"."Odd ""Table""" SELECT g, repeat(E'x\t;', g % 50) FROM generate_series(1, 5000) g;
SELECT lo_from_bytea(0, convert_to('large object; \ backslash', 'UTF8'));
"""#

@Suite("script executor against PostgreSQL", .enabled(if: TestEnv.hasPostgres))
struct ScriptExecutorTests {
    @Test func stockPlainDumpRestoresIdentically() throws {
        let source = try TestDatabase(prefix: "rst_src")
        let target = try TestDatabase(prefix: "rst_dst")
        defer { source.drop(); target.drop() }
        try source.psql(fixtureSQL)
        let dir = try TestEnv.tempDirectory("restore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain.sql").path
        try Shell.run(["pg_dump", "--no-sync", "-f", file, "-d", source.conninfo])

        let result = try executeFile(file, on: target)
        #expect(result.rowsCopied["public.items"] == 5)
        #expect(result.rowsCopied["\"Weird;Schema\".\"Odd \"\"Table\"\"\""] == 5000)
        #expect(result.skipped.isEmpty)
        #expect(try stockDump(target, ["--schema-only"]) == stockDump(source, ["--schema-only"]))
        #expect(try stockDump(target) == stockDump(source))
        #expect(try target.psql("SELECT atomic_f(1) + add_one(1) || tagged()").contains("3a;$$;b"))
    }

    @Test func gzippedStockDumpRestoresIdentically() throws {
        let source = try TestDatabase(prefix: "rst_src")
        let target = try TestDatabase(prefix: "rst_dst")
        defer { source.drop(); target.drop() }
        try source.psql(fixtureSQL)
        let dir = try TestEnv.tempDirectory("restore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("dump.sql.gz").path
        try Shell.bash("pg_dump --no-sync -d '\(source.conninfo)' | gzip > '\(file)'")

        let result = try executeFile(file, on: target, options: ScriptOptions(singleTransaction: true))
        #expect(result.totalRows == 5005)
        #expect(try stockDump(target) == stockDump(source))
    }

    @Test func pagilaCorpusRoundTrip() throws {
        let corpus = TestEnv.sharedDir.appendingPathComponent("corpus/pagila")
        let schema = corpus.appendingPathComponent("pagila-schema.sql").path
        let data = corpus.appendingPathComponent("pagila-data.sql").path
        guard FileManager.default.fileExists(atPath: schema) else { return }
        let source = try TestDatabase(prefix: "rst_pagila_src")
        let target = try TestDatabase(prefix: "rst_pagila_dst")
        defer { source.drop(); target.drop() }
        try source.psqlFile(schema)
        try source.psqlFile(data)
        let dir = try TestEnv.tempDirectory("restore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("pagila.sql.gz").path
        try Shell.bash("pg_dump --no-sync -d '\(source.conninfo)' | gzip > '\(file)'")

        let started = Date()
        let result = try executeFile(file, on: target)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.totalRows > 40_000)
        #expect(try stockDump(target, ["--schema-only"]) == stockDump(source, ["--schema-only"]))
        #expect(try stockDump(target) == stockDump(source))
        print("pagila: \(result.statements) statements, \(result.totalRows) rows, \(result.bytesRead) bytes in \(String(format: "%.2f", seconds))s")
    }

    @Test func createDumpFollowsConnectWhenAllowed() throws {
        let source = try TestDatabase(prefix: "rst_create")
        let maintenance = try TestDatabase(prefix: "rst_maint")
        defer { source.drop(); maintenance.drop() }
        try source.psql(fixtureSQL)
        let dir = try TestEnv.tempDirectory("restore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("create.sql").path
        try Shell.run(["pg_dump", "--no-sync", "--create", "-f", file, "-d", source.conninfo])
        let before = try stockDump(source)
        try maintenance.psql("DROP DATABASE \(source.name) WITH (FORCE)")
        // Not allowed: refused at CREATE DATABASE, before it runs (the \connect is never reached).
        let refused = #expect(throws: DRDError.self) { try executeFile(file, on: maintenance) }
        #expect(refused?.message.contains("refusing CREATE DATABASE") == true)
        #expect(refused?.code == .usage)
        #expect(try maintenance.psql("SELECT 'n=' || count(*) FROM pg_database WHERE datname = '\(source.name)'")
            .contains("n=0"))

        // Allowed: the script recreates the database and fills it, run from another database.
        let result = try executeFile(file, on: maintenance, options: ScriptOptions(allowConnect: true))
        #expect(result.database == source.name)
        #expect(try stockDump(source) == before)
    }

    @Test func failingStatementReportsItsLine() throws {
        let db = try TestDatabase(prefix: "rst_err")
        defer { db.drop() }
        let script = "SELECT 1;\n\nCREATE TABLE a (x int);\n-- next one fails\nSELECT *\n  FROM missing_table;\nCREATE TABLE b (x int);\n"
        let error = #expect(throws: DRDError.self) { try execute(script, on: db, options: ScriptOptions(name: "dump.sql")) }
        #expect(error?.message.hasPrefix("dump.sql line 5: SELECT * FROM missing_table;: ") == true)
        #expect(error?.message.contains("42P01") == true)
        #expect(error?.code == .notFound)
        // Stopped at the first error: b was never created; a was (no single transaction).
        #expect(try db.psql("SELECT count(*) FROM pg_class WHERE relname IN ('a', 'b')").contains("1"))
    }

    @Test func badCopyDataReportsTheCopyLine() throws {
        let db = try TestDatabase(prefix: "rst_err")
        defer { db.drop() }
        let script = "CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n1\nnot a number\n\\.\n"
        let error = #expect(throws: DRDError.self) { try execute(script, on: db) }
        #expect(error?.message.hasPrefix("script line 2: COPY t (a) FROM stdin;") == true)
        #expect(error?.message.contains("22P02") == true)
    }

    @Test func truncatedCopyBlockFailsAndLoadsNothing() throws {
        let db = try TestDatabase(prefix: "rst_err")
        defer { db.drop() }
        let error = #expect(throws: DRDError.self) {
            try execute("CREATE TABLE t (a int);\nCOPY public.t FROM stdin;\n1\n2\n3", on: db)
        }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("public.t") == true)
        #expect(try db.psql("SELECT count(*) FROM t").contains(" 0"))
    }

    @Test func unknownMetaCommandIsAnError() throws {
        let db = try TestDatabase(prefix: "rst_err")
        defer { db.drop() }
        let error = #expect(throws: DRDError.self) {
            try execute("\\restrict k\n\\set ON_ERROR_STOP on\nSELECT 1;\n\\gexec\n", on: db)
        }
        #expect(error?.message.contains("line 4") == true)
        #expect(error?.message.contains("\\gexec") == true)
    }

    @Test func connectFollowsOnlyWhenAllowed() throws {
        let db = try TestDatabase(prefix: "rst_conn")
        let other = try TestDatabase(prefix: "rst_conn")
        defer { db.drop(); other.drop() }
        let script = "CREATE TABLE here (x int);\n\\connect \(other.name)\nCREATE TABLE there (x int);\n"
        let refused = #expect(throws: DRDError.self) { try execute(script, on: db) }
        #expect(refused?.message.contains("line 2") == true)
        #expect(refused?.message.contains(other.name) == true)

        let result = try execute(script.replacingOccurrences(of: "here", with: "here2"), on: db,
                                 options: ScriptOptions(allowConnect: true))
        #expect(result.database == other.name)
        #expect(try other.psql("SELECT count(*) FROM pg_class WHERE relname = 'there'").contains("1"))
        // The reuse-previous form pg_dump writes for unusual names.
        let quoted = "\\connect -reuse-previous=on \"dbname='\(db.name)'\"\nSELECT 1;\n"
        #expect(try execute(quoted, on: other, options: ScriptOptions(allowConnect: true)).database == db.name)
    }

    @Test func missingRolesAreSkippedWhenAsked() throws {
        let db = try TestDatabase(prefix: "rst_roles")
        defer { db.drop() }
        let script = """
        CREATE TABLE t (x int);
        ALTER TABLE t OWNER TO drd_ghost_owner;
        GRANT SELECT ON t TO drd_ghost_reader;
        INSERT INTO t VALUES (1);

        """
        let strict = #expect(throws: DRDError.self) { try execute(script, on: db) }
        #expect(strict?.message.contains("line 2") == true)
        try db.psql("DROP TABLE t")

        for single in [false, true] {
            let result = try execute(script, on: db, options: ScriptOptions(singleTransaction: single, skipMissingRoles: true))
            #expect(result.missingRoles == ["drd_ghost_owner", "drd_ghost_reader"])
            #expect(result.skipped.map(\.line) == [2, 3])
            #expect(result.statements == 2)
            #expect(try db.psql("SELECT count(*) FROM t").contains("1"))
            try db.psql("DROP TABLE t")
        }
    }

    @Test func singleTransactionRollsBackOnError() throws {
        let db = try TestDatabase(prefix: "rst_tx")
        defer { db.drop() }
        let error = #expect(throws: DRDError.self) {
            try execute("CREATE TABLE t (x int);\nSELECT 1/0;\n", on: db, options: ScriptOptions(singleTransaction: true))
        }
        #expect(error?.message.contains("line 2") == true)
        #expect(try db.psql("SELECT count(*) FROM pg_class WHERE relname = 't'").contains("0"))
    }

    @Test func cancellationStopsALongStatement() throws {
        let db = try TestDatabase(prefix: "rst_cancel")
        defer { db.drop() }
        let token = CancellationToken()
        let started = Date()
        Thread.detachNewThread { Thread.sleep(forTimeInterval: 0.5); token.cancel("drd is shutting down") }
        let error = #expect(throws: DRDError.self) {
            try execute("SELECT 1;\nSELECT pg_sleep(30);\nSELECT 2;\n", on: db, options: ScriptOptions(token: token))
        }
        #expect(error?.code == .cancelled)
        #expect(error?.message == "script line 2: stopped: drd is shutting down")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func nonUTF8StatementsAreRefused() throws {
        let db = try TestDatabase(prefix: "rst_enc")
        defer { db.drop() }
        let conn = try db.connect()
        defer { conn.close() }
        let latin1: [UInt8] = Array("SET client_encoding = 'LATIN1';\nCOMMENT ON DATABASE \(db.name) IS 'caf".utf8) + [0xE9] + Array("';\n".utf8)
        let error = #expect(throws: DRDError.self) { try ScriptExecutor(connection: conn).run(MemorySource(latin1)) }
        #expect(error?.message == "script line 2: statement is not valid UTF-8")
    }

    @Test func cancellationAndProgress() throws {
        let db = try TestDatabase(prefix: "rst_cancel")
        defer { db.drop() }
        var script = "CREATE TABLE t (x int, y text);\nCOPY t FROM stdin;\n"
        for i in 0..<50_000 { script += "\(i)\trow \(i)\n" }
        script += "\\.\nSELECT 1;\n"

        let seen = Mutex<[ScriptProgress]>([])
        let result = try execute(script, on: db, options: ScriptOptions(progress: { p in seen.withLock { $0.append(p) } }))
        #expect(result.rowsCopied["t"] == 50_000)
        let reports = seen.withLock { $0 }
        #expect(reports.count > 2)
        #expect(reports.last?.rowsCopied == 50_000)
        #expect(reports.last?.bytesRead == Int64(script.utf8.count))

        try db.psql("DROP TABLE t")
        let token = CancellationToken()
        let cancelling = ScriptOptions(token: token, progress: { p in if p.rowsCopied > 0 { token.cancel("stop requested") } })
        let error = #expect(throws: DRDError.self) { try execute(script, on: db, options: cancelling) }
        #expect(error?.code == .cancelled)
        #expect(try db.psql("SELECT count(*) FROM t").contains(" 0"))
    }
}

import Synchronization
