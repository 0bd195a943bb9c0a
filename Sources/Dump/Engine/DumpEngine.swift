import Archive
import Foundation
import Postgres
import Storage
import Support
import Synchronization

/// drd's logical backup: pg_dump-equivalent output written natively over libpq.
///
/// Produces `<key>` (a `.sql.gz` of concatenated gzip members: globals, pre-data, data chunks,
/// post-data) and then, only once that object is committed and its size verified on the store,
/// `<key minus .sql.gz>.manifest.json` — the commit marker. Any failure or cancellation aborts the
/// upload, so nothing that looks finished is ever left behind.
public enum DumpEngine {
    public static let toolVersion = "drd 0.1.0"

    /// Dumps the database at `conninfo` into `store` under `objectKey`; returns the committed manifest.
    @discardableResult
    public static func run(conninfo: String, store: any ObjectStore, objectKey: String, options: DumpOptions,
                           token: CancellationToken = CancellationToken(),
                           progress: DumpProgressHandler? = nil) throws -> Manifest {
        try options.validate()
        let started = Date()
        // Never replace an existing backup: the object would be renamed over the old one before the
        // (conditional) manifest write fails, losing the old backup.
        let manifestKey = Manifest.key(forObjectKey: objectKey)
        for key in [manifestKey, objectKey] where key != "-" {
            if try store.head(key: key) != nil {
                throw DRDError(.conflict, "'\(key)' already exists on \(store.displayURL): drd never overwrites a backup",
                               hint: "choose a new name (the default name includes the backup id), or delete the old backup first")
            }
        }
        let tracker = ProgressTracker(startedAt: started, handler: progress)
        tracker.update { $0.phase = .connecting }

        let snapshot = try DumpSnapshot.open(conninfo: conninfo, lockTimeout: options.lockTimeout)
        defer { snapshot.finish() }
        let cancelWatch = CancelWatcher.start(token: token, connection: snapshot.leader)
        defer { cancelWatch?.stop() }

        tracker.update { $0.phase = .locking }
        _ = try snapshot.lockTables(token: token)
        try token.check()

        tracker.update { $0.phase = .schema }
        var schemaOptions = SchemaOptions()
        schemaOptions.includeGlobals = options.includeGlobals
        schemaOptions.includePasswords = options.includePasswords
        let schema = try SchemaReader.read(snapshot.leader, options: schemaOptions)
        let database = snapshot.leader.databaseName

        let upload = try store.beginUpload(key: objectKey)
        do {
            let writer = ArtifactWriter(sink: upload)
            let title = "drd logical backup of database \(database) (PostgreSQL \(snapshot.leader.serverVersion)), snapshot \(Timestamp.iso8601Millis(snapshot.snapshotTime)), id \(options.backupID)"
            let level = options.compressLevel

            // Globals, then pre-data, in their own members.
            if options.includeGlobals, !schema.globals.isEmpty {
                let text = ScriptHeader.full(encoding: snapshot.encoding, title: "\(title): roles and tablespaces") + schema.globals
                _ = try writer.append(try compress(text, level: level, section: .globals))
            }
            _ = try writer.append(try compress(ScriptHeader.full(encoding: snapshot.encoding, title: title) + schema.preData,
                                               level: level, section: .preData))

            // Table data: largest first so parallel workers finish together.
            tracker.update {
                $0.phase = .data
                $0.tablesTotal = schema.tables.count
                $0.estimatedBytes = schema.tables.reduce(0) { $0 + $1.estimatedBytes }
            }
            let rowCounts = try copyTables(schema.tables, snapshot: snapshot, conninfo: conninfo, writer: writer,
                                           upload: upload, options: options, token: token, tracker: tracker)

            // Large objects: data members written by the leader, cut after the object that fills a
            // chunk (each object's writes are a self-contained transaction).
            var largeObjects: MemberCompressor?
            for oid in schema.largeObjects {
                try token.check()
                if largeObjects == nil {
                    largeObjects = try MemberCompressor(level: level, section: .data)
                    try largeObjects?.write(ScriptHeader.dataMember(encoding: snapshot.encoding))
                }
                if let member = largeObjects {
                    try SchemaReader.writeLargeObject(snapshot.leader, oid: oid, to: member)
                    if member.uncompressedCount >= Int64(options.chunkBytes) {
                        _ = try writer.append(try member.finish(rows: nil))  // not COPY rows: nothing to count
                        largeObjects = nil
                    }
                }
            }
            if let member = largeObjects { _ = try writer.append(try member.finish(rows: nil)) }

            tracker.update { $0.phase = .postData }
            let postData = ScriptHeader.full(encoding: snapshot.encoding, title: "\(title): post-data") + schema.postData
            _ = try writer.append(try compress(postData, level: level, section: .postData))
            try token.check()

            tracker.update { $0.phase = .committing; $0.bytesOut = writer.compressedSize }
            let sha256 = writer.finish()
            let info = try upload.commit()
            guard info.size == writer.compressedSize else {
                throw DRDError(.storage, "uploaded object '\(objectKey)' has \(info.size) bytes on \(store.displayURL), expected \(writer.compressedSize)")
            }

            let manifest = Manifest(
                formatVersion: Manifest.currentFormatVersion, backupID: options.backupID, policy: options.policy,
                database: database, serverVersion: snapshot.leader.serverVersion,
                serverVersionNum: snapshot.leader.serverVersionNum, snapshotTime: snapshot.snapshotTime,
                completedTime: Date(), objectKey: (objectKey as NSString).lastPathComponent,
                compressedSize: writer.compressedSize, uncompressedSize: writer.uncompressedSize, sha256: sha256,
                members: writer.members, tables: rowCounts, globalsIncluded: options.includeGlobals && !schema.globals.isEmpty,
                tool: toolVersion, jobs: options.jobs, compressLevel: options.compressLevel)
            // The manifest is the commit marker: written last, never over an existing one.
            try store.putSmall(key: manifestKey, data: try manifest.encoded(), ifAbsent: true)
            tracker.update { $0.phase = .done }
            return manifest
        } catch {
            upload.abort()
            if token.isCancelled {
                throw DRDError(.cancelled, "dump of \(database) cancelled: \(token.reason); nothing was committed")
            }
            throw error
        }
    }

