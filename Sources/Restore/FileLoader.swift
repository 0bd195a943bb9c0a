import Archive
import Foundation
import Postgres
import Support

/// `drctl load FILE CONNINFO [--jobs N]` in one call: a drd artifact when its manifest sits beside
/// the file (`x.sql.gz` → `x.manifest.json`; members in parallel, checksums checked), otherwise
/// any plain SQL script — stock `pg_dump` output, gzip'd or not — executed like psql.
public enum FileLoader {
    /// Which path a load took and what it did.
    public enum Outcome: Sendable, Equatable {
        case artifact(LoadResult)
        case script(ScriptResult)

        /// Rows loaded, whichever path.
        public var totalRows: Int64 {
            switch self {
            case .artifact(let r): return r.totalRows
            case .script(let r): return r.totalRows
            }
        }
    }

    /// Loads `path` into the existing database `conninfo`.
    ///
    /// - Parameters:
    ///   - options: jobs, roles, cancellation, progress (for a plain script: `jobs` and
    ///     `tables` do not apply; progress reports bytes of SQL and rows, with no member counts).
    ///   - allowConnect: follow `\connect` in pg_dump `--create` scripts (plain scripts only).
    public static func load(path: String, conninfo: String, options: LoadOptions = LoadOptions(),
                            allowConnect: Bool = false) throws -> Outcome {
        let manifestPath = Manifest.key(forObjectKey: path)
        if manifestPath != path, FileManager.default.fileExists(atPath: manifestPath) {
            let bytes = try FileSource(path: manifestPath).readAll(limit: 64 << 20)
            let manifest = try Manifest.decode(bytes, source: manifestPath)
            return .artifact(try ArtifactLoader(file: path, manifest: manifest, conninfo: conninfo, options: options).load())
        }
        if options.tables != nil {
            throw DRDError(.usage, "'\(path)' has no manifest beside it, so tables cannot be selected",
                           hint: "restoring selected tables needs a drd backup with its .manifest.json")
        }
        let source = GzipReader(try FileSource(path: path), name: path, allowPlain: true)
        return .script(try loadScript(source, name: path, conninfo: conninfo, options: options, allowConnect: allowConnect))
    }

    /// Executes a plain SQL script from any source (already opened, e.g. a store object wrapped in
    /// `GzipReader(…, allowPlain: true)`) into `conninfo`.
    public static func loadScript(_ source: ByteSource, name: String, conninfo: String,
                                  options: LoadOptions = LoadOptions(), allowConnect: Bool = false) throws -> ScriptResult {
        let conn = try Connection(conninfo: conninfo, applicationName: "drd load")
        defer { conn.close() }
        var script = ScriptOptions(skipMissingRoles: options.skipMissingRoles, allowConnect: allowConnect,
                                   token: options.token, name: name)
        if let report = options.progress {
            script.progress = { @Sendable (p: ScriptProgress) -> Void in
                report(LoadProgress(bytes: p.bytesRead, rows: p.rowsCopied, membersDone: 0, membersTotal: 0))
            }
        }
        return try ScriptExecutor(connection: conn, conninfo: conninfo, options: script).run(source)
    }
}
