import Foundation
import Testing
import TestHelpers
@testable import Dump

/// pg_dump --schema-only of a database rebuilt from SchemaReader's output equals that of one
/// restored from stock pg_dump, and every table's rows are equal.
@Suite(.serialized, .enabled(if: TestEnv.hasPostgres))
struct SchemaRoundTripTests {
    func check(_ outcome: RoundTrip.Outcome) {
        // DRD_SCHEMA_DEBUG=dir keeps the generated script for inspection.
        if let dir = ProcessInfo.processInfo.environment["DRD_SCHEMA_DEBUG"] {
            try? outcome.script.write(toFile: "\(dir)/drd-\(outcome.name).sql", atomically: true, encoding: .utf8)
            try? outcome.warnings.joined(separator: "\n").write(toFile: "\(dir)/drd-\(outcome.name).warnings", atomically: true, encoding: .utf8)
        }
        #expect(outcome.schemaDiff == nil, "schema differs (- pg_dump, + drd):\n\(outcome.schemaDiff ?? "")")
        #expect(outcome.dataMismatches.isEmpty, "\(outcome.dataMismatches.joined(separator: "\n"))")
    }

    @Test func pagila() throws {
        let dir = TestEnv.sharedDir.appendingPathComponent("corpus/pagila")
        let outcome = try RoundTrip.run(prefix: "drdschema_pagila") { db in
            try db.psqlFile(dir.appendingPathComponent("pagila-schema.sql").path)
            try db.psqlFile(dir.appendingPathComponent("pagila-data.sql").path)
        }
        #expect(outcome.tables > 15)
        check(outcome)
    }

    @Test func everyObjectKind() throws {
        let outcome = try RoundTrip.run(prefix: "drdschema_every") { db in
            try db.psqlFile(RoundTrip.fixture("every_object_kind.sql"))
        }
        #expect(outcome.tables == 21)
        check(outcome)
    }

    @Test func hostileIdentifiersAndValues() throws {
        let outcome = try RoundTrip.run(prefix: "drdschema_hostile") { db in
            try db.psqlFile(RoundTrip.fixture("hostile.sql"))
        }
        #expect(outcome.tables == 9)
        check(outcome)
    }

    /// A LATIN1 database: schema text is read and written as UTF-8, data stays in LATIN1.
    @Test func latin1Database() throws {
        let outcome = try RoundTrip.run(prefix: "drdschema_latin1", encoding: "LATIN1") { db in
            let sql = """
                CREATE SCHEMA "Überall";
                CREATE TABLE "Überall"."café" ("naïve" text DEFAULT 'é', "größe" integer CHECK ("größe" > 0));
                COMMENT ON TABLE "Überall"."café" IS 'Grüße aus Köln';
                CREATE FUNCTION "Überall".señal() RETURNS text LANGUAGE sql AS $$ SELECT 'ñandú ¿qué?' $$;
                CREATE VIEW "Überall"."vüe" AS SELECT "naïve" AS "ñ" FROM "Überall"."café";
                INSERT INTO "Überall"."café" VALUES ('àéîõü ÿ', 1), (E'tab\\tñ', 2), (NULL, 3);
                """
            // The statement text is UTF-8: tell psql so (a SET inside -c would come too late).
            try Shell.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.conninfo, "-c", sql],
                          environment: ["PGCLIENTENCODING": "UTF8"])
        }
        #expect(outcome.tables == 1)
        #expect(outcome.script.contains("COMMENT ON TABLE \"Überall\".\"café\" IS 'Grüße aus Köln';"))
        check(outcome)
    }

    /// Subscriptions come back disconnected (connect = false), as from pg_dump.
    @Test func subscriptions() throws {
        let outcome = try RoundTrip.run(prefix: "drdschema_sub") { db in
            try db.psql("""
                CREATE TABLE t (id int PRIMARY KEY);
                CREATE PUBLICATION drd_fx_sub_pub FOR TABLE t;
                CREATE SUBSCRIPTION drd_fx_sub CONNECTION 'host=127.0.0.1 port=1 dbname=nowhere connect_timeout=1'
                    PUBLICATION drd_fx_sub_pub WITH (connect = false, slot_name = NONE, enabled = false, binary = true);
                COMMENT ON SUBSCRIPTION drd_fx_sub IS 'never connects';
                """)
        }
        #expect(outcome.script.contains("CREATE SUBSCRIPTION drd_fx_sub CONNECTION"))
        check(outcome)
    }
}
