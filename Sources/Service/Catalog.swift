import Archive
import Compliance
import Foundation
import Storage
import Support

/// Everything the store knows about one policy: committed backups (manifests), run and drill
/// records, and the raw listing (for orphan detection). The store is the source of truth, so a new
/// host with the same config rebuilds the same history from it.
public struct StoreHistory: Sendable {
    public var policy: String
    public var backups: [BackupRecord]
    public var manifests: [String: Manifest]
    public var runs: [RunRecord]
    public var drills: [DrillRecord]
    public var objects: [ObjectInfo]
    /// Records that could not be read, with why (reported, never fatal).
    public var problems: [String]

    public func manifest(for id: String) -> Manifest? { manifests[id] }
    public var newestBackup: BackupRecord? { backups.last }
}

/// Reads and writes the store layout: `<policy>/<id>.sql.gz`, `<policy>/<id>.manifest.json`,
/// `<policy>/runs/<run-id>.json`, `<policy>/drills/<drill-id>.json`.
public final class Catalog: @unchecked Sendable {
    public let store: any ObjectStore
    /// Manifests, run and drill records are immutable once written, so they are cached by key:
    /// a history read costs one listing plus the records written since the last read.
    private let cache = NSCache<NSString, ManifestBox>()
    private let records = NSCache<NSString, RecordBox>()

    public init(store: any ObjectStore) { self.store = store }

    public static func objectKey(policy: String, id: String) -> String { "\(policy)/\(id).sql.gz" }
    public static func manifestKey(policy: String, id: String) -> String { "\(policy)/\(id).manifest.json" }
    public static func runKey(policy: String, runID: String) -> String { "\(policy)/runs/\(runID).json" }
    public static func drillKey(policy: String, drillID: String) -> String { "\(policy)/drills/\(drillID).json" }
    /// Written when `drctl verify` re-read a backup and every checksum matched.
    public static func verifiedKey(policy: String, id: String) -> String { "\(policy)/verified/\(id).json" }

    public func history(policy: String) throws -> StoreHistory {
        let objects = try store.list(prefix: "\(policy)/")
        var manifests: [String: Manifest] = [:]
        var runs: [RunRecord] = []
        var drills: [DrillRecord] = []
        var problems: [String] = []
        var verifiedIDs = Set<String>()
        for object in objects {
            let rest = object.key.dropFirst(policy.count + 1)
            do {
                if rest.hasPrefix("runs/"), rest.hasSuffix(".json") {
                    runs.append(try record(object.key) { try RecordCoding.decodeRun($0, source: object.key) })
                } else if rest.hasPrefix("drills/"), rest.hasSuffix(".json") {
                    drills.append(try record(object.key) { try RecordCoding.decodeDrill($0, source: object.key) })
                } else if rest.hasPrefix("verified/"), rest.hasSuffix(".json") {
                    verifiedIDs.insert(String(rest.dropFirst("verified/".count).dropLast(".json".count)))
                } else if !rest.contains("/"), rest.hasSuffix(".manifest.json") {
                    let manifest = try loadManifest(key: object.key)
                    manifests[manifest.backupID] = manifest
                }
            } catch {
                problems.append("\(object.key): \(error)")
            }
        }
        let drilledIDs = Set(drills.filter(\.passed).map(\.backupID))
        let sizes = Dictionary(objects.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        var backups: [BackupRecord] = []
        for manifest in manifests.values {
            let objectKey = "\(policy)/\(manifest.objectKey)"
            // A manifest whose object is gone is not a restorable backup.
            guard sizes[objectKey] != nil else {
                problems.append("\(objectKey): manifest present but the object is missing")
                continue
            }
            backups.append(BackupRecord(
                id: manifest.backupID, policy: policy, snapshotTime: manifest.snapshotTime,
                completedTime: manifest.completedTime, compressedSize: manifest.compressedSize,
                uncompressedSize: manifest.uncompressedSize,
                rows: manifest.tables.reduce(0) { $0 + $1.rows }, tables: manifest.tables.count,
                verified: drilledIDs.contains(manifest.backupID) || verifiedIDs.contains(manifest.backupID),
                drilled: drilledIDs.contains(manifest.backupID)))
        }
        backups.sort { ($0.completedTime, $0.id) < ($1.completedTime, $1.id) }
        runs.sort { $0.startedAt < $1.startedAt }
        drills.sort { $0.startedAt < $1.startedAt }
        return StoreHistory(policy: policy, backups: backups, manifests: manifests, runs: runs, drills: drills,
                             objects: objects, problems: problems)
    }

    /// A run or drill record, read once.
    private func record<T>(_ key: String, decode: (Data) throws -> T) throws -> T {
        if let cached = records.object(forKey: key as NSString)?.value as? T { return cached }
        let value = try decode(Data(try store.getAll(key: key)))
        records.setObject(RecordBox(value), forKey: key as NSString)
        return value
    }

    public func loadManifest(key: String) throws -> Manifest {
        if let cached = cache.object(forKey: key as NSString) { return cached.manifest }
        let manifest = try Manifest.decode(try store.getAll(key: key), source: key)
        cache.setObject(ManifestBox(manifest), forKey: key as NSString)
        return manifest
    }

    public func write(run: RunRecord) throws {
        try store.putSmall(key: Self.runKey(policy: run.policy, runID: run.runID),
                           data: Array(try RecordCoding.encode(run)), ifAbsent: false)
    }

    /// Records a successful verification (a small JSON marker beside the backup).
    public func markVerified(policy: String, id: String, bytes: Int64, members: Int) throws {
        let record: [String: String] = ["backupID": id, "verifiedAt": Timestamp.iso8601Millis(Date()),
                                        "bytes": "\(bytes)", "members": "\(members)"]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .prettyPrinted])
        try store.putSmall(key: Self.verifiedKey(policy: policy, id: id), data: Array(data) + [0x0A], ifAbsent: false)
    }

    public func write(drill: DrillRecord) throws {
        try store.putSmall(key: Self.drillKey(policy: drill.policy, drillID: drill.drillID),
                           data: Array(try RecordCoding.encode(drill)), ifAbsent: false)
    }

    /// Finds a backup by id across policies (ids are unique), returning its policy and manifest.
    public func find(backupID: String, policies: [String]) throws -> (policy: String, manifest: Manifest)? {
        for policy in policies {
            let key = Self.manifestKey(policy: policy, id: backupID)
            if try store.head(key: key) != nil { return (policy, try loadManifest(key: key)) }
        }
        return nil
    }
}

final class RecordBox {
    let value: Any
    init(_ value: Any) { self.value = value }
}

final class ManifestBox {
    let manifest: Manifest
    init(_ manifest: Manifest) { self.manifest = manifest }
}
