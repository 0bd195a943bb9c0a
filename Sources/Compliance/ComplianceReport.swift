import Foundation
import Support

/// The promises of one policy, as configured (`rpo`, `rto`, `drill_schedule`, `retention`, `min_keep`).
public struct PolicyTargets: Codable, Sendable, Hashable {
    public var name: String
    public var rpoSeconds: Double
    public var rtoSeconds: Double
    /// A passing drill is expected at least this often (default 7 days).
    public var drillIntervalSeconds: Double
    public var retention: RetentionPolicy
    /// The schedule text, shown in reports only.
    public var schedule: String?

    public init(name: String, rpoSeconds: Double, rtoSeconds: Double,
                drillIntervalSeconds: Double = DrillAnalysis.defaultInterval,
                retention: RetentionPolicy = RetentionPolicy(), schedule: String? = nil) {
        self.name = name
        self.rpoSeconds = rpoSeconds
        self.rtoSeconds = rtoSeconds
        self.drillIntervalSeconds = drillIntervalSeconds
        self.retention = retention
        self.schedule = schedule
    }
}

/// Everything the store holds about one policy.
public struct PolicyHistory: Sendable {
    public var targets: PolicyTargets
    public var backups: [BackupRecord]
    public var runs: [RunRecord]
    public var drills: [DrillRecord]
    public init(targets: PolicyTargets, backups: [BackupRecord], runs: [RunRecord] = [], drills: [DrillRecord] = []) {
        self.targets = targets
        self.backups = backups
        self.runs = runs
        self.drills = drills
    }
}

/// Compliance verdict, worst last (`Comparable`).
public enum Verdict: String, Codable, Sendable, Comparable, CaseIterable {
    case compliant
    case atRisk = "at-risk"
    case breached

    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
    private var rank: Int { self == .compliant ? 0 : self == .atRisk ? 1 : 2 }
    /// `compliant`, `at risk`, `breached`.
    public var label: String { self == .atRisk ? "at risk" : rawValue }
}

/// One reason behind a verdict. `severity` is `compliant` for information that does not lower it.
public struct Finding: Codable, Sendable, Hashable {
    /// Stable identifier: rpo-breached, rto-exceeded, data-age-high, projected-rto-high,
    /// drill-overdue, last-drill-failed, last-run-failed, failed-runs, failed-drills, no-backup.
    public var code: String
    public var severity: Verdict
    public var message: String
}

/// The verdict rules (documented in docs/compliance.md). Thresholds are fractions of the target.
public struct VerdictRules: Codable, Sendable, Hashable {
    /// Current data age above this share of the RPO is at risk.
    public var dataAgeWarning: Double = 0.8
    /// Projected RTO above this share of the RTO is at risk.
    public var projectedRTOWarning: Double = 0.8
    public init() {}
}

/// Compliance of one policy over the report window.
public struct PolicyCompliance: Codable, Sendable, Hashable {
    public var targets: PolicyTargets
    public var verdict: Verdict
    /// Worst first.
    public var findings: [Finding]
    public var rpo: RPOAnalysis
    public var rto: RTOAnalysis
    public var runs: RunSummary
    public var retention: RetentionState