    static func compress(_ text: String, level: Int, section: Section) throws -> CompressedMember {
        let member = try MemberCompressor(level: level, section: section)
        try member.write(text)
        return try member.finish(rows: nil)
    }

    /// Copies every table on `jobs` connections sharing the snapshot. Members are appended to the
    /// artifact as they finish (each is self-contained, so order does not matter for restore).
    static func copyTables(_ tables: [TableData], snapshot: DumpSnapshot, conninfo: String, writer: ArtifactWriter,
                           upload: ObjectUpload, options: DumpOptions, token: CancellationToken,
                           tracker: ProgressTracker) throws -> [TableRows] {
        let ordered = tables.sorted { ($0.estimatedBytes, $1.qualifiedName) > ($1.estimatedBytes, $0.qualifiedName) }
        let queue = Mutex<Int>(0)
        let results = Mutex<[String: TableRows]>([:])
        // The writer and the upload are not thread-safe: one lock serialises appends. A worker holds
        // at most one finished member while it waits, which keeps memory at about chunk × jobs.
        let sink = SerialAppender(writer: writer)
        let jobs = min(options.jobs, max(ordered.count, 1))
        let shared = UncheckedBox((snapshot, ordered))
        // Workers share a child token: a failing worker stops its siblings without making the
        // caller's token (the job) look cancelled, so the real error is what gets reported.
        let token = token.child()

        try Parallel.run(jobs, token: token) { index in
            let (snapshot, ordered) = shared.value
            // Worker 0 of a single-job dump reuses the leader's connection (no export needed).
            let conn = jobs == 1 ? snapshot.leader : try snapshot.worker(conninfo: conninfo, index: index)
            defer { if jobs > 1 { conn.close() } }
            let watch = jobs == 1 ? nil : CancelWatcher.start(token: token, connection: conn)
            defer { watch?.stop() }
            while true {
                try token.check()
                let next: Int = queue.withLock { n in defer { n += 1 }; return n }
                guard next < ordered.count else { return }
                let table = ordered[next]
                let copier = TableCopier(
                    table: table, encoding: snapshot.encoding, compressLevel: options.compressLevel,
                    chunkBytes: options.chunkBytes, token: token,
                    emit: { member in
                        let out = try sink.append(member)
                        tracker.update { $0.bytesOut = out }
                    },
                    progress: { rows, bytes in tracker.update { $0.rows += rows; $0.bytesIn += bytes } })
                let rows = try copier.run(on: conn)
                results.withLock { $0[table.qualifiedName] = TableRows(schema: table.schema, table: table.name, rows: rows) }
                tracker.update { $0.tablesDone += 1 }
            }
        }
        let counted = results.withLock { $0 }
        return tables.compactMap { counted[$0.qualifiedName] }
    }
}

/// Serialises appends of finished members to the artifact.
final class SerialAppender: @unchecked Sendable {
    private let lock = NSLock()
    private let writer: ArtifactWriter
    init(writer: ArtifactWriter) { self.writer = writer }

    /// Appends and returns the compressed size so far.
    func append(_ member: CompressedMember) throws -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        _ = try writer.append(member)
        return writer.compressedSize
    }
}

/// Carries values that are only used by one thread at a time into `@Sendable` closures.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
