import Foundation

/// One drill as plotted and reported.
public struct DrillPoint: Codable, Sendable, Hashable {
    public var drillID: String
    public var backupID: String
    public var startedAt: Date
    public var finishedAt: Date
    public var durationSeconds: Double
    public var passed: Bool
    public var backupSize: Int64
    /// Why it failed (empty when it passed).
    public var reasons: [String]

    public init(_ drill: DrillRecord) {
        drillID = drill.drillID
        backupID = drill.backupID
        startedAt = drill.startedAt
        finishedAt = drill.finishedAt
        durationSeconds = drill.durationSeconds
        passed = drill.passed
        backupSize = drill.backupSize
        var why = drill.reasons
        if !drill.passed && why.isEmpty {
            why = drill.checks.filter { !$0.passed }.map { "check \($0.name) failed: \($0.detail)" }
        }
        reasons = why
    }
}

/// Restore drills against the RTO target (see `DrillAnalysis.analyze`).
public struct RTOAnalysis: Codable, Sendable, Hashable {
    public var targetSeconds: Double
    public var drillIntervalSeconds: Double
    /// Newest drill finished at or before the window end, passed or not.
    public var lastDrill: DrillPoint?
    /// Newest passing drill finished at or before the window end.
    public var lastPassingDrill: DrillPoint?
    /// Compressed size of the newest backup committed by the window end.
    public var currentBackupSize: Int64?
    /// `currentBackupSize / lastPassingDrill.backupSize` (1 when either size is unknown).
    public var growth: Double?
    /// `lastPassingDrill.durationSeconds × growth`.
    public var projectedSeconds: Double?
    /// No passing drill finished within `drillIntervalSeconds` before the window end.
    public var drillOverdue: Bool
    /// When the next drill is due (last passing drill + interval); nil when none ever passed.
    public var nextDrillDue: Date?
    /// Drills that finished inside the window, oldest first.
    public var drillsInWindow: [DrillPoint]
    public var failedDrillsInWindow: [DrillPoint] { drillsInWindow.filter { !$0.passed } }
}

/// RTO arithmetic: the measured duration of drills, projected to today's backup size.
public enum DrillAnalysis {
    public static let defaultInterval: TimeInterval = 7 * 86_400

    public static func analyze(drills: [DrillRecord], backups: [BackupRecord], from: Date, to: Date,
                               target: Double, drillInterval: Double = defaultInterval) -> RTOAnalysis {
        let done = drills.filter { $0.finishedAt <= to }.sorted {
            $0.finishedAt != $1.finishedAt ? $0.finishedAt < $1.finishedAt : $0.drillID < $1.drillID
        }
        let last = done.last.map(DrillPoint.init)
        let lastPassing = done.last(where: \.passed).map(DrillPoint.init)
        let current = backups.filter { $0.completedTime <= to }
            .max { $0.snapshotTime != $1.snapshotTime ? $0.snapshotTime < $1.snapshotTime : $0.id < $1.id }

        var growth: Double?
        var projected: Double?
        if let drill = lastPassing {
            if let size = current?.compressedSize, size > 0, drill.backupSize > 0 {
                growth = Double(size) / Double(drill.backupSize)
            } else {
                growth = 1
            }
            projected = drill.durationSeconds * (growth ?? 1)
        }
        let overdue = lastPassing.map { to.timeIntervalSince($0.finishedAt) > drillInterval } ?? true
        let inWindow = done.filter { $0.finishedAt >= from }.map(DrillPoint.init)
        return RTOAnalysis(targetSeconds: target, drillIntervalSeconds: drillInterval, lastDrill: last,
                           lastPassingDrill: lastPassing, currentBackupSize: current?.compressedSize,
                           growth: growth, projectedSeconds: projected, drillOverdue: overdue,
                           nextDrillDue: lastPassing.map { $0.finishedAt.addingTimeInterval(drillInterval) },
                           drillsInWindow: inWindow)
    }
}

/// Backup runs in a window, from run records.
public struct RunSummary: Codable, Sendable, Hashable {
    public var runsInWindow: Int
    public var succeededInWindow: Int
    public var failedInWindow: Int
    public var cancelledInWindow: Int
    /// Failed runs in the whole history (the `drd_backup_failures_total` counter).
    public var failuresTotal: Int
    /// Newest run finished at or before the window end.
    public var lastRun: RunRecord?
    public var lastSuccess: RunRecord?
    public var lastFailure: RunRecord?
    /// Failed runs inside the window, oldest first.
    public var failures: [RunRecord]

    public static func summarize(runs: [RunRecord], from: Date, to: Date) -> RunSummary {
        let done = runs.filter { $0.finishedAt <= to && $0.kind == .backup }.sorted {
            $0.finishedAt != $1.finishedAt ? $0.finishedAt < $1.finishedAt : $0.runID < $1.runID
        }
        let window = done.filter { $0.finishedAt >= from }
        let failures = window.filter { $0.outcome == .failed }
        return RunSummary(runsInWindow: window.count,
                          succeededInWindow: window.filter { $0.outcome == .success }.count,
                          failedInWindow: failures.count,
                          cancelledInWindow: window.filter { $0.outcome == .cancelled }.count,
                          failuresTotal: done.filter { $0.outcome == .failed }.count,
                          lastRun: done.last,
                          lastSuccess: done.last { $0.outcome == .success },
                          lastFailure: done.last { $0.outcome == .failed },
                          failures: failures)
    }
}

/// What retention leaves restorable at the window end.
public struct RetentionState: Codable, Sendable, Hashable {
    public var backupsKept: Int
    public var oldestRestorable: Date?
    public var newestRestorable: Date?
    public var totalBytes: Int64
    public var drilledBackups: Int

    public static func of(backups: [BackupRecord], at t: Date) -> RetentionState {
        let present = backups.filter { $0.completedTime <= t }
        return RetentionState(backupsKept: present.count,
                              oldestRestorable: present.map(\.snapshotTime).min(),
                              newestRestorable: present.map(\.snapshotTime).max(),
                              totalBytes: present.reduce(0) { $0 + $1.compressedSize },
                              drilledBackups: present.filter(\.drilled).count)
    }
}
