import Foundation
import Postgres
import Support
import TestHelpers
import Testing

/// drd + drctl end to end against the real PostgreSQL (and moto for the S3 store).
@Suite(.enabled(if: TestEnv.hasPostgres), .serialized)
struct DaemonTests {
    static let policy = """
        [policy]
        name = app
        source = production
        schedule = hourly
        rpo = 2h
        rto = 4h
        retention = 30d
        drill_target = staging
        drill_check = SELECT count(*) > 0 FROM public.accounts

        """

    /// A source database with some data, plus a staging database with different content.
    func databases() throws -> (TestDatabase, TestDatabase) {
        let source = try TestDatabase(prefix: "dm_src")
        try source.psql("""
            CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2));
            INSERT INTO accounts (name, balance) SELECT 'acct ' || g, g * 1.5 FROM generate_series(1, 5000) g;
            CREATE INDEX accounts_name ON accounts (name);
            """)
        let staging = try TestDatabase(prefix: "dm_stg")
        try staging.psql("CREATE TABLE old_stuff (x int); INSERT INTO old_stuff VALUES (42);")
        return (source, staging)
    }

    /// Source and staging databases and a started daemon with the `app` policy.
    func startDaemon(productionProtected: Bool = false) throws -> (TestDatabase, TestDatabase, DaemonHarness) {
        let (source, staging) = try databases()
        let daemon = try DaemonHarness(environments: ["production": (source.conninfo, productionProtected),
                                                      "staging": (staging.conninfo, false)],
                                       policies: ["app.conf": Self.policy])
        try daemon.start()
        return (source, staging, daemon)
    }

