import Foundation
import Testing
@testable import Compliance
import Support

/// A week of hourly backups (snapshot on the hour, commit 10 minutes later) up to `at(hours)`,
/// growing by 1% a day, with a run record each.
func hourlyHistory(hours: Int, rpo: Double = 2 * 3600, rto: Double = 4 * 3600,
                   skip: Set<Int> = [], policy: String = "orders") -> PolicyHistory {
    var backups: [BackupRecord] = []
    var runs: [RunRecord] = []
    for k in 0..<hours {
        let id = "\(Timestamp.compact(at(Double(k))))-\(String(format: "%04x", k))"
        if skip.contains(k) {
            runs.append(run(id, start: at(Double(k)), seconds: 30, outcome: .failed,
                            error: "connection to host=db password=hunter2 failed", policy: policy))
            continue
        }
        backups.append(BackupRecord(id: id, policy: policy, snapshotTime: at(Double(k)), completedTime: at(Double(k), 10),
                                    compressedSize: 1_000_000 + Int64(k) * 10_000 / 24, uncompressedSize: 4_000_000))
        runs.append(run(id, start: at(Double(k)), seconds: 600, outcome: .success, backupID: id, policy: policy))
    }
    return PolicyHistory(targets: PolicyTargets(name: policy, rpoSeconds: rpo, rtoSeconds: rto, schedule: "hourly"),
                         backups: backups, runs: runs)
}

@Suite struct VerdictTests {
    @Test func projectedRTOScalesTheLastPassingDrill() {
        let b = [backup(at(0), at(0, 10), size: 1000), backup(at(24), at(24, 10), size: 1500)]
        let drills = [drill("d1", backupID: b[0].id, start: at(1), seconds: 3600, passed: true, size: 1000),
                      drill("d2", backupID: b[0].id, start: at(30), seconds: 100, passed: false, size: 1000)]
        let a = DrillAnalysis.analyze(drills: drills, backups: b, from: at(0), to: at(48), target: 4 * 3600,
                                      drillInterval: 86_400)
        #expect(a.lastDrill?.drillID == "d2")
        #expect(a.lastPassingDrill?.drillID == "d1")
        #expect(a.growth == 1.5)
        #expect(a.projectedSeconds == 5400)                      // 1h × 1500/1000
        #expect(a.drillOverdue)                                  // passed at 02:00, 46h before the end > 1 day
        #expect(a.nextDrillDue == at(26))
        #expect(a.failedDrillsInWindow.map(\.drillID) == ["d2"])
        #expect(a.failedDrillsInWindow.first?.reasons == ["row count mismatch on public.orders"])

        // As of 12:00 on day one the newest backup is b0 itself: growth 1, not overdue, d2 not yet run.
        let early = DrillAnalysis.analyze(drills: drills, backups: b, from: at(0), to: at(12), target: 4 * 3600,
                                          drillInterval: 86_400)
        #expect(early.projectedSeconds == 3600)
        #expect(!early.drillOverdue)
        #expect(early.lastDrill?.drillID == "d1")

        let none = DrillAnalysis.analyze(drills: [], backups: b, from: at(0), to: at(48), target: 3600)
        #expect(none.drillOverdue && none.projectedSeconds == nil && none.nextDrillDue == nil)
    }

    @Test func compliantPolicy() {
        var h = hourlyHistory(hours: 24 * 7)
        let drilled = h.backups[100]
        h.drills = [drill("d1", backupID: drilled.id, start: at(120), seconds: 1800, passed: true,
                          size: drilled.compressedSize)]
        let p = PolicyCompliance.evaluate(h, from: at(24), to: at(24 * 7 - 1, 30))  // 167:30
        #expect(p.verdict == .compliant, "\(p.findings)")
        #expect(p.findings.isEmpty)
        #expect(p.rpo.shareWithinTarget == 1)
        #expect(p.rpo.worstAgeSeconds == 70.0 * 60)
        #expect(p.runs.runsInWindow == 144)            // runs finishing 24:10 … 167:10
        #expect(p.retention.backupsKept == 168)
        #expect(p.retention.oldestRestorable == at(0))
        let report = ComplianceReport(histories: [h], from: at(24), to: at(24 * 7 - 1, 30), generatedAt: at(24 * 7))
        #expect(report.exitStatus == 0)
    }

    @Test func breachAndAtRiskReasons() {
        // Runs 50–53 failed: data age reaches 4h10m against a 2h RPO → breached. No drill ever: at risk.
        var h = hourlyHistory(hours: 24 * 3, skip: [50, 51, 52, 53])
        let p = PolicyCompliance.evaluate(h, from: at(24), to: at(71, 30))
        #expect(p.verdict == .breached)
        #expect(p.findings.map(\.code) == ["rpo-breached", "drill-overdue", "failed-runs"])
        #expect(p.rpo.longestBreach?.start == at(51))                 // age passes 2h at 51:00 (snapshot 49:00)
        #expect(p.rpo.longestBreach?.durationSeconds == 3.0 * 3600 + 600) // until 54:10 when backup 54 commits
        #expect(p.rpo.worstAgeSeconds == 5.0 * 3600 + 600)
        #expect(p.findings[0].message.contains("longest 3h10m from 2026-11-03T03:00:00Z"))
        #expect(p.runs.failedInWindow == 4)

        // The same history judged only after the outage: compliant apart from drills.
        let b60 = h.backups.first { $0.snapshotTime == at(60) }
        h.drills = [drill("d1", backupID: b60?.id ?? "", start: at(61), seconds: 3 * 3600 + 1800, passed: true,
                          size: b60?.compressedSize ?? 0)]
        let later = PolicyCompliance.evaluate(h, from: at(60), to: at(72, 40))
        #expect(later.verdict == .atRisk)
        // Drill took 3h30m: projected ≈ 3h30m > 80% of 4h. Data age 1h40m at 72:40 > 80% of 2h (1h36m).
        #expect(later.findings.map(\.code) == ["data-age-high", "projected-rto-high"])

        // A drill longer than the RTO is a breach; the latest failed drill and a failed last run are at risk.
        h.drills.append(drill("d0", backupID: h.backups[0].id, start: at(30), seconds: 5 * 3600, passed: true, size: 1))
        h.drills[0].passed = false
        h.runs.append(run("r-last", start: at(72), seconds: 5, outcome: .failed, error: "disk full"))
        let bad = PolicyCompliance.evaluate(h, from: at(60), to: at(72, 10))
        #expect(bad.verdict == .breached)
        #expect(Set(bad.findings.map(\.code)).isSuperset(of: ["rto-exceeded", "last-drill-failed", "last-run-failed"]))
        let report = ComplianceReport(histories: [h, hourlyHistory(hours: 80, policy: "billing")], from: at(60),
                                      to: at(72, 10), generatedAt: at(74))
        #expect(report.exitStatus == 3)
        #expect(report.policies.map(\.targets.name) == ["billing", "orders"])
        #expect(report.verdict == .breached)
    }

    @Test func noBackupEverIsBreached() {
        let h = PolicyHistory(targets: PolicyTargets(name: "new", rpoSeconds: 3600, rtoSeconds: 3600), backups: [])
        let p = PolicyCompliance.evaluate(h, from: at(0), to: at(5))
        #expect(p.verdict == .breached)
        #expect(p.findings.first?.code == "no-backup")
    }
}
