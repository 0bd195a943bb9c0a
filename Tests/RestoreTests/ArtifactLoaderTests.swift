import Foundation
import Testing
import Archive
import Postgres
import Support
import Synchronization
import TestHelpers
@testable import Restore

/// A hand-built drd-style artifact: stock pg_dump pre-data and post-data members around data
/// members made of self-contained `COPY … FROM stdin` blocks of `chunkRows` rows each.
struct HandArtifact {
    var path: String
    var manifest: Manifest

    static func build(from db: TestDatabase, tables: [TableName], chunkRows: Int, in dir: URL,
                      globals: String? = nil) throws -> HandArtifact {
        let sink = MemorySink()
        let writer = ArtifactWriter(sink: sink)
        func member(_ section: Section, _ text: String, table: TableName? = nil, chunk: Int? = nil, rows: Int64? = nil) throws {
            let compressor = try MemberCompressor(section: section, schema: table?.schema, table: table?.table, chunk: chunk)
            try compressor.write(text)
            try writer.append(try compressor.finish(rows: rows))
        }
        if let globals { try member(.globals, globals) }
        try member(.preData, try stockDump(db, ["--section=pre-data"]))
        let conn = try db.connect()
        defer { conn.close() }
        var counts: [TableRows] = []
        for table in tables {
            var lines: [String] = []
            try conn.copyOut("COPY \(table) TO STDOUT") { row in lines.append(String(decoding: row, as: UTF8.self)) }
            counts.append(TableRows(schema: table.schema, table: table.table, rows: Int64(lines.count)))
            var chunk = 0
            var start = 0
            while start < lines.count {
                let slice = lines[start..<min(start + chunkRows, lines.count)]
                let text = "SET client_encoding = 'UTF8';\nCOPY \(table) FROM stdin;\n" + slice.joined() + "\\.\n\n"
                try member(.data, text, table: table, chunk: chunk, rows: Int64(slice.count))
                chunk += 1
                start += chunkRows
            }
        }
        try member(.postData, try stockDump(db, ["--section=post-data"]))
        let sha = writer.finish()
        let path = dir.appendingPathComponent("hand.sql.gz").path
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
        let manifest = Manifest(backupID: "20261121T000000Z", database: db.name, serverVersion: "15", serverVersionNum: 150000,
                                snapshotTime: Date(), completedTime: Date(), objectKey: "hand.sql.gz",
                                compressedSize: writer.compressedSize, uncompressedSize: writer.uncompressedSize,
                                sha256: sha, members: writer.members, tables: counts, globalsIncluded: globals != nil)
        return HandArtifact(path: path, manifest: manifest)
    }
}

/// Order-independent content hash of a table.
func contentHash(_ db: TestDatabase, _ table: TableName) throws -> String {
    try db.psql("SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \(table) x")
}

