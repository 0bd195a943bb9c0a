import Archive
import Dump
import Foundation
import Postgres
import Service
import Storage
import Support
import TestHelpers
import Testing

/// Fidelity: a database restored from drd's dump equals one restored from stock pg_dump's output
/// (`pg_dump --schema-only` text and every table's content), through `gunzip -c | psql` and through
/// `drctl load`, for `--jobs 1` and `--jobs 2`.
@Suite(.enabled(if: TestEnv.hasPostgres), .serialized)
struct RoundTripTests {
    /// Loads `setup` into a source database, dumps it with drd, restores it three ways, compares.
    func roundTrip(_ label: String, jobs: Int = 1, chunkBytes: Int = 8 << 20, setup: (TestDatabase) throws -> Void) throws {
        let source = try TestDatabase(prefix: "rt_src")
        let reference = try TestDatabase(prefix: "rt_ref")
        let viaPsql = try TestDatabase(prefix: "rt_psql")
        let viaLoad = try TestDatabase(prefix: "rt_load")
        defer { [source, reference, viaPsql, viaLoad].forEach { $0.drop() } }
        try setup(source)

        let dir = try TestEnv.tempDirectory("rt-\(label)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("\(label).sql.gz").path
        let target = try Targets.resolve(file, environment: [:])
        var options = DumpOptions()
        options.jobs = jobs
        options.chunkBytes = chunkBytes
        let manifest = try DumpEngine.run(conninfo: source.conninfo, store: target.store, objectKey: target.key, options: options)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(label).manifest.json").path))
        #expect(manifest.members.first?.offset == 0)

        // Reference: stock pg_dump piped into psql.
        try Shell.bash("pg_dump -d '\(source.conninfo)' | psql -X -q -v ON_ERROR_STOP=1 -d '\(reference.conninfo)' >/dev/null")
        // drd's artifact with stock tools.
        try Shell.bash("gunzip -c '\(file)' | psql -X -q -v ON_ERROR_STOP=1 -d '\(viaPsql.conninfo)' >/dev/null")
        // drd's artifact with drctl load's engine.
        var request = LoadRequest(conninfo: viaLoad.conninfo)
        request.jobs = 2
        _ = try LoadService.load(from: target, request: request, token: CancellationToken())

        let expected = try Compare.schema(reference.conninfo)
        for restored in [viaPsql, viaLoad] {
            let actual = try Compare.schema(restored.conninfo)
            if let diff = Compare.diff(expected, actual, labels: ("pg_dump-restore", "drd-restore")) {
                Issue.record("schema of \(restored.name) differs from the pg_dump reference (\(label)):\n\(diff)")
            }
            #expect(try Compare.contents(restored.conninfo) == Compare.contents(source.conninfo), "table contents differ in \(restored.name) (\(label))")
        }
    }

    static var pagila: URL { TestEnv.sharedDir.appendingPathComponent("corpus/pagila") }
    static var fixtures: URL { TestEnv.repoRoot.appendingPathComponent("Tests/DumpTests/Fixtures") }

    @Test func pagilaCorpus() throws {
        try roundTrip("pagila", jobs: 2) { db in
            try db.psqlFile(Self.pagila.appendingPathComponent("pagila-schema.sql").path)
            try db.psqlFile(Self.pagila.appendingPathComponent("pagila-data.sql").path)
        }
    }

    @Test(arguments: ["every_object_kind", "hostile"])
    func fixture(_ name: String) throws {
        let path = Self.fixtures.appendingPathComponent("\(name).sql").path
        try #require(FileManager.default.fileExists(atPath: path), "fixture \(path) is missing")
        try roundTrip(name, jobs: 1, chunkBytes: 64 << 10) { db in try db.psqlFile(path) }
    }

    @Test func parallelDumpEqualsSerialDump() throws {
        let source = try TestDatabase(prefix: "rt_par")
        defer { source.drop() }
        try source.psql("""
            CREATE TABLE a (id int PRIMARY KEY, t text);
            INSERT INTO a SELECT g, repeat(md5(g::text), 20) FROM generate_series(1, 20000) g;
            CREATE TABLE b (id bigserial PRIMARY KEY, a_id int REFERENCES a, v numeric);
            INSERT INTO b (a_id, v) SELECT (g % 20000) + 1, g / 7.0 FROM generate_series(1, 30000) g;
            CREATE TABLE c (k text);
            """)
        let dir = try TestEnv.tempDirectory("par")
        defer { try? FileManager.default.removeItem(at: dir) }
        var restored: [[String: String]] = []
        var schemas: [String] = []
        for jobs in [1, 2] {
            let target = try Targets.resolve(dir.appendingPathComponent("j\(jobs).sql.gz").path, environment: [:])
            var options = DumpOptions()
            options.jobs = jobs
            options.chunkBytes = 256 << 10
            let manifest = try DumpEngine.run(conninfo: source.conninfo, store: target.store, objectKey: target.key, options: options)
            #expect(manifest.members.filter { $0.section == .data }.count > 3, "chunking should split the big tables")
            let db = try TestDatabase(prefix: "rt_par_j\(jobs)")
            defer { db.drop() }
            var request = LoadRequest(conninfo: db.conninfo)
            request.jobs = jobs
            _ = try LoadService.load(from: target, request: request, token: CancellationToken())
            restored.append(try Compare.contents(db.conninfo))
            schemas.append(try Compare.schema(db.conninfo))
        }
        #expect(restored[0] == restored[1])
        #expect(restored[0] == (try Compare.contents(source.conninfo)))
        #expect(schemas[0] == schemas[1])
    }

    @Test func stockPgDumpFilesLoad() throws {
        let source = try TestDatabase(prefix: "rt_stock")
        let viaLoad = try TestDatabase(prefix: "rt_stock_load")
        let viaLoadPlain = try TestDatabase(prefix: "rt_stock_plain")
        defer { [source, viaLoad, viaLoadPlain].forEach { $0.drop() } }
        try source.psqlFile(Self.pagila.appendingPathComponent("pagila-schema.sql").path)
        try source.psqlFile(Self.pagila.appendingPathComponent("pagila-data.sql").path)
        let dir = try TestEnv.tempDirectory("stock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = dir.appendingPathComponent("cron.sql.gz").path
        let plain = dir.appendingPathComponent("cron.sql").path
        try Shell.bash("pg_dump -d '\(source.conninfo)' | gzip > '\(gz)' && pg_dump -d '\(source.conninfo)' > '\(plain)'")
        _ = try LoadService.load(from: try Targets.resolve(gz, environment: [:]), request: LoadRequest(conninfo: viaLoad.conninfo), token: CancellationToken())
        _ = try LoadService.load(from: try Targets.resolve(plain, environment: [:]), request: LoadRequest(conninfo: viaLoadPlain.conninfo), token: CancellationToken())
        let expected = try Compare.schema(source.conninfo)
        for db in [viaLoad, viaLoadPlain] {
            if let diff = Compare.diff(expected, try Compare.schema(db.conninfo)) { Issue.record("schema differs:\n\(diff)") }
            #expect(try Compare.contents(db.conninfo) == Compare.contents(source.conninfo))
        }
    }

    /// `drctl dump --output -` streams a plain .sql.gz to stdout, like `pg_dump | gzip`.
    @Test func dumpToStandardOutput() throws {
        let source = try TestDatabase(prefix: "rt_stdout")
        let target = try TestDatabase(prefix: "rt_stdout_t")
        defer { source.drop(); target.drop() }
        try source.psql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;")
        try Shell.bash("'\(TestEnv.binary("drctl"))' dump '\(source.conninfo)' --output - | gunzip -c | psql -X -q -v ON_ERROR_STOP=1 -d '\(target.conninfo)' >/dev/null")
        #expect(try Compare.contents(target.conninfo) == Compare.contents(source.conninfo))
        #expect(try Compare.schema(target.conninfo) == Compare.schema(source.conninfo))
    }
}
