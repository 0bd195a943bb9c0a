import Foundation
import Support

/// How a dump runs.
public struct DumpOptions: Sendable {
    /// Worker connections copying table data in parallel (all share one exported snapshot).
    public var jobs: Int = 1
    /// gzip level 0–9.
    public var compressLevel: Int = 6
    /// Upper bound of uncompressed COPY text per data member; bounds memory at chunkBytes × jobs.
    public var chunkBytes: Int = 8 << 20
    /// How long to wait for each table's ACCESS SHARE lock before failing.
    public var lockTimeout: TimeInterval = 30
    /// Capture roles and tablespaces the database references (never passwords unless asked).
    public var includeGlobals = true
    public var includePasswords = false
    /// Backup id recorded in the manifest (and used for the object name by callers).
    public var backupID: String = BackupID.make()
    /// Policy name recorded in the manifest, if the dump runs for one.
    public var policy: String?

    public init() {}

    /// Checks ranges; errors name the option.
    public func validate() throws {
        guard (1...64).contains(jobs) else {
            throw DRDError(.usage, "invalid --jobs \(jobs): expected 1 to 64")
        }
        guard (0...9).contains(compressLevel) else {
            throw DRDError(.usage, "invalid --compress-level \(compressLevel): expected 0 to 9")
        }
        guard chunkBytes >= 64 * 1024 else {
            throw DRDError(.usage, "invalid chunk size \(chunkBytes): expected at least 65536 bytes")
        }
    }
}

/// A progress snapshot, reported from time to time while a dump runs.
public struct DumpProgress: Sendable {
    public enum Phase: String, Sendable { case connecting, locking, schema, data, postData = "post-data", uploading, committing, done }
    public var phase: Phase
    public var tablesDone: Int = 0
    public var tablesTotal: Int = 0
    public var rows: Int64 = 0
    /// Uncompressed bytes of SQL produced so far.
    public var bytesIn: Int64 = 0
    /// Compressed bytes written to the store so far.
    public var bytesOut: Int64 = 0
    /// Estimated total uncompressed table bytes (from relation sizes), for ETA.
    public var estimatedBytes: Int64 = 0
    public var startedAt: Date

    public init(phase: Phase, startedAt: Date) {
        self.phase = phase
        self.startedAt = startedAt
    }
}

public typealias DumpProgressHandler = @Sendable (DumpProgress) -> Void
