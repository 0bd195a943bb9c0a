import Foundation
import Testing
@testable import Compliance
import Support

@Suite struct RetentionPlannerTests {
    /// Daily backups at 03:00 for `count` days starting `startDay` days after origin.
    func daily(_ count: Int, startDay: Int = 0) -> [BackupRecord] {
        (0..<count).map { d in backup(at(Double((startDay + d) * 24 + 3)), at(Double((startDay + d) * 24 + 3), 20)) }
    }

    @Test func fortyDaysOfFailuresDeletesNothing() {
        // 20 good days, then 40 days in which every run failed: the old `find -mtime +30 -delete` would
        // have removed every backup. Here the last run failed, so nothing is deleted at all.
        let backups = daily(20)
        let runs = (20..<60).map { d in
            run("\(Timestamp.compact(at(Double(d * 24 + 3))))-ff00", start: at(Double(d * 24 + 3)), seconds: 30,
                outcome: .failed, error: "connection refused")
        }
        let now = at(60 * 24)
        let plan = RetentionPlanner.plan(backups: backups, runs: runs, policy: RetentionPolicy(), now: now,
                                         lastRunSucceeded: false)
        #expect(plan.deletions.isEmpty)
        #expect(plan.isEmpty)
        #expect(plan.backups.allSatisfy { $0.reason == .pruningSuspended })
        #expect(RetentionRender.text(plan).contains("pruning suspended"))

        // Even if a run then succeeds, the 20 old backups shrink only down to min_keep + the new one.
        var withNew = backups
        withNew.append(backup(at(60 * 24), at(60 * 24, 10)))
        let after = RetentionPlanner.plan(backups: withNew, policy: RetentionPolicy(window: days(30), minKeep: 3),
                                          now: at(60 * 24, 30), lastRunSucceeded: true)
        #expect(after.kept.count == 3)
        #expect(after.kept.map(\.reason) == [.newestBackup, .minKeep, .minKeep])
        #expect(after.deletions.count == 18)
    }

    @Test func windowMinKeepAndDrilled() {
        // 40 daily backups; window 10 days; min_keep 3; day 5 passed a drill (by record), day 2 is flagged drilled.
        var backups = daily(40)
        backups[2].drilled = true
        let drilledID = backups[5].id
        let drills = [drill("\(Timestamp.compact(at(130)))-d001", backupID: drilledID, start: at(130), seconds: 60,
                            passed: true, size: 1000),
                      drill("\(Timestamp.compact(at(140)))-d002", backupID: backups[7].id, start: at(140), seconds: 60,
                            passed: false, size: 1000)]
        let now = at(40 * 24)
        let plan = RetentionPlanner.plan(backups: backups, drills: drills,
                                         policy: RetentionPolicy(window: days(10), minKeep: 3), now: now,
                                         lastRunSucceeded: true)
        let reasons = Dictionary(uniqueKeysWithValues: plan.backups.map { ($0.backupID, $0.reason) })
        #expect(reasons[backups[39].id] == .newestBackup)
        #expect(reasons[backups[30].id] == .insideWindow)   // snapshot 10d − 3h before now
        #expect(reasons[backups[29].id] == .expired)        // 10d + 21h: beyond the window, 10 newer kept
        #expect(reasons[drilledID] == .newestDrilled)       // a passing drill record counts
        #expect(reasons[backups[2].id] == .expired)         // an older drilled backup is not protected
        #expect(reasons[backups[7].id] == .expired)         // a failed drill does not protect
        #expect(plan.kept.count == 11)
        #expect(plan.backups.first?.backupID == backups[39].id)  // newest first
    }

    @Test func futureBackupsAreKeptAndDoNotCountTowardMinKeep() {
        // A clock jump stamped two backups a year ahead; they must not let real backups be pruned.
        var backups = daily(10)
        backups.append(backup(at(24 * 400), at(24 * 400, 5), suffix: "aaaa"))
        backups.append(backup(at(24 * 401), at(24 * 401, 5), suffix: "bbbb"))
        let plan = RetentionPlanner.plan(backups: backups, policy: RetentionPolicy(window: days(1), minKeep: 2),
                                         now: at(24 * 10), lastRunSucceeded: true)
        #expect(plan.backups.prefix(2).allSatisfy { $0.reason == .fromTheFuture && $0.action == .keep })
        let kept = plan.kept.filter { $0.reason != .fromTheFuture }
        #expect(kept.map(\.reason) == [.newestBackup, .minKeep])
        #expect(plan.deletions.count == 8)
    }

    @Test func minKeepZeroStillKeepsNewest() {
        let plan = RetentionPlanner.plan(backups: daily(5), policy: RetentionPolicy(window: days(1), minKeep: 0),
                                         now: at(24 * 30), lastRunSucceeded: true)
        #expect(plan.kept.map(\.reason) == [.newestBackup])
        #expect(plan.deletions.count == 4)
    }

