import Archive
import Foundation
import Postgres
import Restore
import Storage
import Support

/// What to load and where.
public struct LoadRequest: Sendable {
    /// The target database (must exist).
    public var conninfo: String
    public var jobs = 1
    public var singleTransaction = false
    /// Apply the backup's roles/tablespaces member (drd artifacts only).
    public var applyGlobals = true
    /// Restore only this table's data (`schema.table`); pre- and post-data are restored whole.
    public var table: String?
    /// Refuse a target that already has user relations (a load never merges into live data).
    public var requireEmpty = true
    /// Skip `OWNER TO`/`GRANT` statements naming roles the target server lacks, and report them.
    public var skipMissingRoles = false

    public init(conninfo: String) { self.conninfo = conninfo }
}

public struct LoadProgressUpdate: Sendable {
    public var phase: String
    public var bytesDone: Int64
    public var totalBytes: Int64
    public var rows: Int64
}

public struct LoadSummary: Sendable {
    /// The manifest, when the object was a drd artifact.
    public var manifest: Manifest?
    /// Rows loaded per table (`schema.table`).
    public var rowsByTable: [String: Int64]
    /// Roles the target lacked, whose statements were skipped.
    public var missingRoles: [String]
    public var seconds: Double
    public var database: String

    public var totalRows: Int64 { rowsByTable.values.reduce(0, +) }

    public var summary: String {
        var text = "loaded \(manifest == nil ? "SQL script" : "backup \(manifest?.backupID ?? "")") into \(database): "
        text += "\(rowsByTable.count) tables, \(totalRows) rows in \(String(format: "%.1f", seconds)) s"
        if !missingRoles.isEmpty { text += "\n  skipped statements for missing roles: \(missingRoles.joined(separator: ", "))" }
        return text
    }
}

public typealias LoadProgressHandler = @Sendable (LoadProgressUpdate) -> Void

/// `drctl load`: restores a drd artifact (using its manifest: checksums, parallel data) or any
/// plain SQL script — stock `pg_dump` output, gzip'd or not — into an existing database.
public enum LoadService {
    public static func load(from source: ObjectTarget, request: LoadRequest, token: CancellationToken,
                            progress: LoadProgressHandler? = nil) throws -> LoadSummary {
        let started = Date()
        if request.requireEmpty { try checkEmpty(request.conninfo) }
        let manifest = try readManifest(source)
        if let manifest {
            guard !request.singleTransaction else {
                throw DRDError(.usage, "--single-transaction does not apply to drd backups such as '\(source.describe)'",
                               hint: "drd backups load in parallel, each data member in its own transaction that commits only after its checksum matches; load into a new database and drop it if the load fails")
            }
            return try loadArtifact(source, manifest: manifest, request: request, token: token,
                                    started: started, progress: progress)
        }
        guard request.table == nil else {
            throw DRDError(.usage, "--table needs a drd backup with a manifest; '\(source.describe)' has none",
                           hint: "restore the whole script, or use a drd backup")
        }
        return try loadScript(source, request: request, token: token, started: started, progress: progress)
    }

    /// The manifest beside the object, if there is one (its absence means: a plain SQL script).
    public static func readManifest(_ source: ObjectTarget) throws -> Manifest? {
        let key = Manifest.key(forObjectKey: source.key)
        guard key != source.key, try source.store.head(key: key) != nil else { return nil }
        return try Manifest.decode(try source.store.getAll(key: key), source: key)
    }

