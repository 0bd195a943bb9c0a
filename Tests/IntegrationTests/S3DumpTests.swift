import Foundation
import Postgres
import Support
import TestHelpers
import Testing

/// `drctl dump` / `drctl load` against moto_server (issue 3, "Done when"): a >40 MiB dump goes up
/// in several parts, commits object then manifest, leaves no multipart upload, restores with the
/// aws CLI + `gunzip -c | psql` and with `drctl load s3://…`; a failed dump leaves nothing.
@Suite(.enabled(if: TestEnv.hasPostgres && TestEnv.hasS3), .serialized)
struct S3DumpTests {
    /// moto accepts any credentials; both the aws CLI and drctl read these.
    static var awsEnvironment: [String: String] {
        ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": TestEnv.s3Endpoint ?? "", "AWS_EC2_METADATA_DISABLED": "true"]
    }

    @discardableResult
    func aws(_ args: [String]) throws -> Shell.Output {
        try Shell.run(["aws"] + args, environment: Self.awsEnvironment)
    }

    /// A fresh bucket (S3 names allow no underscores) and its forced removal.
    func makeBucket() throws -> String {
        let bucket = TestEnv.uniqueName("drdtest-e2e").replacingOccurrences(of: "_", with: "-")
        try aws(["s3api", "create-bucket", "--bucket", bucket])
        return bucket
    }

    func removeBucket(_ bucket: String) {
        _ = try? Shell.run(["aws", "s3", "rb", "s3://\(bucket)", "--force"], environment: Self.awsEnvironment, check: false)
    }

