import Foundation
import Postgres
import Support
import Testing
import TestHelpers
@testable import Dump

/// Reading stays fast on a schema with many tables (one catalog query per table at most).
@Suite(.serialized, .enabled(if: TestEnv.hasPostgres))
struct SchemaScaleTests {
    @Test func fiveHundredTables() throws {
        let db = try TestDatabase(prefix: "drdschema_scale")
        defer { db.drop() }
        try db.psql("""
            DO $$ BEGIN
                FOR i IN 1..500 LOOP
                    EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY, a text NOT NULL DEFAULT ''x'', b int CHECK (b > 0), c timestamptz, d jsonb)', i);
                    EXECUTE format('CREATE INDEX t%s_a ON t%s (a)', i, i);
                    EXECUTE format('COMMENT ON TABLE t%s IS ''table %s''', i, i);
                END LOOP;
            END $$;
            """)
        let conn = try db.connect()
        defer { conn.close() }
        try conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        let start = Date()
        let dump = try SchemaReader.read(conn, options: SchemaOptions())
        let seconds = Date().timeIntervalSince(start)
        try conn.execute("COMMIT")
        print("schema read of 500 tables took \(String(format: "%.2f", seconds)) s")
        #expect(dump.tables.count == 500)
        #expect(seconds < 30)
    }
}