    @Test func orphansUploadsAndKeys() {
        let b = daily(3)
        let crashed = "\(Timestamp.compact(at(10)))-dead"
        let fresh = "\(Timestamp.compact(at(24 * 5)))-beef"
        var objects: [ObjectListing] = []
        for x in b {
            objects.append(ObjectListing(key: "orders/\(x.id).sql.gz", size: 500, lastModified: x.completedTime))
            objects.append(ObjectListing(key: "orders/\(x.id).manifest.json", size: 50, lastModified: x.completedTime))
        }
        objects += [
            ObjectListing(key: "orders/\(b[0].id).globals.sql.gz", size: 5, lastModified: b[0].completedTime),
            ObjectListing(key: "orders/\(crashed).sql.gz", size: 777, lastModified: at(11)),        // orphan
            ObjectListing(key: "orders/\(fresh).sql.gz", size: 1, lastModified: at(24 * 5, 30)),   // under a day: kept
            ObjectListing(key: "orders/runs/\(crashed).json", size: 1, lastModified: at(11)),      // a record
            ObjectListing(key: "orders/drills/\(crashed).json", size: 1, lastModified: at(11)),    // a record
            ObjectListing(key: "orders/notes.txt", size: 1, lastModified: at(0)),                  // not ours
            // A manifest with no BackupRecord (unreadable): its data is still not an orphan.
            ObjectListing(key: "orders/20261101T050000Z-abcd.manifest.json", size: 1, lastModified: at(5)),
            ObjectListing(key: "orders/20261101T050000Z-abcd.sql.gz", size: 1, lastModified: at(5)),
        ]
        let pending = [PendingUploadInfo(key: "orders/\(crashed).sql.gz", uploadID: "old", initiated: at(10)),
                       PendingUploadInfo(key: "orders/\(fresh).sql.gz", uploadID: "new", initiated: at(24 * 5, 30))]
        let now = at(24 * 6)
        let plan = RetentionPlanner.plan(backups: b, objects: objects, pending: pending,
                                         policy: RetentionPolicy(window: days(2), minKeep: 1), now: now,
                                         lastRunSucceeded: true)
        #expect(plan.deleteOrphans.map(\.key) == ["orders/\(crashed).sql.gz"])
        #expect(plan.abortUploads.map(\.uploadID) == ["old"])
        #expect(plan.deletions.map(\.backupID) == [b[1].id, b[0].id])
        #expect(plan.deletions.last?.keys == ["orders/\(b[0].id).manifest.json", "orders/\(b[0].id).globals.sql.gz",
                                              "orders/\(b[0].id).sql.gz"])
        #expect(plan.bytesFreed == 1000 + 1000 + 777)  // compressed sizes of the deleted backups + the orphan

        let suspended = RetentionPlanner.plan(backups: b, objects: objects, pending: pending,
                                              policy: RetentionPolicy(window: days(2), minKeep: 1), now: now,
                                              lastRunSucceeded: false)
        #expect(suspended.isEmpty)
    }

    @Test func lastRunSucceededFromRecords() {
        let runs = [run("20261101T010000Z-0001", start: at(1), seconds: 60, outcome: .success),
                    run("20261101T020000Z-0002", start: at(2), seconds: 60, outcome: .failed),
                    run("20261101T030000Z-0003", start: at(3), seconds: 60, outcome: .cancelled),
                    run("20261101T040000Z-0004", start: at(4), seconds: 60, outcome: .success)]
        #expect(RetentionPlanner.lastRunSucceeded(runs: runs, asOf: at(1, 30)))
        #expect(!RetentionPlanner.lastRunSucceeded(runs: runs, asOf: at(2, 30)))
        #expect(!RetentionPlanner.lastRunSucceeded(runs: runs, asOf: at(3, 30)))
        #expect(RetentionPlanner.lastRunSucceeded(runs: runs, asOf: at(5)))
        #expect(RetentionPlanner.lastRunSucceeded(runs: [], asOf: at(5)))
    }

    @Test func backupIDOfKey() {
        #expect(RetentionPlanner.backupID(ofKey: "p/20261121T030000Z-7f3a.sql.gz") == "20261121T030000Z-7f3a")
        #expect(RetentionPlanner.backupID(ofKey: "20261121T030000Z-7f3a.manifest.json") == "20261121T030000Z-7f3a")
        #expect(RetentionPlanner.backupID(ofKey: "p/runs/20261121T030000Z-7f3a.json") == nil)
        #expect(RetentionPlanner.backupID(ofKey: "p/drills/20261121T030000Z-7f3a.json") == nil)
        #expect(RetentionPlanner.backupID(ofKey: "p/latest.json") == nil)
        #expect(RetentionPlanner.backupID(ofKey: "p/20261121T030000Z-7f3a") == nil)
    }

    @Test func renderTextAndJSON() throws {
        let plan = RetentionPlanner.plan(backups: daily(5), policy: RetentionPolicy(window: days(2), minKeep: 1),
                                         now: at(24 * 5), lastRunSucceeded: true)
        let text = RetentionRender.text(plan)
        #expect(text.contains("retention plan for policy 'orders' as of 2026-11-06T00:00:00Z (dry run: nothing changed)"))
        #expect(text.contains("DELETE  20261101T030000Z-0000  2026-11-01T03:00:00Z"))
        #expect(text.contains("keep    20261105T030000Z-0000  2026-11-05T03:00:00Z  1000 B     newest backup"))
        #expect(text.contains("summary: keep 2, delete 3 backups"))
        let json = try RetentionRender.json(plan)
        #expect(json.contains("\"reason\" : \"newest-backup\""))
        #expect(json.contains("\"asOf\" : \"2026-11-06T00:00:00.000Z\""))
        let decoded: RetentionPlan = try RecordCoding.decode(Data(json.utf8), source: "plan")
        #expect(decoded == plan)
    }
}
