import Archive
import Postgres
import Storage
import Support
import Synchronization

/// Restores a drd artifact (`<id>.sql.gz` + its manifest) into an existing empty database:
/// globals (optional), pre-data on one connection, data members in parallel on `jobs`
/// connections, then post-data. Each member is fetched with a ranged GET of exactly its bytes,
/// hashed while it streams (SHA-256 against the manifest), decompressed, and executed in its own
/// transaction that commits only once the checksum matched — a damaged member never leaves
/// partial data behind. Loaded row counts are checked against the manifest per member and per
/// table. The first error stops every worker and names the member (index, section, table, chunk).
public struct ArtifactLoader: Sendable {
    /// Opens a stream of exactly `range` (half-open, in bytes) of the artifact object.
    public typealias Fetch = @Sendable (_ range: Range<Int64>) throws -> ByteSource

    public let manifest: Manifest
    public let conninfo: String
    public let options: LoadOptions
    private let fetch: Fetch
    /// Where the artifact is, for messages.
    private let location: String

    /// - Parameters:
    ///   - store: where `manifest.objectKey` lives (ranged GETs).
    ///   - manifest: the artifact's decoded manifest.
    ///   - conninfo: the target database (must exist; should be empty).
    public init(store: ObjectStore, manifest: Manifest, conninfo: String, options: LoadOptions = LoadOptions()) {
        let key = manifest.objectKey
        self.init(manifest: manifest, conninfo: conninfo, options: options,
                  location: "\(store.displayURL)/\(key)") { try store.get(key: key, range: $0) }
    }

    /// Loads from a local `.sql.gz` file (`drctl load FILE` with its manifest beside it).
    public init(file path: String, manifest: Manifest, conninfo: String, options: LoadOptions = LoadOptions()) {
        self.init(manifest: manifest, conninfo: conninfo, options: options, location: path) {
            try FileSource(path: path, range: $0)
        }
    }

    /// Loads from any ranged reader.
    public init(manifest: Manifest, conninfo: String, options: LoadOptions = LoadOptions(), location: String,
                fetch: @escaping Fetch) {
        self.manifest = manifest
        self.conninfo = conninfo
        self.options = options
        self.location = location
        self.fetch = fetch
    }

    typealias Planned = (index: Int, entry: MemberEntry)

    /// Runs the restore. Throws the first failure (`.corrupt` for checksum, gzip or row-count
    /// problems, the server's code for a failing statement, `.cancelled` on request).
    public func load() throws -> LoadResult {
        if let problem = manifest.inconsistency() {
            throw DRDError(.corrupt, "invalid manifest for '\(location)': \(problem)")
        }
        let all = manifest.members.enumerated().map { Planned($0.offset, $0.element) }
        let globals = options.applyGlobals ? all.filter { $0.entry.section == .globals } : []
        let pre = all.filter { $0.entry.section == .preData }
        let post = all.filter { $0.entry.section == .postData }
        var data = all.filter { $0.entry.section == .data }
        if let selected = options.tables {
            data = data.filter { selected.contains(TableName(schema: $0.entry.schema ?? "", table: $0.entry.table ?? "")) }
            let known = Set(manifest.tables.map { TableName(schema: $0.schema, table: $0.table) })
                .union(data.map { TableName(schema: $0.entry.schema ?? "", table: $0.entry.table ?? "") })
            let unknown = selected.subtracting(known).map(\.description).sorted()
            if !unknown.isEmpty {
                let what = unknown.count == 1 ? "table \(unknown[0]) is" : "tables \(unknown.joined(separator: ", ")) are"
                throw DRDError(.notFound, "\(what) not in backup '\(manifest.backupID)'",
                               hint: "name tables exactly as the manifest lists them (schema and name, unquoted)")
            }
        }
        let board = ProgressBoard(total: globals.count + pre.count + data.count + post.count, report: options.progress)
        let token = options.token ?? CancellationToken()

        let main = try Connection(conninfo: conninfo, applicationName: "drd load")
        defer { main.close() }
        if options.requireEmptyDatabase { try checkEmpty(main) }
        var result = LoadResult()
        for member in globals {
            var script = scriptOptions(member, token: token, board: board)
            script.skipExistingRoles = true  // a cluster often has some of the roles already
            try runMember(member, on: main, options: script, board: board, result: &result)
        }
        for member in pre {
            try runMember(member, on: main, options: scriptOptions(member, token: token, board: board), board: board, result: &result)
        }
        // Workers speak the encoding the script chose for the session (pg_dump's SET client_encoding).
        let encoding = try main.scalar("SHOW client_encoding") ?? "UTF8"
        let shared = Mutex(result)
        let next = Mutex(0)
        let queue = data
        if !queue.isEmpty {
            let workers = max(1, min(options.jobs, queue.count))
            try Parallel.run(workers, token: token) { _ in
                let conn = try Connection(conninfo: conninfo, applicationName: "drd load")
                defer { conn.close() }
                try conn.execute("SET client_encoding = \(Connection.quoteLiteral(encoding)); SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; SET row_security = off")
                while true {
                    try token.check()
                    let k = next.withLock { value -> Int in defer { value += 1 }; return value }
                    guard k < queue.count else { return }
                    var local = LoadResult()
                    try runMember(queue[k], on: conn, options: scriptOptions(queue[k], token: token, board: board),
                                  board: board, result: &local)
                    shared.withLock { $0.merge(local) }
                }
            }
        }
        result = shared.withLock { $0 }
        for member in post {
            try runMember(member, on: main, options: scriptOptions(member, token: token, board: board), board: board, result: &result)
        }
        try verifyTableRows(result)
        return result
    }

