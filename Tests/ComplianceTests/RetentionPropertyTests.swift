import Foundation
import Testing
@testable import Compliance
import Support

/// One random history for a policy: what the store would list at `now`.
struct RandomHistory {
    var backups: [BackupRecord] = []
    var runs: [RunRecord] = []
    var drills: [DrillRecord] = []
    var objects: [ObjectListing] = []
    var pending: [PendingUploadInfo] = []
    var now: Date
    var lastRunSucceeded: Bool
    var retention: RetentionPolicy

    /// Runs on a random schedule over 0–120 days with successes, failures, gaps (outages), drills,
    /// clock jumps (snapshots stamped in the future or far in the past), orphans and open uploads.
    static func make(_ rng: inout SeededRandom) -> RandomHistory {
        let intervals: [Double] = [3600, 6 * 3600, 86_400, 4 * 3600]
        let interval: Double = intervals.randomElement(using: &rng) ?? 3600
        let spanDays = Double(Int.random(in: 0...90, using: &rng))
        let failRates: [Double] = [0, 0.05, 0.3, 0.9, 1]
        let failRate: Double = failRates.randomElement(using: &rng) ?? 0
        let retention = RetentionPolicy(window: days(Double(Int.random(in: 1...40, using: &rng))),
                                        minKeep: Int.random(in: 0...6, using: &rng))
        let now = origin.addingTimeInterval(days(spanDays) + Double.random(in: 0...7200, using: &rng))
        var h = RandomHistory(now: now, lastRunSucceeded: true, retention: retention)
        var t = origin
        var n = 0
        var lastOutcome: RunRecord.Outcome?
        while t < now {
            n += 1
            if rng.chance(0.01) {  // outage: nothing runs for up to 20 days
                t = t.addingTimeInterval(Double.random(in: 0...days(20), using: &rng))
                continue
            }
            var snap = t
            if rng.chance(0.005) { snap = t.addingTimeInterval(Double.random(in: 3600...days(400), using: &rng)) }
            if rng.chance(0.005) { snap = t.addingTimeInterval(-Double.random(in: 3600...days(400), using: &rng)) }
            let took = Double.random(in: 60...(interval * 1.5), using: &rng)
            let finished = t.addingTimeInterval(took)
            guard finished <= now else { break }
            let runID = "\(fastCompact(t))-\(String(format: "%04x", n & 0xffff))"
            let id = "\(fastCompact(snap))-\(String(format: "%04x", n & 0xffff))"
            let outcome: RunRecord.Outcome = rng.chance(failRate) ? (rng.chance(0.9) ? .failed : .cancelled) : .success
            lastOutcome = outcome
            h.runs.append(run(runID, start: t, seconds: took, outcome: outcome, backupID: outcome == .success ? id : nil))
            h.objects.append(ObjectListing(key: "orders/runs/\(runID).json", size: 300, lastModified: finished))
            switch outcome {
            case .success:
                let drilled = rng.chance(0.05)
                h.backups.append(BackupRecord(id: id, policy: "orders", snapshotTime: snap, completedTime: finished,
                                              compressedSize: Int64.random(in: 100...100_000, using: &rng),
                                              uncompressedSize: 400_000, drilled: drilled))
                h.objects.append(ObjectListing(key: "orders/\(id).sql.gz", size: 1000, lastModified: finished))
                h.objects.append(ObjectListing(key: "orders/\(id).manifest.json", size: 900, lastModified: finished))
                if rng.chance(0.05) {  // a drill record, passed or not, without the manifest flag
                    let d = drill("\(fastCompact(finished))-dd\(String(format: "%02x", n & 0xff))", backupID: id,
                                  start: finished, seconds: 600, passed: rng.chance(0.7), size: 1000)
                    h.drills.append(d)
                    h.objects.append(ObjectListing(key: "orders/drills/\(d.drillID).json", size: 500, lastModified: d.finishedAt))
                }
            case .failed, .cancelled:
                if rng.chance(0.5) {  // the data object of a crashed backup: an orphan
                    h.objects.append(ObjectListing(key: "orders/\(id).sql.gz", size: 700, lastModified: finished))
                }
                if rng.chance(0.3) {
                    h.pending.append(PendingUploadInfo(key: "orders/\(id).sql.gz", uploadID: "u\(n)", initiated: t))
                }
            }
            t = t.addingTimeInterval(interval * Double.random(in: 0.5...1.5, using: &rng))
        }
        // Unrelated objects that must never be touched.
        h.objects.append(ObjectListing(key: "orders/README.txt", size: 10, lastModified: origin))
        h.lastRunSucceeded = rng.chance(0.1) ? Bool.random(using: &rng) : (lastOutcome.map { $0 == .success } ?? true)
        return h
    }
}

