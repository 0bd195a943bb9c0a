import Foundation
import Testing
@testable import Compliance

/// Hand-worked histories; every expected number is derived in the comments.
@Suite struct DataAgeTests {
    let hour = 3600.0, minute = 60.0

    @Test func hourlyBackupsThatTakeTenMinutesBreachAOneHourRPO() {
        // Snapshots on the hour, commits 10 minutes later. Window 01:00–05:00, RPO 1h.
        // 01:00 age 1h (backup 00:00) → grows to 1h10m at 01:10 (breach 01:00–01:10), drops to 10m;
        // the same every hour: breaches 01:00, 02:00, 03:00, 04:00, 10m each. At 05:00 age is exactly 1h: met.
        let backups = (0...5).map { k in backup(at(Double(k)), at(Double(k), 10)) }
        let a = DataAge.analyze(backups: backups, from: at(1), to: at(5), target: hour)
        #expect(a.commits == 4)
        #expect(a.segments.count == 5)
        #expect(a.breaches.map(\.start) == [at(1), at(2), at(3), at(4)])
        #expect(a.breaches.allSatisfy { $0.durationSeconds == 10 * minute && !$0.ongoing })
        #expect(a.longestBreach?.durationSeconds == 10 * minute)
        #expect(a.worstAgeSeconds == 70 * minute)
        #expect(a.worstAt == at(1, 10))
        #expect(a.withinTargetSeconds == 200 * minute)          // 0 + 50 + 50 + 50 + 50 minutes
        #expect(abs(a.shareWithinTarget - 200.0 / 240.0) < 1e-12)
        #expect(a.currentAgeSeconds == hour)
        #expect(a.undefinedSeconds == 0)
        #expect(DataAge.at(at(2, 5), backups: backups) == 65 * minute)
        #expect(DataAge.at(at(2, 10), backups: backups) == 10 * minute)  // committed at t counts at t
    }

    @Test func slowBackupFailuresAndAGap() {
        // b0 snap 00:00 commit 00:05; b1 snap 01:00 but slow: commit 03:30; b2 snap 02:00 commit 02:20;
        // runs 03:00–05:00 failed; b3 snap 06:00 commit 06:15. Window 00:30–07:00 (6h30m), RPO 1h.
        let backups = [backup(at(0), at(0, 5)), backup(at(1), at(3, 30)), backup(at(2), at(2, 20)),
                       backup(at(6), at(6, 15))]
        let a = DataAge.analyze(backups: backups, from: at(0, 30), to: at(7), target: hour)
        // Segments: [00:30,02:20] age 30m→2h20m; [02:20,03:30] 20m→1h30m (newest snapshot 02:00);
        // [03:30,06:15] 1h30m→4h15m (b1 commits but its 01:00 snapshot is older than b2's); [06:15,07:00] 15m→1h.
        #expect(a.segments.map(\.ageAtStart) == [30 * minute, 20 * minute, 90 * minute, 15 * minute])
        #expect(a.worstAgeSeconds == 4 * hour + 15 * minute)
        #expect(a.worstAt == at(6, 15))
        // Breaches: 01:00–02:20 (80m) and 03:00–06:15 (195m, merged across b1's commit at 03:30).
        #expect(a.breaches.map(\.start) == [at(1), at(3)])
        #expect(a.breaches.map(\.end) == [at(2, 20), at(6, 15)])
        #expect(a.longestBreach?.durationSeconds == 195 * minute)
        #expect(a.breachedSeconds == 275 * minute)
        // Within: 30 + 40 + 0 + 45 = 115 of 390 minutes.
        #expect(a.withinTargetSeconds == 115 * minute)
        #expect(abs(a.shareWithinTarget - 115.0 / 390.0) < 1e-12)
        #expect(a.withinTargetSeconds + a.breachedSeconds == 390 * minute)
        #expect(a.currentAgeSeconds == hour)
        #expect(a.commits == 3)
        #expect(a.points.count == 8)
        #expect(a.points[1] == DataAgePoint(time: at(2, 20), ageSeconds: 140 * minute))
        #expect(a.points[2] == DataAgePoint(time: at(2, 20), ageSeconds: 20 * minute))
    }

    @Test func noBackupBeforeWindowStartCountsAsBreach() {
        // First backup ever: snap 02:00, commit 02:30. Window 00:00–04:00, RPO 1h.
        // Undefined 00:00–02:30 (breach); then 30m→2h: within 30m, breach 03:00–04:00 still ongoing.
        let a = DataAge.analyze(backups: [backup(at(2), at(2, 30))], from: at(0), to: at(4), target: hour)
        #expect(a.undefinedSeconds == 150 * minute)
        #expect(a.segments.first?.ageAtStart == nil)
        #expect(a.breaches.count == 2)
        #expect(a.breaches[0].start == at(0) && a.breaches[0].end == at(2, 30) && !a.breaches[0].ongoing)
        #expect(a.breaches[1].start == at(3) && a.breaches[1].end == at(4) && a.breaches[1].ongoing)
        #expect(a.longestBreach?.durationSeconds == 150 * minute)
        #expect(a.worstAgeSeconds == 2 * hour)
        #expect(a.withinTargetSeconds == 30 * minute)
        #expect(a.shareWithinTarget == 0.125)
        #expect(a.currentAgeSeconds == 2 * hour)
    }

    @Test func noBackupAtAll() {
        let a = DataAge.analyze(backups: [], from: at(0), to: at(24), target: hour)
        #expect(a.worstAgeSeconds == nil)
        #expect(a.currentAgeSeconds == nil)
        #expect(a.shareWithinTarget == 0)
        #expect(a.breaches == [BreachInterval(start: at(0), end: at(24), ongoing: true)])
    }

    @Test func windowEdgesExactlyOnCommits() {
        // b0 snap 00:00 commit 01:00; b1 snap 01:00 commit 02:00. Window exactly 01:00–02:00, RPO 1h.
        // At 01:00 b0 is committed (at or before t): age 1h, met. Age then exceeds 1h until 02:00, where
        // b1 commits: age at 02:00 is 1h again (met, so the breach is not ongoing). Worst is the
        // supremum 2h, reached just before the commit.
        let backups = [backup(at(0), at(1)), backup(at(1), at(2))]
        let a = DataAge.analyze(backups: backups, from: at(1), to: at(2), target: hour)
        #expect(a.segments.count == 1)
        #expect(a.commits == 1)
        #expect(a.breaches == [BreachInterval(start: at(1), end: at(2), ongoing: false)])
        #expect(a.worstAgeSeconds == 2 * hour)
        #expect(a.withinTargetSeconds == 0)
        #expect(a.currentAgeSeconds == hour)

        // Zero-length window on a commit: age after the commit.
        let z = DataAge.analyze(backups: backups, from: at(2), to: at(2), target: hour)
        #expect(z.currentAgeSeconds == hour)
        #expect(z.breaches.isEmpty)
        #expect(z.shareWithinTarget == 1)
    }

    @Test func backupCommittedAfterWindowDoesNotCount() {
        // A backup whose snapshot is inside the window but whose commit is after it does not lower age.
        let backups = [backup(at(0), at(0, 10)), backup(at(3), at(5))]
        let a = DataAge.analyze(backups: backups, from: at(1), to: at(4), target: 2 * hour)
        #expect(a.commits == 0)
        #expect(a.currentAgeSeconds == 4 * hour)
        #expect(a.breaches == [BreachInterval(start: at(2), end: at(4), ongoing: true)])
        #expect(a.withinTargetSeconds == hour)
    }
}