    func listIDs(_ daemon: DaemonHarness) throws -> [String] {
        let out = try daemon.drctl(["list", "--json"], check: true).stdout
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        return (json?["backups"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    func backupAndRestore(storeURL: String?, extra: [String: String] = [:]) throws {
        let (source, staging) = try databases()
        defer { source.drop(); staging.drop() }
        let daemon = try DaemonHarness(storeURL: storeURL,
                                       environments: ["production": (source.conninfo, false), "staging": (staging.conninfo, false)],
                                       policies: ["app.conf": Self.policy], extraEnvironment: extra)
        defer { daemon.cleanup() }
        try daemon.start()

        let backup = try daemon.drctl(["backup", "app"])
        #expect(backup.status == 0, "drctl backup failed: \(backup.stderr)\n\(daemon.log)")
        let ids = try listIDs(daemon)
        #expect(ids.count == 1)
        let id = try #require(ids.first)

        let verify = try daemon.drctl(["verify", id])
        #expect(verify.status == 0, "verify failed: \(verify.stderr)")
        #expect(try daemon.drctl(["list", "--json"]).stdout.contains("\"verified\" : true"))

        // Database-level privileges and settings are not in a dump: the swap must carry them over.
        try staging.psql("REVOKE CONNECT, TEMPORARY ON DATABASE \(staging.name) FROM PUBLIC; ALTER DATABASE \(staging.name) SET work_mem = '8MB'")
        let restore = try daemon.drctl(["restore", id, "staging", "--yes"])
        #expect(restore.status == 0, "restore failed: \(restore.stderr)\n\(daemon.log)")
        let admin = try Connection(conninfo: try #require(TestEnv.pgConninfo))
        defer { admin.close() }
        #expect(try admin.scalar("SELECT has_database_privilege('public', $1, 'CONNECT')", [staging.name]) == "f")
        #expect(try admin.scalar("SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1", [staging.name]) == "work_mem=8MB")
        #expect(try Compare.contents(staging.conninfo) == Compare.contents(source.conninfo))
        #expect(try Compare.schema(staging.conninfo) == Compare.schema(source.conninfo))

        let status = try daemon.drctl(["status"])
        #expect(status.status == 0 && status.stdout.contains("app"))

        // --table replaces one table's rows and leaves the rest of staging alone.
        try staging.psql("DELETE FROM public.accounts WHERE id > 10; CREATE TABLE local_notes (t text); INSERT INTO local_notes VALUES ('keep');")
        let one = try daemon.drctl(["restore", id, "staging", "--table", "public.accounts", "--yes"])
        #expect(one.status == 0, "table restore failed: \(one.stderr)\n\(daemon.log)")
        let after = try Compare.contents(staging.conninfo)
        #expect(after["public.accounts"] == (try Compare.contents(source.conninfo))["public.accounts"])
        #expect(after["public.local_notes"]?.hasPrefix("1:") == true, "other tables must be untouched: \(after)")
        #expect(daemon.stop() == 0)
    }

    @Test func backupListRestoreOnFileStore() throws {
        try backupAndRestore(storeURL: nil)
    }

    @Test(.enabled(if: TestEnv.hasS3)) func backupListRestoreOnS3() throws {
        let endpoint = try #require(TestEnv.s3Endpoint)
        let bucket = TestEnv.uniqueName("drd-daemon").replacingOccurrences(of: "_", with: "-")
        let env = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                   "AWS_ENDPOINT_URL": endpoint]
        try Shell.run(["aws", "--endpoint-url", endpoint, "s3", "mb", "s3://\(bucket)"], environment: env)
        try backupAndRestore(storeURL: "s3://\(bucket)/backups", extra: env)
        let uploads = try Shell.run(["aws", "--endpoint-url", endpoint, "s3api", "list-multipart-uploads", "--bucket", bucket],
                                    environment: env).stdout
        #expect(!uploads.contains("UploadId"), "multipart uploads left over: \(uploads)")
    }

    @Test func damagedBackupsFailAndLeaveStagingUntouched() throws {
        let (source, staging, daemon) = try startDaemon()
        defer { daemon.cleanup(); source.drop(); staging.drop() }
        #expect(try daemon.drctl(["backup", "app"]).status == 0)
        let id = try #require(try listIDs(daemon).first)
        let before = try Compare.contents(staging.conninfo)
        let object = daemon.dir.appendingPathComponent("store/app/\(id).sql.gz").path

        // Corrupt a byte in the middle of the object.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: object)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: object))
        let corrupt = try daemon.drctl(["restore", id, "staging", "--yes"])
        #expect(corrupt.status == 1, "restore of a corrupt backup should fail: \(corrupt.stdout)")
        #expect(!corrupt.stderr.isEmpty)
        #expect(try Compare.contents(staging.conninfo) == before)
        #expect(try daemon.drctl(["verify", id]).status == 1)

        // Delete the object: the backup is unusable.
        try FileManager.default.removeItem(atPath: object)
        let missing = try daemon.drctl(["restore", id, "staging", "--yes"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("missing") || missing.stderr.contains("no backup"), "\(missing.stderr)")
        #expect(try Compare.contents(staging.conninfo) == before)
        // No scratch databases left behind.
        let leftovers = try Connection(conninfo: try #require(TestEnv.pgConninfo))
        defer { leftovers.close() }
        #expect(try leftovers.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_\\_drd\\_%'") == "0")
    }

    @Test func protectedEnvironmentNeedsFlagsAndConfirmation() throws {
        let (source, staging, daemon) = try startDaemon(productionProtected: true)
        defer { daemon.cleanup(); source.drop(); staging.drop() }
        #expect(try daemon.drctl(["backup", "app"]).status == 0)
        let id = try #require(try listIDs(daemon).first)
        let refused = try daemon.drctl(["restore", id, "production", "--yes"])
        #expect(refused.status == 1 && refused.stderr.contains("protected"), "\(refused.stderr)")
        let wrong = try daemon.drctl(["restore", id, "production", "--force-protected", "--confirm", "nope"])
        #expect(wrong.status == 1 && wrong.stderr.contains("typed back"), "\(wrong.stderr)")
        let right = try daemon.drctl(["restore", id, "production", "--force-protected", "--confirm", source.name])
        #expect(right.status == 0, "\(right.stderr)")
        #expect(try Compare.contents(source.conninfo)["public.accounts"] != nil)
    }

    @Test func badRequestsGetErrorsAndTheDaemonKeepsServing() throws {
        let (source, staging, daemon) = try startDaemon()
        defer { daemon.cleanup(); source.drop(); staging.drop() }
        let script = """
            import socket, sys, json
            def ask(payload):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
                try:
                    s.sendall(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # an oversized request is answered and closed before it is all sent
                data = b""
                while not data.endswith(b"\\n"):
                    try:
                        chunk = s.recv(65536)
                    except ConnectionResetError:
                        break
                    if not chunk: break
                    data += chunk
                s.close()
                return json.loads(data.split(b"\\n")[0])
            for payload in [b"this is not json\\n", b'{"version":1,"id":"x","verb":"explode","args":{}}\\n',
                            b'{"version":99,"id":"y","verb":"status","args":{}}\\n', b"x" * (2 << 20) + b"\\n"]:
                print(json.dumps(ask(payload))[:300])
            """
        let out = try Shell.run(["python3", "-c", script, daemon.socket], check: false)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.split(separator: "\n").count == 4)
        let replies = out.stdout.split(separator: "\n")
        #expect(replies.allSatisfy { $0.contains("\"ok\": false") && $0.contains("\"error\"") }, "\(out.stdout)")
        #expect(try daemon.drctl(["status"]).status == 0, "daemon stopped serving: \(daemon.log)")
    }

    @Test func otherUsersOutsideTheGroupAreRefused() throws {
        guard getuid() == 0 else { return }  // needs root to run a client as another uid
        let (source, staging, daemon) = try startDaemon()
        defer { daemon.cleanup(); source.drop(); staging.drop() }
        try Shell.run(["chmod", "755", daemon.dir.path])
        let out = try Shell.run(["runuser", "-u", "nobody", "--", TestEnv.binary("drctl"), "backup", "app", "--socket", daemon.socket],
                                check: false)
        #expect(out.status != 0)
        #expect(out.stderr.contains("refused") || out.stderr.contains("ermission"), "\(out.stderr)")
        #expect(try listIDs(daemon).isEmpty)
    }

    @Test func sigtermDuringBackupCancelsCleanly() throws {
        let source = try TestDatabase(prefix: "dm_big")
        let staging = try TestDatabase(prefix: "dm_big_stg")
        defer { source.drop(); staging.drop() }
        try source.psql("""
            CREATE TABLE big (id bigint, payload text);
            INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 600000) g;
            """)
        let daemon = try DaemonHarness(environments: ["production": (source.conninfo, false), "staging": (staging.conninfo, false)],
                                       policies: ["app.conf": Self.policy.replacingOccurrences(of: "drill_check = SELECT count(*) > 0 FROM public.accounts\n", with: "")])
        defer { daemon.cleanup() }
        try daemon.start()
        let client = Process()
        client.executableURL = URL(fileURLWithPath: TestEnv.binary("drctl"))
        client.arguments = ["backup", "app", "--socket", daemon.socket]
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        // Wait until the backup is copying data, then stop the daemon.
        let deadline = Date().addingTimeInterval(30)
        var sawJob = false
        while Date() < deadline {
            let jobs = try daemon.drctl(["jobs", "--json"]).stdout
            if jobs.contains("\"backup\"") { sawJob = true; break }  // any phase: cancellation is recorded either way
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(sawJob, "backup never started: \(daemon.log)")
        #expect(daemon.stop() == 0, "drd did not exit 0: \(daemon.log)")
        client.waitUntilExit()
        #expect(client.terminationStatus != 0)
        let store = daemon.dir.appendingPathComponent("store/app")
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: store.path)) ?? []
        #expect(!files.contains { $0.hasSuffix(".manifest.json") }, "a cancelled run left a manifest: \(files)")
        #expect(!files.contains { $0.hasSuffix(".sql.gz") || $0.contains(".upload") }, "a cancelled run left data: \(files)")
        let runs = files.filter { $0.hasPrefix("runs/") }
        #expect(runs.count == 1, "\(files)")
        if let run = runs.first {
            let text = try String(contentsOf: store.appendingPathComponent(run), encoding: .utf8)
            #expect(text.contains("\"cancelled\""), "\(text)")
        }
    }

    @Test func restoreIntoAServerWithoutTheSourceRolesReportsThem() throws {
        let (source, staging, daemon) = try startDaemon()
        defer { daemon.cleanup(); source.drop(); staging.drop() }
        let role = TestEnv.uniqueName("drd_gone")
        try source.psql("CREATE ROLE \(role); CREATE TABLE owned_by_gone (x int); ALTER TABLE owned_by_gone OWNER TO \(role); GRANT SELECT ON accounts TO \(role);")
        #expect(try daemon.drctl(["backup", "app"]).status == 0)
        let id = try #require(try listIDs(daemon).first)
        // The role disappears from the server before the restore.
        try source.psql("REASSIGN OWNED BY \(role) TO postgres; DROP OWNED BY \(role); DROP ROLE \(role);")
        let restore = try daemon.drctl(["restore", id, "staging", "--yes"])
        #expect(restore.status == 0, "\(restore.stderr)\n\(daemon.log)")
        #expect(restore.stdout.contains(role), "the missing role should be reported: \(restore.stdout)")
        #expect(try Compare.contents(staging.conninfo)["public.owned_by_gone"] != nil)
    }
}
#if canImport(Glibc)
import Glibc
#endif