@Suite struct RetentionPropertyTests {
    /// Every invariant of DESIGN.md "Retention" over thousands of random histories.
    @Test func invariantsHoldOverRandomHistories() {
        var totalDeleted = 0, totalOrphans = 0, totalAborted = 0, suspended = 0
        let histories = 2000
        for seed in 1...UInt64(histories) {
            var rng = SeededRandom(seed: seed)
            let h = RandomHistory.make(&rng)
            let plan = RetentionPlanner.plan(backups: h.backups, runs: h.runs, drills: h.drills, objects: h.objects,
                                             pending: h.pending, policy: h.retention, now: h.now,
                                             lastRunSucceeded: h.lastRunSucceeded)
            let failures = check(plan, h)
            #expect(failures.isEmpty, "seed \(seed): \(failures.joined(separator: "; "))")
            if !failures.isEmpty { return }
            totalDeleted += plan.deletions.count
            totalOrphans += plan.deleteOrphans.count
            totalAborted += plan.abortUploads.count
            if !plan.pruningAllowed { suspended += 1 }
        }
        // The generator must exercise deletion, orphan removal, aborts and suspension, or the
        // invariants above hold vacuously.
        #expect(totalDeleted > 1000)
        #expect(totalOrphans > 100)
        #expect(totalAborted > 100)
        #expect(suspended > 100)
    }

    /// The invariants; returns the violated ones.
    func check(_ plan: RetentionPlan, _ h: RandomHistory) -> [String] {
        var bad: [String] = []
        let byID = Dictionary(h.backups.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let present = h.backups.filter { $0.snapshotTime <= h.now }
        let deleted = plan.deletions.compactMap { byID[$0.backupID] }
        let keptPresent = plan.kept.compactMap { byID[$0.backupID] }.filter { $0.snapshotTime <= h.now }
        let keptTimes = keptPresent.map(\.snapshotTime).sorted()
        /// Kept, non-future backups strictly newer than `t` (binary search: histories are large).
        func newerKeptCount(_ t: Date) -> Int {
            var lo = 0, hi = keptTimes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keptTimes[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
            return keptTimes.count - lo
        }
        let passed = Set(h.drills.filter(\.passed).map(\.backupID))

        if plan.backups.count != h.backups.count { bad.append("not one decision per backup") }
        if !h.lastRunSucceeded && !plan.isEmpty { bad.append("changes planned although the last run failed") }
        if let newest = present.max(by: { $0.snapshotTime < $1.snapshotTime }),
           deleted.contains(where: { $0.snapshotTime >= newest.snapshotTime }) {
            bad.append("newest backup deleted")
        }
        if let newestDrilled = present.filter({ $0.drilled || passed.contains($0.id) })
            .max(by: { $0.snapshotTime < $1.snapshotTime }), deleted.contains(where: { $0.id == newestDrilled.id }) {
            bad.append("newest drilled backup deleted")
        }
        for d in deleted {
            if d.snapshotTime > h.now { bad.append("future backup \(d.id) deleted") }
            if h.now.timeIntervalSince(d.snapshotTime) <= h.retention.window { bad.append("\(d.id) deleted inside window") }
            let newerKept = newerKeptCount(d.snapshotTime)
            if newerKept < max(1, h.retention.minKeep) { bad.append("\(d.id) deleted with only \(newerKept) newer kept") }
        }
        for decision in plan.deletions {
            if decision.keys.contains(where: { RetentionPlanner.backupID(ofKey: $0) != decision.backupID }) {
                bad.append("delete keys of \(decision.backupID) name another backup")
            }
            if let first = decision.keys.first, !first.hasSuffix(".manifest.json") {
                bad.append("\(decision.backupID): manifest not deleted first")
            }
        }
        // Liveness: retention does delete what it may (otherwise "keep everything" would pass).
        if h.lastRunSucceeded {
            for d in plan.kept where d.reason == .minKeep {
                let newerKept = newerKeptCount(d.snapshotTime)
                if newerKept >= max(1, h.retention.minKeep) { bad.append("\(d.backupID) kept needlessly") }
            }
        }
        let manifests = Set(h.backups.map(\.id))
        for o in plan.deleteOrphans {
            if o.key.contains("/runs/") || o.key.contains("/drills/") { bad.append("record \(o.key) deleted as orphan") }
            guard let id = RetentionPlanner.backupID(ofKey: o.key) else { bad.append("non-backup key \(o.key) deleted"); continue }
            if manifests.contains(id) { bad.append("orphan \(o.key) has a manifest") }
            if h.now.timeIntervalSince(o.lastModified) <= 86_400 { bad.append("orphan \(o.key) younger than a day") }
        }
        for u in plan.abortUploads where h.now.timeIntervalSince(u.initiated) <= 86_400 {
            bad.append("upload \(u.key) aborted within a day")
        }
        return bad
    }
}

/// `20261121T030000Z` without Calendar (civil-from-days), so generating thousands of histories is fast.
func fastCompact(_ date: Date) -> String {
    let secs = Int64(date.timeIntervalSince1970.rounded(.down))
    let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
    let rem = secs - days * 86_400
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(y)\(two(m))\(two(d))T\(two(rem / 3600))\(two(rem % 3600 / 60))\(two(rem % 60))Z"
}