let loaderFixture = #"""
CREATE SCHEMA "S p";
CREATE TABLE public.a (id int PRIMARY KEY, t text, b bytea);
CREATE TABLE "S p"."B" (id int REFERENCES public.a (id), note text);
CREATE TABLE public.empty (x int);
CREATE INDEX a_t ON public.a (t);
INSERT INTO public.a SELECT g, E'row\t' || g || E'\n\\', decode(md5(g::text), 'hex') FROM generate_series(1, 3000) g;
INSERT INTO "S p"."B" SELECT g, 'note ' || g FROM generate_series(1, 3000, 7) g;
"""#

@Suite("artifact loader against PostgreSQL", .enabled(if: TestEnv.hasPostgres))
struct ArtifactLoaderTests {
    let tables = [TableName(schema: "public", table: "a"), TableName(schema: "S p", table: "B"),
                  TableName(schema: "public", table: "empty")]

    /// A source database with the fixture, an empty target, and a hand-built artifact of the source.
    func withArtifact(chunkRows: Int, _ body: (TestDatabase, TestDatabase, HandArtifact) throws -> Void) throws {
        let source = try TestDatabase(prefix: "rst_art_src")
        let target = try TestDatabase(prefix: "rst_art_dst")
        defer { source.drop(); target.drop() }
        try source.psql(loaderFixture)
        let dir = try TestEnv.tempDirectory("artifact")
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(source, target, try HandArtifact.build(from: source, tables: tables, chunkRows: chunkRows, in: dir))
    }

    @Test func parallelLoadMatchesTheSource() throws {
        let source = try TestDatabase(prefix: "rst_art_src")
        defer { source.drop() }
        try source.psql(loaderFixture)
        let dir = try TestEnv.tempDirectory("artifact")
        defer { try? FileManager.default.removeItem(at: dir) }
        let artifact = try HandArtifact.build(from: source, tables: tables, chunkRows: 250, in: dir)
        #expect(artifact.manifest.members.count > 10)

        for jobs in [1, 3] {
            let target = try TestDatabase(prefix: "rst_art_dst")
            defer { target.drop() }
            let last = Mutex<LoadProgress?>(nil)
            let options = LoadOptions(jobs: jobs, progress: { p in last.withLock { $0 = p } })
            let result = try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: target.conninfo,
                                            options: options).load()
            #expect(result.members == artifact.manifest.members.count)
            #expect(result.rows[tables[0]] == 3000)
            #expect(result.compressedBytes == artifact.manifest.compressedSize)
            #expect(result.uncompressedBytes == artifact.manifest.uncompressedSize)
            let final = last.withLock { $0 }
            #expect(final?.membersDone == artifact.manifest.members.count)
            let expectedRows: Int64 = 3000 + 429
            #expect(final?.rows == expectedRows)
            #expect(final?.bytes == artifact.manifest.compressedSize)
            #expect(try stockDump(target, ["--schema-only"]) == stockDump(source, ["--schema-only"]))
            for table in tables { #expect(try contentHash(target, table) == contentHash(source, table)) }
        }
    }

    @Test func damagedMemberStopsAndNamesIt() throws {
        try withArtifact(chunkRows: 500) { source, target, artifact in
            // Flip a byte inside the third data member's compressed body.
            guard let (index, member) = artifact.manifest.members.enumerated().filter({ $0.element.section == .data }).dropFirst(2).first else {
                Issue.record("no data member"); return
            }
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: artifact.path)))
            bytes[Int(member.offset + member.compressedLength / 2)] ^= 0x55
            try Data(bytes).write(to: URL(fileURLWithPath: artifact.path))

            let error = #expect(throws: DRDError.self) {
                try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: target.conninfo,
                                   options: LoadOptions(jobs: 2)).load()
            }
            #expect(error?.code == .corrupt)
            #expect(error?.message.contains("member \(index) (data \"public\".\"a\" chunk 2") == true)
            // The damaged chunk committed nothing: whole 500-row chunks only.
            let count = try target.psql("SELECT count(*) % 500 FROM public.a")
            #expect(count.contains(" 0"))
        }
    }

    @Test func rowCountMismatchIsReported() throws {
        try withArtifact(chunkRows: 1000) { source, target, built in
            var artifact = built
            artifact.manifest.tables[1].rows += 1
            let error = #expect(throws: DRDError.self) {
                try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: target.conninfo).load()
            }
            #expect(error?.message.contains("table \"S p\".\"B\": loaded 429 rows") == true)
        }
    }

    @Test func fileLoaderUsesTheManifestWhenPresent() throws {
        let source = try TestDatabase(prefix: "rst_art_src")
        let viaManifest = try TestDatabase(prefix: "rst_art_dst")
        let asScript = try TestDatabase(prefix: "rst_art_dst")
        defer { source.drop(); viaManifest.drop(); asScript.drop() }
        try source.psql(loaderFixture)
        let dir = try TestEnv.tempDirectory("artifact")
        defer { try? FileManager.default.removeItem(at: dir) }
        let artifact = try HandArtifact.build(from: source, tables: tables, chunkRows: 700, in: dir)

        // No manifest yet: the artifact is still a plain script that loads like psql would.
        guard case .script(let script) = try FileLoader.load(path: artifact.path, conninfo: asScript.conninfo) else {
            Issue.record("expected the plain-script path"); return
        }
        #expect(script.totalRows == 3429)

        try Data(try artifact.manifest.encoded()).write(to: URL(fileURLWithPath: Manifest.key(forObjectKey: artifact.path)))
        guard case .artifact(let loaded) = try FileLoader.load(path: artifact.path, conninfo: viaManifest.conninfo,
                                                               options: LoadOptions(jobs: 2)) else {
            Issue.record("expected the artifact path"); return
        }
        #expect(loaded.members == artifact.manifest.members.count)
        for table in tables {
            #expect(try contentHash(viaManifest, table) == contentHash(source, table))
            #expect(try contentHash(asScript, table) == contentHash(source, table))
        }
    }

    @Test func globalsAreAppliedOnlyWhenAsked() throws {
        let source = try TestDatabase(prefix: "rst_art_src")
        let target = try TestDatabase(prefix: "rst_art_dst")
        let role = TestEnv.uniqueName("drd_rst_role")
        defer { source.drop(); target.drop(); _ = try? source.psql("DROP ROLE IF EXISTS \(role)") }
        try source.psql(loaderFixture)
        let dir = try TestEnv.tempDirectory("artifact")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The role exists nowhere yet; postgres exists already and is skipped, not fatal.
        let globals = "CREATE ROLE \(role) NOLOGIN;\nCREATE ROLE postgres;\nALTER ROLE postgres SUPERUSER;\n"
        let artifact = try HandArtifact.build(from: source, tables: tables, chunkRows: 1000, in: dir, globals: globals)
        let loaded = try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: target.conninfo,
                                        options: LoadOptions(applyGlobals: true)).load()
        #expect(loaded.skipped.count == 1)
        #expect(loaded.skipped.first?.reason.contains("member 0 (globals") == true)
        #expect(try target.psql("SELECT count(*) FROM pg_roles WHERE rolname = '\(role)'").contains("1"))

        // Loading twice into the same database is refused before anything runs.
        let again = #expect(throws: DRDError.self) {
            try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: target.conninfo).load()
        }
        #expect(again?.code == .conflict)
        #expect(again?.message.contains("is not empty") == true)

        let other = try TestDatabase(prefix: "rst_art_dst")
        defer { other.drop() }
        try source.psql("DROP ROLE \(role)")
        let skipped = try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: other.conninfo).load()
        #expect(skipped.members == artifact.manifest.members.count - 1)
        #expect(try other.psql("SELECT count(*) FROM pg_roles WHERE rolname = '\(role)'").contains("0"))
    }

    @Test func singleTableLoad() throws {
        try withArtifact(chunkRows: 1000) { source, target, artifact in
            // "S p"."B" references a; loading only a keeps the foreign key satisfiable.
            let result = try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: target.conninfo,
                                            options: LoadOptions(jobs: 2, tables: [tables[0]])).load()
            #expect(result.rows == [tables[0]: 3000])
            #expect(try contentHash(target, tables[0]) == contentHash(source, tables[0]))
            #expect(try target.psql("SELECT count(*) FROM \"S p\".\"B\"").contains(" 0"))

            let missing = #expect(throws: DRDError.self) {
                try ArtifactLoader(file: artifact.path, manifest: artifact.manifest, conninfo: target.conninfo,
                                   options: LoadOptions(tables: [tables[0], TableName(schema: "public", table: "nope")])).load()
            }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.hasPrefix("table \"public\".\"nope\" is not in backup") == true)
        }
    }
}
