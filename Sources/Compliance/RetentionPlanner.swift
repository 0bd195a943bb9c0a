import Foundation
import Support

/// Retention settings of one policy (`retention`, `min_keep`).
public struct RetentionPolicy: Codable, Sendable, Hashable {
    /// Backups whose snapshot is younger than this are always kept.
    public var window: TimeInterval
    /// Beyond the window, a backup is deleted only while at least this many newer backups are kept.
    public var minKeep: Int
    /// Abandoned multipart uploads and orphaned objects are removed only when older than this.
    public var staleAfter: TimeInterval

    public init(window: TimeInterval = 30 * 86_400, minKeep: Int = 3, staleAfter: TimeInterval = 86_400) {
        self.window = window
        self.minKeep = max(0, minKeep)
        self.staleAfter = staleAfter
    }
}

/// What to do with one backup, and why.
public struct BackupDecision: Codable, Sendable, Hashable {
    public enum Action: String, Codable, Sendable { case keep, delete }

    /// Why a backup is kept or deleted; `rawValue` is the stable JSON spelling.
    public enum Reason: String, Codable, Sendable {
        case pruningSuspended = "pruning-suspended"   // the last backup run failed
        case fromTheFuture = "from-the-future"       // snapshot after `now`: clock jump; never judged
        case newestBackup = "newest-backup"
        case newestDrilled = "newest-drilled"
        case insideWindow = "inside-window"
        case minKeep = "min-keep"                   // needed so min_keep newer backups remain
        case expired = "expired"                    // beyond the window with min_keep newer kept

        /// One line for `drctl prune --dry-run`.
        public var explanation: String {
            switch self {
            case .pruningSuspended: return "pruning suspended: the last backup run failed"
            case .fromTheFuture: return "snapshot time is after now (clock jump): kept"
            case .newestBackup: return "newest backup"
            case .newestDrilled: return "newest backup that passed a drill"
            case .insideWindow: return "inside the retention window"
            case .minKeep: return "needed to keep min_keep backups"
            case .expired: return "older than the retention window and min_keep newer backups remain"
            }
        }
    }

    public var backupID: String
    public var snapshotTime: Date
    public var compressedSize: Int64
    public var action: Action
    public var reason: Reason
    /// Store keys to delete for this backup, manifest first so it stops being listed as a backup
    /// before its data goes (a half-finished delete leaves an orphan, never a manifest without data).
    public var keys: [String]
}

/// An object to remove that no manifest claims (e.g. the data of a crashed backup).
public struct OrphanDecision: Codable, Sendable, Hashable {
    public var key: String
    public var size: Int64
    public var lastModified: Date
}

/// The result of `RetentionPlanner.plan`: decisions for every backup, uploads to abort, orphans.
public struct RetentionPlan: Codable, Sendable, Hashable {
    public static let formatVersion = 1
    public var formatVersion: Int = RetentionPlan.formatVersion
    public var policy: String
    public var asOf: Date
    public var retention: RetentionPolicy
    /// False when the plan was suspended because the last run failed.
    public var pruningAllowed: Bool
    /// Newest first.
    public var backups: [BackupDecision]
    public var abortUploads: [PendingUploadInfo]
    public var deleteOrphans: [OrphanDecision]

    public var deletions: [BackupDecision] { backups.filter { $0.action == .delete } }
    public var kept: [BackupDecision] { backups.filter { $0.action == .keep } }
    /// True when applying the plan changes nothing.
    public var isEmpty: Bool { deletions.isEmpty && abortUploads.isEmpty && deleteOrphans.isEmpty }
    public var bytesFreed: Int64 {
        deletions.reduce(0) { $0 + $1.compressedSize } + deleteOrphans.reduce(0) { $0 + $1.size }
    }
}

