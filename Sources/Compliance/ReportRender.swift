import Foundation
import Support

/// `drctl report --format`: text for terminals, JSON for tools, Markdown for tickets, HTML for auditors.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, markdown, html

    /// Renders `report` in this format.
    public func render(_ report: ComplianceReport) throws -> String {
        switch self {
        case .text: return ReportRender.text(report)
        case .json: return try ReportRender.json(report)
        case .markdown: return ReportRender.markdown(report)
        case .html: return ReportHTML.render(report)
        }
    }
}

/// Formatting shared by the renderers.
enum Fmt {
    static func time(_ date: Date?) -> String { date.map(Timestamp.iso8601) ?? "never" }
    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "n/a" }
        if seconds.isInfinite { return "undefined" }
        return DurationText.format(seconds)
    }
    static func percent(_ share: Double) -> String {
        share >= 1 ? "100%" : String(format: "%.2f%%", (share * 100 * 100).rounded(.down) / 100)
    }
    static func verdictUpper(_ v: Verdict) -> String { v.label.uppercased() }
    static func breach(_ b: BreachInterval?) -> String {
        guard let b else { return "none" }
        return "\(duration(b.durationSeconds)) (\(time(b.start)) to \(b.ongoing ? "now, ongoing" : time(b.end)))"
    }
    static func drill(_ d: DrillPoint?) -> String {
        guard let d else { return "none" }
        return "\(time(d.finishedAt)) \(d.passed ? "passed" : "FAILED") in \(duration(d.durationSeconds))"
    }
    static func targets(_ t: PolicyTargets) -> String {
        var s = "RPO \(duration(t.rpoSeconds)), RTO \(duration(t.rtoSeconds)), drill every "
        s += "\(duration(t.drillIntervalSeconds)), retention \(duration(t.retention.window)) "
        s += "(min_keep \(t.retention.minKeep))"
        if let schedule = t.schedule { s += ", schedule \(schedule)" }
        return s
    }
    static func runs(_ r: RunSummary) -> String {
        "\(r.runsInWindow) runs: \(r.succeededInWindow) succeeded, \(r.failedInWindow) failed, "
            + "\(r.cancelledInWindow) cancelled; last success \(time(r.lastSuccess?.finishedAt))"
    }
    static func retention(_ r: RetentionState) -> String {
        "\(r.backupsKept) backups (\(ByteCount.format(r.totalBytes))), oldest restorable point "
            + "\(time(r.oldestRestorable)), newest \(time(r.newestRestorable))"
    }
    static func projected(_ rto: RTOAnalysis) -> String {
        guard let p = rto.projectedSeconds else { return "unknown (no passing drill)" }
        return "\(duration(p)) (growth ×\(String(format: "%.2f", rto.growth ?? 1)))"
    }
    /// Escapes `|` and newlines for Markdown table cells.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

/// Text, JSON and Markdown renderings of a `ComplianceReport`.
public enum ReportRender {
    /// Plain text for terminals.
    public static func text(_ report: ComplianceReport) -> String {
        var out = "drd compliance report\n"
        out += "window     \(Fmt.time(report.from)) to \(Fmt.time(report.to)) "
        out += "(\(Fmt.duration(report.to.timeIntervalSince(report.from))))\n"
        out += "generated  \(Fmt.time(report.generatedAt))\n"
        out += "overall    \(Fmt.verdictUpper(report.verdict))\(report.exitStatus == 0 ? "" : " (exit 3)")\n"
        if report.policies.isEmpty { out += "\nno policies\n" }
        for p in report.policies {
            out += "\npolicy \(p.targets.name): \(Fmt.verdictUpper(p.verdict))\n"
            out += "  targets     \(Fmt.targets(p.targets))\n"
            out += "  data age    current \(Fmt.duration(p.rpo.currentAgeSeconds)), worst "
            out += "\(Fmt.duration(p.rpo.worstAgeSeconds)), within RPO \(Fmt.percent(p.rpo.shareWithinTarget)) "
            out += "of the window\n"
            out += "  breaches    \(p.rpo.breaches.count), longest \(Fmt.breach(p.rpo.longestBreach))\n"
            out += "  backups     \(Fmt.runs(p.runs))\n"
            out += "  drills      last \(Fmt.drill(p.rto.lastDrill)); \(p.rto.drillsInWindow.count) in window, "
            out += "\(p.rto.failedDrillsInWindow.count) failed\n"
            out += "  RTO         projected \(Fmt.projected(p.rto)); next drill due "
            out += "\(p.rto.nextDrillDue.map(Timestamp.iso8601) ?? "now")\n"
            out += "  retention   \(Fmt.retention(p.retention))\n"
            if p.findings.isEmpty { out += "  all targets met\n" }
            for f in p.findings {
                let tag = f.severity == .compliant ? "note" : Fmt.verdictUpper(f.severity)
                out += "  - \(tag): \(f.message)\n"
            }
        }
        return out
    }