    // MARK: - One member

    private func scriptOptions(_ member: Planned, token: CancellationToken, board: ProgressBoard) -> ScriptOptions {
        let ticker = board.ticker()
        return ScriptOptions(singleTransaction: member.entry.section != .globals, skipMissingRoles: options.skipMissingRoles,
                             allowConnect: false, token: token,
                             progress: { ticker.rows($0.rowsCopied) },
                             name: member.entry.describe(index: member.index))
    }

    /// Streams one member from the store through SHA-256 and gunzip into a ScriptExecutor.
    private func runMember(_ member: Planned, on conn: Connection, options script: ScriptOptions,
                           board: ProgressBoard, result: inout LoadResult) throws {
        let entry = member.entry
        let name = entry.describe(index: member.index)
        do {
            try script.token?.check()
            let raw = try fetch(entry.offset..<(entry.offset + entry.compressedLength))
            let hashing = HashingSource(raw)
            let gzip = GzipReader(hashing, name: "\(location) \(name)")
            let executed = try ScriptExecutor(connection: conn, options: script).run(gzip, beforeCommit: {
                // Drain whatever the script did not need, then check the bytes before committing.
                var scratch = [UInt8](repeating: 0, count: 16 * 1024)
                while try scratch.withUnsafeMutableBytes({ try gzip.read(into: $0) }) > 0 {}
                while try scratch.withUnsafeMutableBytes({ try hashing.read(into: $0) }) > 0 {}
                if hashing.count != entry.compressedLength {
                    throw DRDError(.corrupt, "\(name): read \(hashing.count) bytes, manifest says \(entry.compressedLength)",
                                   hint: "the stored object is truncated or does not match its manifest")
                }
                let digest = hashing.finish()
                if digest != entry.sha256 {
                    throw DRDError(.corrupt, "\(name): SHA-256 \(digest) does not match the manifest's \(entry.sha256)",
                                   hint: "the stored object is damaged; use another backup")
                }
            })
            if entry.section == .data {
                let loaded = executed.totalRows
                if let expected = entry.rows, expected != loaded {
                    throw DRDError(.corrupt, "\(name): loaded \(loaded) rows, manifest says \(expected)")
                }
                if let schema = entry.schema, let table = entry.table {
                    result.rows[TableName(schema: schema, table: table), default: 0] += loaded
                }
            }
            result.absorb(executed, member: name)
            result.compressedBytes += hashing.count
            board.memberDone(bytes: hashing.count)
        } catch let error as DRDError {
            if error.code == .cancelled || error.message.hasPrefix(name) { throw error }
            throw error.context("loading \(name)")
        }
    }

    private func checkEmpty(_ conn: Connection) throws {
        let count = try conn.scalar("""
            SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
            """) ?? "0"
        if count != "0" {
            throw DRDError(.conflict, "database \"\(conn.databaseName)\" is not empty (\(count) tables, views or sequences); backup '\(manifest.backupID)' must be loaded into an empty database",
                           hint: "create a new database (CREATE DATABASE x TEMPLATE template0) and load into it")
        }
    }

    /// Every table the manifest counts (or only the selected one) got exactly its rows.
    private func verifyTableRows(_ result: LoadResult) throws {
        for expected in manifest.tables {
            let name = TableName(schema: expected.schema, table: expected.table)
            if let selected = options.tables, !selected.contains(name) { continue }
            let loaded = result.rows[name] ?? 0
            if loaded != expected.rows {
                throw DRDError(.corrupt, "table \(name): loaded \(loaded) rows, manifest of backup '\(manifest.backupID)' says \(expected.rows)",
                               hint: "the backup's data members do not add up to its table counts; use another backup")
            }
        }
    }
}

extension LoadResult {
    mutating func merge(_ other: LoadResult) {
        members += other.members
        compressedBytes += other.compressedBytes
        uncompressedBytes += other.uncompressedBytes
        for (table, rows) in other.rows { self.rows[table, default: 0] += rows }
        skipped += other.skipped
        missingRoles = Array(Set(missingRoles + other.missingRoles)).sorted()
    }
}

/// Aggregates progress from every worker and reports totals.
final class ProgressBoard: Sendable {
    private let state: Mutex<LoadProgress>
    private let report: (@Sendable (LoadProgress) -> Void)?

    init(total: Int, report: (@Sendable (LoadProgress) -> Void)?) {
        state = Mutex(LoadProgress(bytes: 0, rows: 0, membersDone: 0, membersTotal: total))
        self.report = report
    }

    /// A per-member view that turns the executor's running row count into deltas.
    func ticker() -> Ticker { Ticker(board: self) }

    // Reports are made under the lock so callers see totals in order (callbacks must be quick).
    func add(rows: Int64) {
        state.withLock { $0.rows += rows; report?($0) }
    }

    func memberDone(bytes: Int64) {
        state.withLock { $0.bytes += bytes; $0.membersDone += 1; report?($0) }
    }

    final class Ticker: Sendable {
        private let board: ProgressBoard
        private let last = Mutex<Int64>(0)
        init(board: ProgressBoard) { self.board = board }
        func rows(_ total: Int64) {
            let delta = last.withLock { value -> Int64 in defer { value = total }; return total - value }
            if delta > 0 { board.add(rows: delta) }
        }
    }
}