/// Decides what retention deletes. Pure: the daemon lists the store and applies the plan.
///
/// A backup is deleted only when ALL hold: the last run succeeded; its snapshot is not in the
/// future; it is older than the window; it is neither the newest backup nor the newest drilled
/// one; and at least `minKeep` newer, kept, non-future backups remain. So a policy that has been
/// failing for 40 days deletes nothing, and the last good backup survives everything.
public enum RetentionPlanner {
    public static func plan(backups: [BackupRecord], runs: [RunRecord] = [],
                            drills: [DrillRecord] = [], objects: [ObjectListing] = [],
                            pending: [PendingUploadInfo] = [], policy: RetentionPolicy = RetentionPolicy(),
                            now: Date, lastRunSucceeded: Bool,
                            policyName: String? = nil) -> RetentionPlan {
        let name = policyName ?? backups.first?.policy ?? ""
        // Newest first; ties broken by id so the plan is deterministic.
        let sorted = backups.sorted {
            $0.snapshotTime != $1.snapshotTime ? $0.snapshotTime > $1.snapshotTime : $0.id > $1.id
        }
        let passedDrills = Set(drills.filter(\.passed).map(\.backupID))
        let isDrilled = { (b: BackupRecord) in b.drilled || passedDrills.contains(b.id) }
        let present = sorted.filter { $0.snapshotTime <= now }
        let newestID = present.first?.id
        let newestDrilledID = present.first(where: isDrilled)?.id
        let owned = keysByBackup(objects)

        var decisions: [BackupDecision] = []
        var keptNewer = 0  // kept, non-future backups newer than the one being judged
        for backup in sorted {
            let reason: BackupDecision.Reason
            if backup.snapshotTime > now {
                reason = .fromTheFuture
            } else if !lastRunSucceeded {
                reason = .pruningSuspended
            } else if backup.id == newestID {
                reason = .newestBackup
            } else if backup.id == newestDrilledID {
                reason = .newestDrilled
            } else if now.timeIntervalSince(backup.snapshotTime) <= policy.window {
                reason = .insideWindow
            } else if keptNewer < max(policy.minKeep, 1) {
                reason = .minKeep
            } else {
                reason = .expired
            }
            let action: BackupDecision.Action = reason == .expired ? .delete : .keep
            if action == .keep && backup.snapshotTime <= now { keptNewer += 1 }
            var keys = owned[backup.id] ?? []
            keys.sort { isManifest($0) != isManifest($1) ? isManifest($0) : $0 < $1 }
            decisions.append(BackupDecision(backupID: backup.id, snapshotTime: backup.snapshotTime,
                                            compressedSize: backup.compressedSize, action: action,
                                            reason: reason, keys: action == .delete ? keys : []))
        }

        var abort: [PendingUploadInfo] = []
        var orphans: [OrphanDecision] = []
        if lastRunSucceeded {
            abort = pending.filter { now.timeIntervalSince($0.initiated) > policy.staleAfter }
                .sorted { $0.initiated < $1.initiated }
            let committed = Set(backups.map(\.id)).union(objects.compactMap { manifestID($0.key) })
            orphans = objects.filter { object in
                guard let id = backupID(ofKey: object.key), !committed.contains(id) else { return false }
                return now.timeIntervalSince(object.lastModified) > policy.staleAfter
            }.map { OrphanDecision(key: $0.key, size: $0.size, lastModified: $0.lastModified) }
             .sorted { $0.key < $1.key }
        }
        return RetentionPlan(policy: name, asOf: now, retention: policy, pruningAllowed: lastRunSucceeded,
                             backups: decisions, abortUploads: abort, deleteOrphans: orphans)
    }

    /// Whether the newest backup run finished at or before `asOf` succeeded: the `lastRunSucceeded`
    /// input of `plan`. A cancelled run is not a success (pruning waits for a good backup); no run
    /// at all counts as success so that a store with only manifests can still be pruned.
    public static func lastRunSucceeded(runs: [RunRecord], asOf: Date) -> Bool {
        let last = runs.filter { $0.kind == .backup && $0.finishedAt <= asOf }.max {
            $0.finishedAt != $1.finishedAt ? $0.finishedAt < $1.finishedAt : $0.runID < $1.runID
        }
        return last.map { $0.outcome == .success } ?? true
    }

    /// The backup id a store key belongs to: its file name starts with a valid id followed by `.`
    /// (`<id>.sql.gz`, `<id>.manifest.json`, `<id>.globals.sql.gz`). Keys under `runs/` or `drills/`
    /// and anything not named for a backup belong to none, so they are never orphans.
    public static func backupID(ofKey key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        if parts.dropLast().contains(where: { $0 == "runs" || $0 == "drills" }) { return nil }
        guard let name = parts.last, let dot = name.firstIndex(of: ".") else { return nil }
        let id = name[..<dot]
        return isBackupID(id) ? String(id) : nil
    }

    /// `yyyymmddThhmmssZ-hhhh…`, checked by shape only: this runs for every object of a listing, and
    /// `BackupID.isValid` builds date formatters on each call.
    static func isBackupID(_ id: Substring) -> Bool {
        let chars = Array(id.utf8)
        guard chars.count >= 21, chars[8] == UInt8(ascii: "T"), chars[15] == UInt8(ascii: "Z"),
              chars[16] == UInt8(ascii: "-") else { return false }
        let digits = chars[0..<8] + chars[9..<15]
        let isDigit = { (c: UInt8) in c >= 48 && c <= 57 }
        let isHex = { (c: UInt8) in isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) }
        return digits.allSatisfy(isDigit) && chars[17...].allSatisfy(isHex)
    }

    private static func isManifest(_ key: String) -> Bool { key.hasSuffix(".manifest.json") }

    private static func manifestID(_ key: String) -> String? {
        isManifest(key) ? backupID(ofKey: key) : nil
    }

    private static func keysByBackup(_ objects: [ObjectListing]) -> [String: [String]] {
        var map: [String: [String]] = [:]
        for object in objects {
            if let id = backupID(ofKey: object.key) { map[id, default: []].append(object.key) }
        }
        return map
    }
}