    /// Keys (with sizes and ETags) under `prefix`.
    func objects(_ bucket: String, prefix: String) throws -> [String: (size: Int, etag: String)] {
        let out = try aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--output", "json"]).stdout
        guard !out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [:] }
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        var result: [String: (size: Int, etag: String)] = [:]
        for item in json?["Contents"] as? [[String: Any]] ?? [] {
            guard let key = item["Key"] as? String else { continue }
            result[key] = (item["Size"] as? Int ?? -1, item["ETag"] as? String ?? "")
        }
        return result
    }

    /// Keys of multipart uploads still open in the bucket.
    func openUploads(_ bucket: String) throws -> [String] {
        let out = try aws(["s3api", "list-multipart-uploads", "--bucket", bucket, "--output", "json"]).stdout
        guard !out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        return (json?["Uploads"] as? [[String: Any]] ?? []).map { $0["Key"] as? String ?? "?" }
    }

    func drctl(_ args: [String]) throws -> Shell.Output {
        try Shell.run([TestEnv.binary("drctl")] + args, environment: Self.awsEnvironment, check: false)
    }

    /// Two tables of md5 text, `rows` each (~73 bytes a row of COPY text), plus a small related table.
    func fill(_ db: TestDatabase, rowsPerTable: Int) throws {
        try db.psql("""
            CREATE TABLE big_a (id int PRIMARY KEY, t text NOT NULL);
            CREATE TABLE big_b (id int, t text);
            INSERT INTO big_a SELECT g, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, \(rowsPerTable)) g;
            INSERT INTO big_b SELECT g, md5((-g)::text) || md5((g * 7)::text) FROM generate_series(1, \(rowsPerTable)) g;
            CREATE TABLE tags (id serial PRIMARY KEY, a_id int REFERENCES big_a, label text);
            INSERT INTO tags (a_id, label) SELECT g, 'tag ' || g FROM generate_series(1, 100) g;
            ANALYZE;
            """)
    }

    @Test func largeDumpRoundTripsThroughS3() throws {
        let bucket = try makeBucket()
        defer { removeBucket(bucket) }
        let source = try TestDatabase(prefix: "s3_src")
        let viaCLI = try TestDatabase(prefix: "s3_cli")
        let viaLoad = try TestDatabase(prefix: "s3_load")
        defer { [source, viaCLI, viaLoad].forEach { $0.drop() } }
        // 2 × 325,000 rows × ~73 bytes ≈ 45 MiB of COPY text; level 0 keeps the object that size.
        try fill(source, rowsPerTable: 325_000)

        let url = "s3://\(bucket)/dir/x.sql.gz"
        let started = Date()
        let dump = try drctl(["dump", source.conninfo, "--output", url, "--jobs", "2", "--compress-level", "0", "--quiet"])
        let dumpSeconds = Date().timeIntervalSince(started)
        try #require(dump.status == 0, "drctl dump to S3 failed: \(dump.stderr)")

        let listed = try objects(bucket, prefix: "dir/")
        #expect(Set(listed.keys) == ["dir/x.sql.gz", "dir/x.manifest.json"], "objects: \(listed.keys.sorted())")
        let object = try #require(listed["dir/x.sql.gz"])
        #expect(object.size > 40 << 20, "the dump is only \(object.size) bytes; the test needs > 40 MiB")
        // A multipart upload's ETag is `"<md5 of part md5s>-<part count>"`.
        let parts = Int(object.etag.trimmingCharacters(in: ["\""]).split(separator: "-").last ?? "") ?? 0
        #expect(object.etag.contains("-") && parts >= 2, "expected a multipart upload of several parts, ETag \(object.etag)")
        #expect(try openUploads(bucket).isEmpty, "open multipart uploads left after a successful dump")

        // The manifest agrees with the object.
        let manifestText = try aws(["s3", "cp", "s3://\(bucket)/dir/x.manifest.json", "-"]).stdout
        let manifest = try JSONSerialization.jsonObject(with: Data(manifestText.utf8)) as? [String: Any]
        #expect(manifest?["compressedSize"] as? Int == object.size)

        // Stock tools: aws CLI download, gunzip -c | psql.
        let dir = try TestEnv.tempDirectory("s3dump")
        defer { try? FileManager.default.removeItem(at: dir) }
        let local = dir.appendingPathComponent("x.sql.gz").path
        try aws(["s3", "cp", url, local, "--only-show-errors"])
        try Shell.bash("gunzip -c '\(local)' | psql -X -q -v ON_ERROR_STOP=1 -d '\(viaCLI.conninfo)' >/dev/null")

        // drctl load straight from S3.
        let loadStarted = Date()
        let load = try drctl(["load", url, viaLoad.conninfo, "--jobs", "2", "--quiet"])
        let loadSeconds = Date().timeIntervalSince(loadStarted)
        #expect(load.status == 0, "drctl load from S3 failed: \(load.stderr)")

        let expectedContents = try Compare.contents(source.conninfo)
        let expectedSchema = try Compare.schema(source.conninfo)
        for restored in [viaCLI, viaLoad] {
            #expect(try Compare.contents(restored.conninfo) == expectedContents, "contents of \(restored.name) differ")
            if let diff = Compare.diff(expectedSchema, try Compare.schema(restored.conninfo)) {
                Issue.record("schema of \(restored.name) differs from the source:\n\(diff)")
            }
        }
        print("S3DumpTests: \(object.size >> 20) MiB in \(parts) parts; dump \(String(format: "%.1f", dumpSeconds)) s, drctl load \(String(format: "%.1f", loadSeconds)) s")
    }

    /// SIGINT while a multipart upload is open: drctl aborts it, exits 1, and leaves no object,
    /// no manifest and no open upload. Level 9 makes the dump CPU-bound, which leaves about a
    /// second between the first part going up and the commit.
    @Test func interruptedDumpAbortsMultipartUpload() throws {
        let bucket = try makeBucket()
        defer { removeBucket(bucket) }
        let source = try TestDatabase(prefix: "s3_int")
        defer { source.drop() }
        try fill(source, rowsPerTable: 325_000)
        let endpoint = try #require(TestEnv.s3Endpoint)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnv.binary("drctl"))
        process.arguments = ["dump", source.conninfo, "--output", "s3://\(bucket)/int/x.sql.gz", "--compress-level", "9", "--quiet"]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in Self.awsEnvironment { env[k] = v }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // moto answers unsigned requests: poll ListMultipartUploads cheaply with curl.
        var sawUpload = false
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline {
            let list = try Shell.run(["curl", "-s", "\(endpoint)/\(bucket)?uploads"], check: false).stdout
            if list.contains("<UploadId>") { sawUpload = true; break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        if process.isRunning { process.interrupt() }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(sawUpload, "no multipart upload was seen before the dump ended (exit \(process.terminationStatus)): \(stderr)")

        #expect(process.terminationStatus == 1, "exit \(process.terminationStatus): \(stderr)")
        let lines = stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 1 && lines[0].hasPrefix("drctl: ") && stderr.contains("interrupted"), "\(stderr)")
        let left = try objects(bucket, prefix: "")
        #expect(left.isEmpty, "an interrupted dump left objects: \(left.keys.sorted())")
        let open = try openUploads(bucket)
        #expect(open.isEmpty, "an interrupted dump left open multipart uploads: \(open)")
    }

    /// A dump that fails leaves no object, no manifest and no open multipart upload: both before
    /// the upload starts (missing database) and after several parts went up (a table the role
    /// may not read, reached after ~20 MiB of other data).
    @Test func failedDumpLeavesNothingOnS3() throws {
        let bucket = try makeBucket()
        defer { removeBucket(bucket) }

        // Before any upload: the source database does not exist.
        let missing = TestEnv.uniqueName("drdtest_missing")
        let admin = try #require(TestEnv.pgConninfo)
        let early = try drctl(["dump", admin + " dbname=\(missing)", "--output", "s3://\(bucket)/early/x.sql.gz", "--quiet"])
        #expect(early.status == 1, "exit \(early.status): \(early.stderr)")
        #expect(early.stderr.hasPrefix("drctl: ") && early.stderr.contains(missing), "\(early.stderr)")

        // After parts went up: the largest table streams first (--jobs 1), then the dump reaches a
        // row-level-security table that a non-owner role cannot read with row_security = off.
        let source = try TestDatabase(prefix: "s3_fail")
        let role = TestEnv.uniqueName("drdtest_ro")
        defer {
            source.drop()
            if let conn = try? Connection(conninfo: admin) {
                _ = try? conn.execute("DROP ROLE IF EXISTS \(role)")
                conn.close()
            }
        }
        try source.psql("""
            CREATE TABLE bulk (id int, t text);
            INSERT INTO bulk SELECT g, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, 300000) g;
            CREATE TABLE zz_guarded (id int); INSERT INTO zz_guarded VALUES (1);
            ALTER TABLE zz_guarded ENABLE ROW LEVEL SECURITY;
            ANALYZE;
            CREATE ROLE \(role) LOGIN;
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role);
            """)
        let parts = Connection.parseConninfo(admin) ?? [:]
        let conninfo = "host=\(parts["host"] ?? "127.0.0.1") port=\(parts["port"] ?? "5432") user=\(role) dbname=\(source.name)"
        let late = try drctl(["dump", conninfo, "--output", "s3://\(bucket)/late/x.sql.gz", "--compress-level", "0", "--quiet"])
        #expect(late.status == 1, "exit \(late.status): \(late.stderr)")
        #expect(late.stderr.hasPrefix("drctl: ") && late.stderr.contains("zz_guarded"), "\(late.stderr)")

        let left = try objects(bucket, prefix: "")
        #expect(left.isEmpty, "failed dumps left objects: \(left.keys.sorted())")
        let open = try openUploads(bucket)
        #expect(open.isEmpty, "failed dumps left open multipart uploads: \(open)")
    }
}
