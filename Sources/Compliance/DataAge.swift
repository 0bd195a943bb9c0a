import Foundation

/// A stretch of time between two commits, during which data age grows linearly (slope 1).
public struct DataAgeSegment: Codable, Sendable, Hashable {
    public var start: Date
    public var end: Date
    /// Data age at `start` in seconds; nil when no backup had been committed yet (age undefined,
    /// counted as a breach).
    public var ageAtStart: Double?

    /// Age just before `end` (the top of the sawtooth tooth), nil when undefined.
    public var ageAtEnd: Double? { ageAtStart.map { $0 + end.timeIntervalSince(start) } }
}

/// A contiguous period during which data age exceeded the RPO target.
public struct BreachInterval: Codable, Sendable, Hashable {
    public var start: Date
    public var end: Date
    /// True when the breach still holds at the window end.
    public var ongoing: Bool
    public var durationSeconds: Double { end.timeIntervalSince(start) }
}

/// Data age against the RPO target over a window (see `DataAge.analyze`).
public struct RPOAnalysis: Codable, Sendable, Hashable {
    public var from: Date
    public var to: Date
    public var targetSeconds: Double
    /// The sawtooth, in time order; segments tile [from, to] without gaps.
    public var segments: [DataAgeSegment]
    /// Commits (manifest written) inside (from, to].
    public var commits: Int
    /// Highest data age reached in the window (supremum: just before a commit), nil if no backup
    /// existed during the whole window.
    public var worstAgeSeconds: Double?
    public var worstAt: Date?
    /// Seconds of the window before the first backup was ever committed.
    public var undefinedSeconds: Double
    /// Seconds of the window with data age ≤ target.
    public var withinTargetSeconds: Double
    /// `withinTargetSeconds / (to − from)`, in 0...1.
    public var shareWithinTarget: Double
    /// Every breach, merged across commits that did not bring age back under the target.
    public var breaches: [BreachInterval]
    public var longestBreach: BreachInterval?
    /// Data age at `to` (after any commit at exactly `to`), nil when no backup exists yet.
    public var currentAgeSeconds: Double?

    public var breachedSeconds: Double { breaches.reduce(0) { $0 + $1.durationSeconds } }

    /// The sawtooth as polyline vertices: for each segment its start and its top (just before the
    /// next commit); two points share a time at each commit. Undefined stretches are left out.
    public var points: [DataAgePoint] {
        segments.flatMap { s -> [DataAgePoint] in
            guard let a0 = s.ageAtStart, let a1 = s.ageAtEnd else { return [] }
            return [DataAgePoint(time: s.start, ageSeconds: a0), DataAgePoint(time: s.end, ageSeconds: a1)]
        }
    }
}

/// One vertex of the data-age sawtooth.
public struct DataAgePoint: Codable, Sendable, Hashable {
    public var time: Date
    public var ageSeconds: Double
}

/// RPO arithmetic. Definitions (docs/compliance.md):
/// - data age at t = t − snapshot time of the newest backup committed at or before t, where
///   "newest" is the latest snapshot among backups whose `completedTime` ≤ t. A backup counts only
///   from its commit, so a backup that took longer than the interval leaves the age growing until
///   it commits.
/// - before the first commit ever, data age is undefined and counts as a breach.
/// - RPO is met at t when data age ≤ target (equality is met).
public enum DataAge {
    /// Data age at `t`, nil when nothing was committed by then.
    public static func at(_ t: Date, backups: [BackupRecord]) -> Double? {
        newestSnapshot(committedBy: t, backups: backups).map { t.timeIntervalSince($0) }
    }

    /// Analyses data age over [from, to] against `target` seconds.
    public static func analyze(backups: [BackupRecord], from: Date, to: Date, target: Double) -> RPOAnalysis {
        let to = max(from, to)
        var snapshot = newestSnapshot(committedBy: from, backups: backups)
        let events = backups.filter { $0.completedTime > from && $0.completedTime <= to }
            .sorted { $0.completedTime < $1.completedTime }

        var segments: [DataAgeSegment] = []
        var cursor = from
        for backup in events {
            if backup.completedTime > cursor {
                segments.append(DataAgeSegment(start: cursor, end: backup.completedTime,
                                               ageAtStart: snapshot.map { cursor.timeIntervalSince($0) }))
                cursor = backup.completedTime
            }
            snapshot = max(snapshot ?? backup.snapshotTime, backup.snapshotTime)
        }
        if to > cursor || segments.isEmpty {
            segments.append(DataAgeSegment(start: cursor, end: to,
                                           ageAtStart: snapshot.map { cursor.timeIntervalSince($0) }))
        }
        let current = snapshot.map { to.timeIntervalSince($0) }

        var worst: Double?
        var worstAt: Date?
        var undefined = 0.0
        var within = 0.0
        var breaches: [BreachInterval] = []
        for segment in segments {
            let length = segment.end.timeIntervalSince(segment.start)
            var breachStart: Date?
            if let a0 = segment.ageAtStart, let a1 = segment.ageAtEnd {
                if worst.map({ a1 > $0 }) ?? true { worst = a1; worstAt = segment.end }
                if a0 > target {
                    breachStart = segment.start
                } else {
                    within += min(length, target - a0)
                    if a1 > target { breachStart = segment.start.addingTimeInterval(target - a0) }
                }
            } else {
                undefined += length
                breachStart = segment.start
            }
            guard let start = breachStart, segment.end > start else { continue }
            if let last = breaches.last, last.end == start {
                breaches[breaches.count - 1].end = segment.end
            } else {
                breaches.append(BreachInterval(start: start, end: segment.end, ongoing: false))
            }
        }
        let stillBreached = current.map { $0 > target } ?? true
        if stillBreached, let last = breaches.last, last.end == to {
            breaches[breaches.count - 1].ongoing = true
        }
        let span = to.timeIntervalSince(from)
        let share = span > 0 ? min(1, max(0, within / span)) : (stillBreached ? 0 : 1)
        let longest = breaches.max { $0.durationSeconds < $1.durationSeconds }
        return RPOAnalysis(from: from, to: to, targetSeconds: target, segments: segments, commits: events.count,
                           worstAgeSeconds: worst, worstAt: worstAt, undefinedSeconds: undefined,
                           withinTargetSeconds: within, shareWithinTarget: share, breaches: breaches,
                           longestBreach: longest, currentAgeSeconds: current)
    }

    private static func newestSnapshot(committedBy t: Date, backups: [BackupRecord]) -> Date? {
        backups.lazy.filter { $0.completedTime <= t }.map(\.snapshotTime).max()
    }
}