    /// Evaluates one policy over [from, to].
    public static func evaluate(_ history: PolicyHistory, from: Date, to: Date,
                                rules: VerdictRules = VerdictRules()) -> PolicyCompliance {
        let t = history.targets
        let rpo = DataAge.analyze(backups: history.backups, from: from, to: to, target: t.rpoSeconds)
        let rto = DrillAnalysis.analyze(drills: history.drills, backups: history.backups, from: from, to: to,
                                        target: t.rtoSeconds, drillInterval: t.drillIntervalSeconds)
        let runs = RunSummary.summarize(runs: history.runs, from: from, to: to)
        let retention = RetentionState.of(backups: history.backups, at: to)
        var findings: [Finding] = []
        func add(_ code: String, _ severity: Verdict, _ message: String) {
            findings.append(Finding(code: code, severity: severity, message: message))
        }
        let d = DurationText.format
        let rpoText = d(t.rpoSeconds), rtoText = d(t.rtoSeconds)

        if rpo.currentAgeSeconds == nil && rpo.worstAgeSeconds == nil {
            add("no-backup", .breached, "no backup has ever been committed, so RPO \(rpoText) is not met")
        } else if let longest = rpo.longestBreach {
            add("rpo-breached", .breached,
                "data age exceeded RPO \(rpoText) for \(d(rpo.breachedSeconds)) in \(rpo.breaches.count) "
                + "period\(rpo.breaches.count == 1 ? "" : "s"); longest \(d(longest.durationSeconds)) from "
                + "\(Timestamp.iso8601(longest.start))\(longest.ongoing ? ", still ongoing" : "")")
        }
        if let age = rpo.currentAgeSeconds, age <= t.rpoSeconds, age > rules.dataAgeWarning * t.rpoSeconds {
            add("data-age-high", .atRisk, "current data age \(d(age)) is over "
                + "\(percent(rules.dataAgeWarning)) of RPO \(rpoText)")
        }
        if let drill = rto.lastPassingDrill, drill.durationSeconds > t.rtoSeconds {
            add("rto-exceeded", .breached, "last passing drill took \(d(drill.durationSeconds)), over RTO \(rtoText)")
        } else if let projected = rto.projectedSeconds, projected > rules.projectedRTOWarning * t.rtoSeconds {
            add("projected-rto-high", .atRisk, "projected RTO \(d(projected)) (last drill scaled by backup growth "
                + "×\(String(format: "%.2f", rto.growth ?? 1))) is over \(percent(rules.projectedRTOWarning)) of RTO \(rtoText)")
        }
        if rto.lastPassingDrill == nil {
            add("drill-overdue", .atRisk, "no drill has ever passed, so RTO \(rtoText) is unproven")
        } else if rto.drillOverdue, let last = rto.lastPassingDrill {
            add("drill-overdue", .atRisk, "no passing drill within \(d(t.drillIntervalSeconds)); last passed "
                + Timestamp.iso8601(last.finishedAt))
        }
        if let last = rto.lastDrill, !last.passed {
            let why = last.reasons.first.map { ": \($0)" } ?? ""
            add("last-drill-failed", .atRisk, "the latest drill (\(Timestamp.iso8601(last.finishedAt))) failed\(why)")
        }
        if let last = runs.lastRun, last.outcome == .failed {
            let why = last.error.map { ": \(Redact.keyValues($0))" } ?? ""
            add("last-run-failed", .atRisk, "the latest backup run (\(Timestamp.iso8601(last.finishedAt))) failed\(why)")
        }
        if runs.failedInWindow > 0 {
            add("failed-runs", .compliant, "\(runs.failedInWindow) of \(runs.runsInWindow) backup runs failed in the window")
        }
        let failedDrills = rto.failedDrillsInWindow.count
        if failedDrills > 0 {
            add("failed-drills", .compliant, "\(failedDrills) of \(rto.drillsInWindow.count) drills failed in the window")
        }
        // Worst first, keeping the order above within a severity (sort alone is not stable).
        findings = findings.enumerated().sorted {
            $0.element.severity != $1.element.severity ? $0.element.severity > $1.element.severity : $0.offset < $1.offset
        }.map(\.element)
        let verdict = findings.map(\.severity).max() ?? .compliant
        return PolicyCompliance(targets: t, verdict: verdict, findings: findings, rpo: rpo, rto: rto,
                                runs: runs, retention: retention)
    }

    private static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
}

/// Compliance of a set of policies over one window: what `drctl report` renders.
public struct ComplianceReport: Codable, Sendable, Hashable {
    public static let currentFormatVersion = 1
    public var formatVersion: Int = ComplianceReport.currentFormatVersion
    /// Always `drd.compliance-report`, so tools can recognise the document.
    public var kind: String = "drd.compliance-report"
    public var generatedAt: Date
    public var from: Date
    public var to: Date
    public var rules: VerdictRules
    /// The worst policy verdict (`compliant` when there are no policies).
    public var verdict: Verdict
    public var policies: [PolicyCompliance]

    public init(histories: [PolicyHistory], from: Date, to: Date, generatedAt: Date = Date(),
                rules: VerdictRules = VerdictRules()) {
        self.generatedAt = generatedAt
        self.from = from
        self.to = max(from, to)
        self.rules = rules
        self.policies = histories.sorted { $0.targets.name < $1.targets.name }
            .map { PolicyCompliance.evaluate($0, from: from, to: max(from, to), rules: rules) }
        self.verdict = policies.map(\.verdict).max() ?? .compliant
    }

    /// `drctl report` exit status: 3 when any policy is not compliant over the window, else 0.
    public var exitStatus: Int32 { verdict == .compliant ? 0 : 3 }
}