    /// Stable JSON (`kind: drd.compliance-report`, `formatVersion: 1`), sorted keys, ISO 8601 dates,
    /// durations in seconds. New fields may be added within a version; none are removed or renamed.
    public static func json(_ report: ComplianceReport) throws -> String {
        String(decoding: try RecordCoding.encode(report), as: UTF8.self)
    }

    /// Markdown for tickets and wikis: a summary table, then findings, breaches and drills per policy.
    public static func markdown(_ report: ComplianceReport) -> String {
        var out = "# drd compliance report\n\n"
        out += "- **Window:** \(Fmt.time(report.from)) to \(Fmt.time(report.to))\n"
        out += "- **Generated:** \(Fmt.time(report.generatedAt))\n"
        out += "- **Overall verdict:** \(Fmt.verdictUpper(report.verdict))\n\n"
        out += "| Policy | Verdict | RPO | Current age | Worst age | Within RPO | Longest breach | RTO | Last drill | Projected RTO |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|\n"
        for p in report.policies {
            let cells = [p.targets.name, Fmt.verdictUpper(p.verdict), Fmt.duration(p.targets.rpoSeconds),
                         Fmt.duration(p.rpo.currentAgeSeconds), Fmt.duration(p.rpo.worstAgeSeconds),
                         Fmt.percent(p.rpo.shareWithinTarget),
                         p.rpo.longestBreach.map { Fmt.duration($0.durationSeconds) } ?? "none",
                         Fmt.duration(p.targets.rtoSeconds), Fmt.drill(p.rto.lastDrill),
                         p.rto.projectedSeconds.map { Fmt.duration($0) } ?? "unknown"]
            out += "| " + cells.map(Fmt.cell).joined(separator: " | ") + " |\n"
        }
        for p in report.policies {
            out += "\n## Policy `\(p.targets.name)`: \(Fmt.verdictUpper(p.verdict))\n\n"
            out += "Targets: \(Fmt.targets(p.targets)).\n\n"
            if p.findings.isEmpty { out += "All targets met over the window.\n" }
            for f in p.findings {
                let tag = f.severity == .compliant ? "note" : Fmt.verdictUpper(f.severity)
                out += "- **\(tag)** (`\(f.code)`): \(f.message)\n"
            }
            out += "\n- Backups: \(Fmt.runs(p.runs))\n"
            out += "- Retention: \(Fmt.retention(p.retention))\n"
            out += "- Projected RTO: \(Fmt.projected(p.rto))\n"
            if !p.rpo.breaches.isEmpty {
                out += "\n| RPO breach start | End | Duration |\n|---|---|---|\n"
                for b in p.rpo.breaches {
                    out += "| \(Fmt.time(b.start)) | \(b.ongoing ? "ongoing" : Fmt.time(b.end)) | "
                    out += "\(Fmt.duration(b.durationSeconds)) |\n"
                }
            }
            if !p.rto.drillsInWindow.isEmpty {
                out += "\n| Drill | Backup | Finished | Duration | Result |\n|---|---|---|---|---|\n"
                for d in p.rto.drillsInWindow {
                    let result = d.passed ? "passed" : "FAILED: " + d.reasons.joined(separator: "; ")
                    out += "| \(Fmt.cell(d.drillID)) | \(Fmt.cell(d.backupID)) | \(Fmt.time(d.finishedAt)) | "
                    out += "\(Fmt.duration(d.durationSeconds)) | \(Fmt.cell(result)) |\n"
                }
            }
        }
        out += "\n## Definitions\n\n" + ReportDefinitions.items.map { "- **\($0.0):** \($0.1)" }.joined(separator: "\n")
        out += "\n"
        return out
    }
}

/// The definitions printed at the end of Markdown and HTML reports, so readers need no other document.
public enum ReportDefinitions {
    public static let items: [(String, String)] = [
        ("Data age", "at time t, t minus the snapshot time of the newest backup committed (manifest written) "
            + "at or before t. Before the first backup ever, data age is undefined and counts as a breach."),
        ("RPO met", "data age ≤ the RPO target. Within RPO is the share of the window during which it held; "
            + "worst age is the highest data age reached, just before a commit."),
        ("RTO", "measured by drills: time from restore start to a verified, usable database (download, load, "
            + "indexes, checks). Projected RTO = last passing drill duration × (newest backup size / drilled backup size)."),
        ("Breached", "data age exceeded the RPO at any time in the window, no backup exists, or the last passing "
            + "drill took longer than the RTO."),
        ("At risk", "not breached, but current data age is over 80% of the RPO, projected RTO is over 80% of "
            + "the RTO, no drill passed within the drill interval, the latest drill failed, or the latest backup run failed."),
        ("Compliant", "none of the above."),
    ]
}