    static func loadScript(_ source: ObjectTarget, request: LoadRequest, token: CancellationToken, started: Date,
                           progress: LoadProgressHandler?) throws -> LoadSummary {
        guard let total = try source.store.head(key: source.key)?.size else {
            throw DRDError(.notFound, "no such backup or file: '\(source.describe)'")
        }
        let raw = CountingSource(try source.store.get(key: source.key))
        let text = GzipReader(raw, name: source.describe, allowPlain: true)
        let conn = try Connection(conninfo: request.conninfo, applicationName: "drd load")
        defer { conn.close() }
        var options = ScriptOptions()
        options.singleTransaction = request.singleTransaction
        options.skipMissingRoles = request.skipMissingRoles
        options.token = token
        options.name = source.describe
        options.progress = { (p: ScriptProgress) in
            progress?(LoadProgressUpdate(phase: "loading", bytesDone: raw.count, totalBytes: total, rows: p.rowsCopied))
        }
        let executor = ScriptExecutor(connection: conn, conninfo: request.conninfo, options: options)
        let result = try executor.run(text)
        return LoadSummary(manifest: nil, rowsByTable: result.rowsCopied, missingRoles: result.missingRoles,
                          seconds: Date().timeIntervalSince(started), database: conn.databaseName)
    }

    static func loadArtifact(_ source: ObjectTarget, manifest: Manifest, request: LoadRequest, token: CancellationToken,
                             started: Date, progress: LoadProgressHandler?) throws -> LoadSummary {
        guard let head = try source.store.head(key: source.key) else {
            throw DRDError(.notFound, "backup object '\(source.describe)' is missing: its manifest exists but the data does not",
                           hint: "the backup cannot be restored; pick another one (drctl list)")
        }
        guard head.size == manifest.compressedSize else {
            throw DRDError(.corrupt, "backup object '\(source.describe)' has \(head.size) bytes, its manifest says \(manifest.compressedSize)")
        }
        var options = LoadOptions()
        options.jobs = request.jobs
        options.applyGlobals = request.applyGlobals
        options.skipMissingRoles = request.skipMissingRoles
        options.requireEmptyDatabase = request.requireEmpty
        options.token = token
        if let table = request.table {
            let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
            let name = parts.count == 2 ? TableName(schema: parts[0], table: parts[1]) : TableName(schema: "public", table: table)
            guard manifest.tables.contains(where: { $0.schema == name.schema && $0.table == name.table }) else {
                throw DRDError(.notFound, "backup \(manifest.backupID) has no table \(name)", hint: "drctl list --json shows the tables of a backup")
            }
            options.onlyTable = name
        }
        let total = manifest.compressedSize
        options.progress = { (p: Restore.LoadProgress) in
            progress?(LoadProgressUpdate(phase: "loading", bytesDone: p.bytes, totalBytes: total, rows: p.rows))
        }
        let store = source.store
        let key = source.key
        let loader = ArtifactLoader(manifest: manifest, conninfo: request.conninfo, options: options,
                                    location: source.describe) { range in try store.get(key: key, range: range) }
        let result: Restore.LoadResult = try loader.load()
        var rows: [String: Int64] = [:]
        for (name, count) in result.rows { rows["\(name.schema).\(name.table)"] = count }
        let database = Conninfo.database(request.conninfo) ?? ""
        return LoadSummary(manifest: manifest, rowsByTable: rows, missingRoles: result.missingRoles,
                          seconds: Date().timeIntervalSince(started), database: database)
    }

    /// Refuses a target with user tables, views or sequences: loads go into new, empty databases.
    static func checkEmpty(_ conninfo: String) throws {
        let conn = try Connection(conninfo: conninfo, applicationName: "drd load")
        defer { conn.close() }
        let count = try conn.scalar("""
            SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
              AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            """) ?? "0"
        if count != "0" {
            throw DRDError(.conflict, "database \(conn.databaseName) on \(conn.displayName) is not empty (\(count) relations)",
                           hint: "load into a new database (createdb NAME), or pass --allow-nonempty to load anyway")
        }
    }
}

/// Counts bytes read through it (progress against the compressed size).
final class CountingSource: ByteSource, @unchecked Sendable {
    private let upstream: ByteSource
    private(set) var count: Int64 = 0
    init(_ upstream: ByteSource) { self.upstream = upstream }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try upstream.read(into: buffer)
        count += Int64(n)
        return n
    }
}
