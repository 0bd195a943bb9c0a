import Compliance
import Foundation

// Result payloads of the control verbs: what drd sends and drctl decodes (and prints with --json).

public struct PolicyStatus: Codable, Sendable {
    public var name: String
    public var schedule: String
    public var source: String
    public var nextRun: Date?
    public var lastBackupID: String?
    public var lastSnapshot: Date?
    public var dataAgeSeconds: Double?
    public var rpoSeconds: Double?
    public var rtoSeconds: Double?
    public var lastDrill: Date?
    public var lastDrillPassed: Bool?
    public var consecutiveFailures: Int
    public var lastError: String?
}

public struct StatusPayload: Codable, Sendable {
    public var version: String
    public var pid: Int32
    public var startedAt: Date
    public var configFile: String
    public var store: String
    public var policies: [PolicyStatus]
    public var jobs: [JobInfo]
}

public struct BackupListItem: Codable, Sendable {
    public var policy: String
    public var id: String
    public var database: String
    public var snapshotTime: Date
    public var completedTime: Date
    public var compressedSize: Int64
    public var uncompressedSize: Int64
    public var rows: Int64
    public var tables: Int
    public var drilled: Bool
    public var verified: Bool
}

public struct ListPayload: Codable, Sendable {
    public var backups: [BackupListItem]
    public var problems: [String]
}

public struct BackupPayload: Codable, Sendable {
    public var policy: String
    public var backupID: String
    public var bytes: Int64
    public var rows: Int64
    public var tables: Int
    public var seconds: Double
}

public struct RestorePayload: Codable, Sendable {
    public var environment: String
    public var database: String
    public var backupID: String?
    public var tables: Int
    public var rows: Int64
    public var seconds: Double
    public var missingRoles: [String]
    public var replacedExisting: Bool
}

public struct VerifyPayload: Codable, Sendable {
    public var backupID: String
    public var bytes: Int64
    public var members: Int
    public var uncompressedBytes: Int64
}

/// Rendered text (report, prune plan) plus the machine verdict.
public struct RenderedPayload: Codable, Sendable {
    public var format: String
    public var body: String
    /// Reports: false when any policy is not compliant (drctl exits 3).
    public var compliant: Bool
}

public struct JobsPayload: Codable, Sendable {
    public var jobs: [JobInfo]
}
