import Foundation
import Postgres
import Support
import TestHelpers
import Testing

/// Failure paths of the real `drctl dump` / `drctl load` binaries (issue 2): each ends with a non-zero
/// exit, one `drctl: ` line (plus at most one `hint:` line) naming the object, no secret in the
/// output, and nothing finished-looking (object, manifest or hidden temp file) left behind.
@Suite(.enabled(if: TestEnv.hasPostgres), .serialized)
struct DumpFailureTests {
    /// The superuser conninfo's host and port, for building conninfos with other roles.
    static var server: (host: String, port: String) {
        let parts = TestEnv.pgConninfo.flatMap { Connection.parseConninfo($0) } ?? [:]
        return (parts["host"] ?? "127.0.0.1", parts["port"] ?? "5432")
    }

    static func admin() throws -> Connection {
        try Connection(conninfo: try #require(TestEnv.pgConninfo))
    }

    /// Runs the real drctl binary; never throws on a non-zero exit.
    func drctl(_ args: [String], environment: [String: String] = [:]) throws -> (Shell.Output, TimeInterval) {
        let started = Date()
        let out = try Shell.run([TestEnv.binary("drctl")] + args, environment: environment, check: false)
        return (out, Date().timeIntervalSince(started))
    }

    /// The shared contract of every failure: exit status, one error line (+ optional hint), the
    /// named things present, the forbidden ones (secrets) absent, and an output directory with
    /// nothing in it — no `<name>.sql.gz`, no `<name>.manifest.json`, no `.<name>.upload-*`.
    func expectFailure(_ out: Shell.Output, status: Int32, names: [String], forbidden: [String] = [],
                       outputDir: URL? = nil, _ label: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        expectFailure((out.status, out.stdout, out.stderr), status: status, names: names, forbidden: forbidden,
                      outputDir: outputDir, label, sourceLocation: sourceLocation)
    }

    func expectFailure(_ out: (status: Int32, stdout: String, stderr: String), status: Int32, names: [String],
                       forbidden: [String] = [], outputDir: URL? = nil, _ label: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let all = out.stdout + out.stderr
        #expect(out.status == status, "\(label): exit \(out.status), expected \(status); stderr: \(out.stderr)",
                sourceLocation: sourceLocation)
        let lines = out.stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        #expect((1...2).contains(lines.count), "\(label): expected one error line (+ hint), got:\n\(out.stderr)",
                sourceLocation: sourceLocation)
        #expect(lines.first?.hasPrefix("drctl: ") == true, "\(label): first line must start with 'drctl: ': \(out.stderr)",
                sourceLocation: sourceLocation)
        if lines.count == 2 {
            #expect(lines[1].hasPrefix("hint: "), "\(label): second line must be a hint: \(out.stderr)",
                    sourceLocation: sourceLocation)
        }
        #expect(out.stdout.isEmpty, "\(label): nothing belongs on stdout after a failure: \(out.stdout)",
                sourceLocation: sourceLocation)
        for name in names {
            #expect(out.stderr.contains(name), "\(label): the error should name '\(name)': \(out.stderr)",
                    sourceLocation: sourceLocation)
        }
        for secret in forbidden {
            #expect(!all.contains(secret), "\(label): output leaks '\(secret)': \(all)", sourceLocation: sourceLocation)
        }
        if let outputDir {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: outputDir.path)) ?? []
            #expect(left.isEmpty, "\(label): failed dump left \(left) in \(outputDir.path)", sourceLocation: sourceLocation)
        }
    }

    // MARK: dump

    @Test func unreachableServer() throws {
        let dir = try TestEnv.tempDirectory("fail-unreach")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let conninfo = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=5"
        let (out, seconds) = try drctl(["dump", conninfo, "--output", dir.appendingPathComponent("x.sql.gz").path])
        expectFailure(out, status: 1, names: ["127.0.0.1:1"], outputDir: dir, "unreachable server")
        #expect(seconds < 15, "refused connection took \(seconds) s")
    }

    @Test func missingDatabase() throws {
        let dir = try TestEnv.tempDirectory("fail-nodb")
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = TestEnv.uniqueName("drdtest_missing")
        let (host, port) = Self.server
        let conninfo = "host=\(host) port=\(port) user=postgres dbname=\(missing)"
        let (out, _) = try drctl(["dump", conninfo, "--output", dir.appendingPathComponent("x.sql.gz").path])
        expectFailure(out, status: 1, names: [missing], outputDir: dir, "missing database")
    }

    /// A role that must authenticate with its password: scripts/test's pg_hba.conf requires scram
    /// for members of `drd_password_auth` (every other role gets in by trust). Returns the role and
    /// a cleanup.
    func passwordRole(database: TestDatabase) throws -> (String, () -> Void) {
        let admin = try Self.admin()
        defer { admin.close() }
        let (host, port) = Self.server
        let role = TestEnv.uniqueName("drd_pw")
        try admin.execute("CREATE ROLE \(role) LOGIN PASSWORD 'right' IN ROLE drd_password_auth")
        let dropRole = {
            guard let admin = try? Self.admin() else { return }
            defer { admin.close() }
            _ = try? admin.execute("DROP ROLE IF EXISTS \(role)")
        }
        let probe = "host=\(host) port=\(port) user=\(role) password=wrong dbname=\(database.name)"
        if let conn = try? Connection(conninfo: probe) {
            conn.close()
            dropRole()
            throw DRDError(.config, "pg_hba.conf on the test cluster lets \(role) in without its password",
                           hint: "start the cluster with scripts/test (it adds 'host all +drd_password_auth 127.0.0.1/32 scram-sha-256')")
        }
        // The role's grants live in the database: drop that first, then the role.
        return (role, { database.drop(); dropRole() })
    }

    @Test(arguments: ["keywords", "uri"])
    func wrongPassword(_ form: String) throws {
        let db = try TestDatabase(prefix: "fail_pw")
        defer { db.drop() }
        try db.psql("CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
        let (role, cleanup) = try passwordRole(database: db)
        defer { cleanup() }
        let dir = try TestEnv.tempDirectory("fail-pw")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (host, port) = Self.server
        let encodedRole = role.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["_"])) ?? role
        let conninfo = form == "uri"
            ? "postgresql://\(encodedRole):wrong@\(host):\(port)/\(db.name)"
            : "host=\(host) port=\(port) user='\(role)' password=wrong dbname=\(db.name)"
        let (out, _) = try drctl(["dump", conninfo, "--output", dir.appendingPathComponent("x.sql.gz").path])
        expectFailure(out, status: 1, names: [role, db.name], forbidden: ["wrong", "right"], outputDir: dir,
                      "wrong password (\(form))")
        #expect(out.stderr.lowercased().contains("password"), "the error should say the password was refused: \(out.stderr)")
    }

    /// Like pg_dump, a role without SELECT on one table fails the whole dump, naming that table.
    @Test func permissionDeniedOnTable() throws {
        let db = try TestDatabase(prefix: "fail_perm")
        defer { db.drop() }
        try db.psql("""
            CREATE TABLE visible (id int); INSERT INTO visible VALUES (1);
            CREATE TABLE payroll_secret (id int, salary numeric); INSERT INTO payroll_secret VALUES (1, 100);
            """)
        let (role, cleanup) = try passwordRole(database: db)
        defer { cleanup() }
        try db.psql("GRANT SELECT ON visible TO \(Connection.quoteIdentifier(role))")
        let dir = try TestEnv.tempDirectory("fail-perm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (host, port) = Self.server
        let conninfo = "host=\(host) port=\(port) user='\(role)' password=right dbname=\(db.name)"
        let (out, _) = try drctl(["dump", conninfo, "--output", dir.appendingPathComponent("x.sql.gz").path])
        expectFailure(out, status: 1, names: ["payroll_secret"], forbidden: ["right"], outputDir: dir, "permission denied")
        #expect(out.stderr.contains("permission denied"), "\(out.stderr)")
    }

    /// A second session holds ACCESS EXCLUSIVE in an open transaction: the dump gives up after
    /// --lock-timeout, naming the table, instead of waiting forever.
    @Test func lockTimeout() throws {
        let db = try TestDatabase(prefix: "fail_lock")
        defer { db.drop() }
        try db.psql("""
            CREATE TABLE free_t (id int); INSERT INTO free_t VALUES (1);
            CREATE TABLE locked_t (id int); INSERT INTO locked_t VALUES (1);
            """)
        let blocker = try db.connect()
        defer { blocker.close() }
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE locked_t IN ACCESS EXCLUSIVE MODE")
        let dir = try TestEnv.tempDirectory("fail-lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (out, seconds) = try drctl(["dump", db.conninfo, "--lock-timeout", "1",
                                        "--output", dir.appendingPathComponent("x.sql.gz").path])
        _ = try? blocker.execute("ROLLBACK")
        expectFailure(out, status: 1, names: ["locked_t"], outputDir: dir, "lock timeout")
        #expect(seconds < 10, "lock timeout of 1 s took \(seconds) s")
        #expect(out.stderr.contains("lock"), "\(out.stderr)")
    }

    /// SIGINT while the hidden temp file is being written: drctl cancels, exits 1 with one line,
    /// and removes the temp file; neither object nor manifest appears.
    @Test func interruptedDumpLeavesNothing() throws {
        let db = try TestDatabase(prefix: "fail_int")
        defer { db.drop() }
        try db.psql("""
            CREATE TABLE bulk (id int, t text);
            INSERT INTO bulk SELECT g, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, 300000) g;
            """)
        let dir = try TestEnv.tempDirectory("fail-int")
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnv.binary("drctl"))
        process.arguments = ["dump", db.conninfo, "--output", dir.appendingPathComponent("x.sql.gz").path, "--compress-level", "9"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var sawTemp = false
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            if names.contains(where: { $0.hasPrefix(".x.sql.gz.upload-") }) { sawTemp = true; break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        if process.isRunning { process.interrupt() }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(sawTemp, "the temp file never appeared (exit \(process.terminationStatus)): \(stderr)")
        expectFailure((process.terminationStatus, "", stderr), status: 1,
                      names: ["interrupted", db.name], outputDir: dir, "interrupted dump")
    }

    // MARK: load

    /// Dumps a small source with drctl into `dir/good.sql.gz` (+ manifest); returns the source.
    func goodArtifact(in dir: URL, level: Int = 6) throws -> TestDatabase {
        let source = try TestDatabase(prefix: "fail_art")
        try source.psql("""
            CREATE TABLE big (id int PRIMARY KEY, t text);
            INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 50000) g;
            CREATE TABLE small (id int); INSERT INTO small VALUES (1), (2);
            """)
        let (out, _) = try drctl(["dump", source.conninfo, "--quiet", "--compress-level", "\(level)",
                                  "--output", dir.appendingPathComponent("good.sql.gz").path])
        try #require(out.status == 0, "drctl dump failed: \(out.stderr)")
        return source
    }

    /// User tables in a database (after a failed load).
    func userTables(_ db: TestDatabase) throws -> [String] {
        let conn = try db.connect()
        defer { conn.close() }
        return try conn.query("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
            ORDER BY 1
            """).records.map { $0.string("relname") }
    }

    /// Copies good.* to bad.* and damages the middle of the largest data member: level 0 (stored
    /// blocks) gets one hex digit changed, so the text still inflates and parses as COPY data and
    /// only the gzip CRC (or the manifest checksum) can tell; other levels get 8 bytes of 0xFF.
    func corruptCopy(in dir: URL, level: Int = 6) throws -> URL {
        let good = dir.appendingPathComponent("good.sql.gz"), bad = dir.appendingPathComponent("bad.sql.gz")
        try FileManager.default.copyItem(at: good, to: bad)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("good.manifest.json"),
                                         to: dir.appendingPathComponent("bad.manifest.json"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("good.manifest.json"))) as? [String: Any]
        let members = manifest?["members"] as? [[String: Any]] ?? []
        let data = try #require(members.filter { $0["section"] as? String == "data" }
            .max { ($0["compressedLength"] as? Int ?? 0) < ($1["compressedLength"] as? Int ?? 0) })
        let offset = (data["offset"] as? Int ?? 0) + (data["compressedLength"] as? Int ?? 0) / 2
        var bytes = try Data(contentsOf: bad)
        if level == 0 {
            let hex = Set("0123456789abcdef".utf8)
            let at = try #require((offset..<min(offset + 200, bytes.count)).first { hex.contains(bytes[$0]) })
            bytes[at] = bytes[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        } else {
            bytes.replaceSubrange(offset..<offset + 8, with: Data(repeating: 0xFF, count: 8))
        }
        try bytes.write(to: bad)
        return bad
    }

    /// A flipped byte in a drd artifact: exit 1 naming the file and the member. Without
    /// --single-transaction the schema stays (like `psql -f`), but the damaged table gets no rows.
    @Test(arguments: [6, 0])
    func corruptArtifact(level: Int) throws {
        let dir = try TestEnv.tempDirectory("fail-corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try goodArtifact(in: dir, level: level)
        defer { source.drop() }
        let bad = try corruptCopy(in: dir, level: level)
        let target = try TestDatabase(prefix: "fail_corrupt_t")
        defer { target.drop() }
        let (out, _) = try drctl(["load", bad.path, target.conninfo])
        expectFailure(out, status: 1, names: [bad.path, "member"], "corrupt artifact (level \(level))")
        let conn = try target.connect()
        defer { conn.close() }
        if try userTables(target).contains("big") {
            let rows = try conn.scalar("SELECT count(*) FROM big")
            #expect(rows == "0", "a damaged member must not load partial rows, big has \(rows ?? "?")")
        }
    }

    /// --single-transaction applies to plain scripts only: for a drd artifact (parallel members, each
    /// committed after its checksum) it is refused up front, before anything is loaded.
    @Test func singleTransactionIsRefusedForArtifacts() throws {
        let dir = try TestEnv.tempDirectory("fail-corrupt1")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try goodArtifact(in: dir)
        defer { source.drop() }
        let bad = try corruptCopy(in: dir)
        let target = try TestDatabase(prefix: "fail_corrupt_s")
        defer { target.drop() }
        let (out, _) = try drctl(["load", bad.path, target.conninfo, "--single-transaction"])
        expectFailure(out, status: 2, names: [bad.path, "--single-transaction"], "single transaction with an artifact")
        let left = try userTables(target)
        #expect(left.isEmpty, "a failed --single-transaction load left tables: \(left)")
    }

    /// A stock `pg_dump | gzip` file cut in half: exit 1 naming the truncation; with
    /// --single-transaction nothing is left in the target.
    @Test func truncatedStockDump() throws {
        let dir = try TestEnv.tempDirectory("fail-trunc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try TestDatabase(prefix: "fail_trunc")
        defer { source.drop() }
        try source.psql("""
            CREATE TABLE big (id int PRIMARY KEY, t text);
            INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 50000) g;
            """)
        let file = dir.appendingPathComponent("cut.sql.gz")
        try Shell.bash("pg_dump -d '\(source.conninfo)' | gzip > '\(file.path)'")
        let whole = try Data(contentsOf: file)
        try whole.prefix(whole.count / 2).write(to: file)

        let plain = try TestDatabase(prefix: "fail_trunc_p")
        defer { plain.drop() }
        let (out, _) = try drctl(["load", file.path, plain.conninfo])
        expectFailure(out, status: 1, names: [file.path, "truncated"], "truncated stock dump")

        let single = try TestDatabase(prefix: "fail_trunc_s")
        defer { single.drop() }
        let (out1, _) = try drctl(["load", file.path, single.conninfo, "--single-transaction"])
        expectFailure(out1, status: 1, names: [file.path, "truncated"], "truncated stock dump, single transaction")
        let left = try userTables(single)
        #expect(left.isEmpty, "a failed --single-transaction load left tables behind: \(left)")
    }

    @Test func missingInputFile() throws {
        let dir = try TestEnv.tempDirectory("fail-missing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = try TestDatabase(prefix: "fail_missing")
        defer { target.drop() }
        let path = dir.appendingPathComponent("nope.sql.gz").path
        let (out, _) = try drctl(["load", path, target.conninfo])
        expectFailure(out, status: 1, names: [path], "missing input file")
        let left = try userTables(target)
        #expect(left.isEmpty, "\(left)")
    }

    /// A target that already has tables is refused before anything is loaded.
    @Test func loadIntoNonEmptyDatabase() throws {
        let dir = try TestEnv.tempDirectory("fail-nonempty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try goodArtifact(in: dir)
        defer { source.drop() }
        let target = try TestDatabase(prefix: "fail_nonempty")
        defer { target.drop() }
        try target.psql("CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (7);")
        let (out, _) = try drctl(["load", dir.appendingPathComponent("good.sql.gz").path, target.conninfo])
        expectFailure(out, status: 1, names: [target.name], "load into a non-empty database")
        let left = try userTables(target)
        #expect(left == ["keep_me"], "the refused load changed the target: \(left)")
    }

    /// Dumping again to the name of an existing backup (a nightly cron job writing the same file)
    /// must either replace the pair consistently or fail leaving the previous backup intact.
    @Test func dumpOverExistingBackup() throws {
        let dir = try TestEnv.tempDirectory("fail-twice")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try goodArtifact(in: dir)
        defer { source.drop() }
        let object = dir.appendingPathComponent("good.sql.gz"), manifest = dir.appendingPathComponent("good.manifest.json")
        let before = (try Data(contentsOf: object), try Data(contentsOf: manifest))
        try source.psql("INSERT INTO small VALUES (3)")
        let (out, _) = try drctl(["dump", source.conninfo, "--quiet", "--output", object.path])
        let after = (try Data(contentsOf: object), try Data(contentsOf: manifest))
        if out.status == 0 {
            // Replaced: the new pair must load and hold the new row.
            let target = try TestDatabase(prefix: "fail_twice_t")
            defer { target.drop() }
            let (load, _) = try drctl(["load", object.path, target.conninfo, "--quiet"])
            #expect(load.status == 0, "the replaced backup does not load: \(load.stderr)")
            #expect(try Compare.contents(target.conninfo) == Compare.contents(source.conninfo))
        } else {
            expectFailure(out, status: 1, names: ["good"], "dump over an existing backup")
            #expect(after.0 == before.0, "the failed dump replaced the previous backup's object")
            #expect(after.1 == before.1, "the failed dump replaced the previous backup's manifest")
        }
        let hidden = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".upload-") }
        #expect(hidden.isEmpty, "temp files left: \(hidden)")
    }

    /// A malformed conninfo that carries a password: the error names the problem, never the password.
    @Test(arguments: ["host=127.0.0.1 port=54329 password=hunter2xyz bogus_key=1 dbname=postgres",
                      "postgresql://u:hunter2xyz@127.0.0.1:notaport/db",
                      "host=127.0.0.1 port=54329 password='hunter2xyz dbname=postgres"])
    func malformedConninfoKeepsPasswordSecret(_ conninfo: String) throws {
        let dir = try TestEnv.tempDirectory("fail-malformed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (out, _) = try drctl(["dump", conninfo, "--output", dir.appendingPathComponent("x.sql.gz").path])
        expectFailure(out, status: 2, names: [], forbidden: ["hunter2"], outputDir: dir, "malformed conninfo")
    }

    // MARK: usage

    @Test func usageErrors() throws {
        let dir = try TestEnv.tempDirectory("fail-usage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("x.sql.gz").path
        let conninfo = try #require(TestEnv.pgConninfo)
        let (unknown, _) = try drctl(["dump", conninfo, "--output", output, "--bogus-option", "3"])
        expectFailure(unknown, status: 2, names: ["--bogus-option"], outputDir: dir, "unknown dump option")
        let (unknownLoad, _) = try drctl(["load", output, conninfo, "--frobnicate"])
        expectFailure(unknownLoad, status: 2, names: ["--frobnicate"], outputDir: dir, "unknown load option")
        let (noConninfo, _) = try drctl(["dump", "--output", output])
        expectFailure(noConninfo, status: 2, names: ["CONNINFO"], outputDir: dir, "dump without CONNINFO")
        let (loadOne, _) = try drctl(["load", output])
        expectFailure(loadOne, status: 2, names: ["CONNINFO"], outputDir: dir, "load without CONNINFO")
        let (badJobs, _) = try drctl(["dump", conninfo, "--output", output, "--jobs", "0"])
        expectFailure(badJobs, status: 2, names: ["--jobs"], outputDir: dir, "dump --jobs 0")
    }
}
