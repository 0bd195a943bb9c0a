import Foundation
import Postgres
import Support

/// Services the test script starts (scripts/test): a PostgreSQL 15 cluster and moto_server.
///
/// Integration tests are skipped when a service is not configured, unless
/// `DRD_TEST_REQUIRE_SERVICES=1` (set by scripts/test, so CI never silently skips them).
public enum TestEnv {
    static let env = ProcessInfo.processInfo.environment

    /// Superuser conninfo for the test cluster, e.g. `host=127.0.0.1 port=54329 user=postgres dbname=postgres`.
    public static var pgConninfo: String? { env["DRD_TEST_PG"] }

    /// moto_server base URL, e.g. `http://127.0.0.1:54330`.
    public static var s3Endpoint: String? { env["DRD_TEST_S3_ENDPOINT"] }

    public static var requireServices: Bool { env["DRD_TEST_REQUIRE_SERVICES"] == "1" }

    /// True when PostgreSQL tests should run (fails loudly when required but missing).
    public static var hasPostgres: Bool {
        if pgConninfo != nil { return true }
        precondition(!requireServices, "DRD_TEST_PG is not set but DRD_TEST_REQUIRE_SERVICES=1")
        return false
    }

    public static var hasS3: Bool {
        if s3Endpoint != nil { return true }
        precondition(!requireServices, "DRD_TEST_S3_ENDPOINT is not set but DRD_TEST_REQUIRE_SERVICES=1")
        return false
    }

    /// A fresh scratch directory under the test run's temp dir.
    public static func tempDirectory(_ label: String = "t") throws -> URL {
        let base = env["DRD_TEST_TMP"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        let dir = base.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A unique lowercase name with a prefix: `drdtest_ab12cd34`.
    public static func uniqueName(_ prefix: String = "drdtest") -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The repository root (for fixtures) and ../shared.
    public static var repoRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    public static var sharedDir: URL { repoRoot.deletingLastPathComponent().appendingPathComponent("shared") }
}

/// A throwaway database on the test cluster, dropped by `drop()`.
public final class TestDatabase: @unchecked Sendable {
    public let name: String
    public let conninfo: String

    /// Creates an empty database (template0, UTF8) with a unique name.
    public init(prefix: String = "drdtest") throws {
        guard let admin = TestEnv.pgConninfo else { throw DRDError(.config, "DRD_TEST_PG is not set") }
        name = TestEnv.uniqueName(prefix)
        let conn = try Connection(conninfo: admin)
        defer { conn.close() }
        try conn.execute("CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8'")
        conninfo = admin + " dbname=\(name)"
    }

    public func connect() throws -> Connection { try Connection(conninfo: conninfo) }

    /// Runs SQL through psql (-v ON_ERROR_STOP=1), returning stdout.
    @discardableResult
    public func psql(_ sql: String) throws -> String {
        try Shell.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql]).stdout
    }

    /// Runs a SQL file through psql.
    public func psqlFile(_ path: String) throws {
        _ = try Shell.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-f", path])
    }

    public func drop() {
        guard let admin = TestEnv.pgConninfo, let conn = try? Connection(conninfo: admin) else { return }
        defer { conn.close() }
        _ = try? conn.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// Runs external programs (psql, pg_dump, gunzip, aws) as oracles.
public enum Shell {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `argv` (looked up on PATH); throws when it exits non-zero unless `check` is false.
    @discardableResult
    public static func run(_ argv: [String], input: Data? = nil, environment: [String: String] = [:],
                           check: Bool = true) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            DispatchQueue.global().async {
                inPipe.fileHandleForWriting.write(input)
                try? inPipe.fileHandleForWriting.close()
            }
        }
        // Read both pipes concurrently so neither fills up and blocks the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let result = Output(status: process.terminationStatus,
                            stdout: String(decoding: outData, as: UTF8.self),
                            stderr: String(decoding: errData, as: UTF8.self))
        if check && result.status != 0 {
            throw DRDError(.internal, "\(argv.joined(separator: " ").prefix(200)) exited \(result.status): \(result.stderr.prefix(2000))")
        }
        return result
    }

    /// Runs a shell pipeline with bash -c.
    @discardableResult
    public static func bash(_ script: String, environment: [String: String] = [:], check: Bool = true) throws -> Output {
        try run(["bash", "-o", "pipefail", "-c", script], environment: environment, check: check)
    }
}

extension TestEnv {
    /// A built executable of this package (drd, drctl), found beside the test bundle.
    public static func binary(_ name: String) -> String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(name),
            repoRoot.appendingPathComponent(".build/debug/\(name)"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates[2].path
    }
}

/// Oracles for "restored equals source".
public enum Compare {
    /// `pg_dump --schema-only` of a database, with the per-run `\restrict` lines removed.
    public static func schema(_ conninfo: String) throws -> String {
        let out = try Shell.run(["pg_dump", "--schema-only", "-d", conninfo]).stdout
        return out.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    /// Per-table content fingerprints (order-independent): `schema.table -> count:md5`.
    public static func contents(_ conninfo: String) throws -> [String: String] {
        let conn = try Connection(conninfo: conninfo)
        defer { conn.close() }
        let tables = try conn.query("""
            SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
            ORDER BY 1
            """).records.map { $0.string("name") }
        var out: [String: String] = [:]
        for table in tables {
            let row = try conn.query("SELECT count(*) AS n, coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') AS h FROM ONLY \(table) t").records[0]
            out[table] = "\(row.string("n")):\(row.string("h"))"
        }
        return out
    }

    /// A unified diff of two texts (for failure messages), or nil when equal.
    public static func diff(_ a: String, _ b: String, labels: (String, String) = ("expected", "actual")) -> String? {
        guard a != b else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("drd-diff-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fa = dir.appendingPathComponent(labels.0), fb = dir.appendingPathComponent(labels.1)
        try? a.write(to: fa, atomically: true, encoding: .utf8)
        try? b.write(to: fb, atomically: true, encoding: .utf8)
        let out = (try? Shell.run(["diff", "-u", fa.path, fb.path], check: false).stdout) ?? "(diff failed)"
        return String(out.prefix(6000))
    }
}
