import Foundation
import Testing
import Postgres
import Support
import TestHelpers
@testable import Restore

/// Cluster-level statements are refused before they run when `\connect` is not allowed.
@Suite struct ScriptGuardTests {
    @Test func recognisesClusterCommandsPastCommentsAndCase() {
        #expect(ScriptGuard.clusterCommand("DROP DATABASE x;") == "DROP DATABASE")
        #expect(ScriptGuard.clusterCommand("drop   database if exists x;") == "DROP DATABASE")
        #expect(ScriptGuard.clusterCommand("DROP /* hidden */ DATABASE x;") == "DROP DATABASE")
        #expect(ScriptGuard.clusterCommand("DROP -- note\n\tDATABASE x;") == "DROP DATABASE")
        #expect(ScriptGuard.clusterCommand("/* a /* nested */ one */ Create Database x;") == "CREATE DATABASE")
        #expect(ScriptGuard.clusterCommand("ALTER DATABASE x OWNER TO y;") == "ALTER DATABASE")
        #expect(ScriptGuard.clusterCommand("ALTER DATABASE x SET work_mem = '1MB';") == "ALTER DATABASE")
        #expect(ScriptGuard.clusterCommand("ALTER SYSTEM SET fsync = off;") == "ALTER SYSTEM")
        #expect(ScriptGuard.clusterCommand("DROP ROLE alice;") == "DROP ROLE")
        #expect(ScriptGuard.clusterCommand("DROP USER alice;") == "DROP USER")
        #expect(ScriptGuard.clusterCommand("DROP TABLESPACE ts;") == "DROP TABLESPACE")
        // Ordinary statements, including ones that merely mention the words.
        #expect(ScriptGuard.clusterCommand("DROP TABLE database;") == nil)
        #expect(ScriptGuard.clusterCommand("CREATE TABLE t (x int);") == nil)
        #expect(ScriptGuard.clusterCommand("ALTER TABLE t OWNER TO y;") == nil)
        #expect(ScriptGuard.clusterCommand("SELECT 'DROP DATABASE x';") == nil)
        #expect(ScriptGuard.clusterCommand("COMMENT ON DATABASE x IS 'y';") == nil)
        #expect(ScriptGuard.clusterCommand("DROP_DATABASE();") == nil)
        #expect(ScriptGuard.clusterCommand(";") == nil)
    }

    @Test(.enabled(if: TestEnv.hasPostgres))
    func refusedStatementRunsNothingAndNamesItsLine() throws {
        let db = try TestDatabase(prefix: "rst_guard")
        defer { db.drop() }
        let script = "CREATE TABLE before_it (x int);\n-- cluster level\nALTER SYSTEM SET work_mem = '1MB';\nCREATE TABLE after_it (x int);\n"
        let error = #expect(throws: DRDError.self) { try execute(script, on: db, options: ScriptOptions(name: "s.sql")) }
        #expect(error?.code == .usage)
        #expect(error?.message == "s.sql line 3: refusing ALTER SYSTEM in a script loaded into an existing database")
        #expect(error?.hint?.contains("pg_dump --create/--clean") == true)
        #expect(try db.psql("SELECT 'n=' || count(*) FROM pg_class WHERE relname IN ('before_it', 'after_it')")
            .contains("n=1"))
        // With \connect allowed (a maintenance-database restore) the statement runs.
        #expect(try execute("ALTER DATABASE \(db.name) SET work_mem = '2MB';", on: db,
                            options: ScriptOptions(allowConnect: true)).statements == 1)
    }

    /// The data-loss case: `pg_dump -C -c` output loaded into another database must not drop the
    /// live database the script names.
    @Test(.enabled(if: TestEnv.hasPostgres))
    func createCleanDumpDoesNotDropTheLiveDatabase() throws {
        let victim = try TestDatabase(prefix: "rst_victim")
        let target = try TestDatabase(prefix: "rst_other")
        defer { victim.drop(); target.drop() }
        try victim.psql(fixtureSQL)
        let dir = try TestEnv.tempDirectory("restore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("create-clean.sql").path
        try Shell.run(["pg_dump", "--no-sync", "-C", "-c", "-f", file, "-d", victim.conninfo])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let dropLine = try #require(text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("DROP DATABASE") }) + 1
        let before = try stockDump(victim)

        for options in [ScriptOptions(name: "create-clean.sql"), ScriptOptions(singleTransaction: true, name: "create-clean.sql")] {
            let error = #expect(throws: DRDError.self) { try executeFile(file, on: target, options: options) }
            #expect(error?.code == .usage)
            #expect(error?.message == "create-clean.sql line \(dropLine): refusing DROP DATABASE in a script loaded into an existing database")
            #expect(error?.hint == "this looks like pg_dump --create/--clean output; restore it with psql by hand, or dump without -C/-c")
        }
        // The database named in the script is still there, with all its data.
        #expect(try target.psql("SELECT 'n=' || count(*) FROM pg_database WHERE datname = '\(victim.name)'").contains("n=1"))
        #expect(try stockDump(victim) == before)
        #expect(try victim.psql("SELECT 'n=' || count(*) FROM items").contains("n=5"))
        // Nothing from the script landed in the target either.
        #expect(try target.psql("SELECT 'n=' || count(*) FROM pg_class WHERE relname = 'items'").contains("n=0"))
    }
}
