import Foundation
import Postgres
import Support
import Testing
import TestHelpers
@testable import Dump

/// The globals part: referenced roles, created only when missing, no passwords unless asked.
@Suite(.serialized, .enabled(if: TestEnv.hasPostgres))
struct GlobalsTests {
    func read(_ db: TestDatabase, passwords: Bool) throws -> SchemaDump {
        let conn = try db.connect()
        defer { conn.close() }
        try conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        defer { _ = try? conn.execute("COMMIT") }
        var options = SchemaOptions()
        options.includePasswords = passwords
        return try SchemaReader.read(conn, options: options)
    }

    @Test func rolesWithoutPasswordsByDefault() throws {
        let db = try TestDatabase(prefix: "drdschema_globals")
        defer { db.drop() }
        try db.psql("""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drd_fx_pw') THEN
                    CREATE ROLE drd_fx_pw LOGIN PASSWORD 'drd-fixture-password' CONNECTION LIMIT 3;
                END IF;
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drd_fx_group') THEN CREATE ROLE drd_fx_group NOLOGIN; END IF;
            END $$;
            GRANT drd_fx_group TO drd_fx_pw;
            CREATE TABLE owned (id int);
            ALTER TABLE owned OWNER TO drd_fx_pw;
            """)
        let plain = try read(db, passwords: false)
        #expect(plain.globals.contains("CREATE ROLE drd_fx_pw WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN"))
        #expect(plain.globals.contains("CONNECTION LIMIT 3"))
        #expect(plain.globals.contains("GRANT drd_fx_group TO drd_fx_pw;"))
        #expect(!plain.globals.contains("PASSWORD"))
        #expect(!plain.globals.contains("SCRAM"))
        #expect(plain.preData.contains("ALTER TABLE public.owned OWNER TO drd_fx_pw;"))

        let secret = try read(db, passwords: true)
        #expect(secret.globals.contains("PASSWORD 'SCRAM-SHA-256$") || secret.globals.contains("PASSWORD 'md5"))

        // Idempotent: running the globals twice on the same cluster succeeds.
        try db.psql(plain.globals)
        try db.psql(plain.globals)
    }

    @Test func warningsNameSkippedObjects() throws {
        let db = try TestDatabase(prefix: "drdschema_warn")
        defer { db.drop() }
        try db.psql("""
            CREATE LANGUAGE drd_fx_lang HANDLER plpgsql_call_handler;
            CREATE ACCESS METHOD drd_fx_am TYPE INDEX HANDLER bthandler;
            """)
        let dump = try read(db, passwords: false)
        #expect(dump.warnings.contains { $0.contains("procedural language drd_fx_lang") })
        #expect(dump.warnings.contains { $0.contains("access method drd_fx_am") })
    }
}

/// A backup role that is not a superuser (member of pg_read_all_data) reads the same schema.
@Suite(.serialized, .enabled(if: TestEnv.hasPostgres))
struct NonSuperuserReadTests {
    @Test func readAllDataRoleSeesTheSameSchema() throws {
        let db = try TestDatabase(prefix: "drdschema_backuprole")
        defer { db.drop() }
        try db.psqlFile(TestEnv.sharedDir.appendingPathComponent("corpus/pagila/pagila-schema.sql").path)
        try db.psql("""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drd_fx_backup') THEN CREATE ROLE drd_fx_backup LOGIN; END IF;
            END $$;
            GRANT pg_read_all_data TO drd_fx_backup;
            """)
        func read(_ conninfo: String) throws -> SchemaDump {
            let conn = try Connection(conninfo: conninfo)
            defer { conn.close() }
            try conn.execute("SET row_security = off; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            defer { _ = try? conn.execute("COMMIT") }
            return try SchemaReader.read(conn, options: SchemaOptions())
        }
        let asSuperuser = try read(db.conninfo)
        let asBackup = try read(db.conninfo + " user=drd_fx_backup")
        #expect(asBackup.preData == asSuperuser.preData)
        #expect(asBackup.postData == asSuperuser.postData)
        #expect(asBackup.tables.map(\.copyOutSQL) == asSuperuser.tables.map(\.copyOutSQL))
    }
}
