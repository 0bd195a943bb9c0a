import Foundation
import Support

/// One self-contained HTML page (inline CSS and SVG; no scripts, fonts or images fetched) that an
/// auditor can read without other documents: window, targets, verdicts with reasons, charts of data
/// age against the RPO and drill durations against the RTO, breach and drill tables, definitions.
public enum ReportHTML {
    public static func render(_ report: ComplianceReport) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>drd compliance report \(esc(Fmt.time(report.from))) to \(esc(Fmt.time(report.to)))</title>\n"
        h += "<style>\n\(css)</style>\n</head>\n<body>\n<main>\n"
        h += "<header><h1>Backup compliance report</h1>\n"
        h += "<p class=\"meta\">Window <b>\(esc(Fmt.time(report.from)))</b> to <b>\(esc(Fmt.time(report.to)))</b> "
        h += "(\(esc(Fmt.duration(report.to.timeIntervalSince(report.from))))), all times UTC. "
        h += "Generated \(esc(Fmt.time(report.generatedAt))) by drd from the backup store's history.</p>\n"
        h += "<p class=\"overall\">Overall verdict: \(badge(report.verdict))</p></header>\n"
        h += summary(report)
        for p in report.policies { h += policy(p, report) }
        h += "<section class=\"definitions\"><h2>Definitions</h2>\n<dl>\n"
        for (term, text) in ReportDefinitions.items { h += "<dt>\(esc(term))</dt><dd>\(esc(text))</dd>\n" }
        h += "</dl></section>\n"
        h += "<footer>drd compliance report, format version \(report.formatVersion). Machine-readable: "
        h += "<code>drctl report --format json</code>.</footer>\n"
        h += "</main>\n</body>\n</html>\n"
        return h
    }

    private static func summary(_ report: ComplianceReport) -> String {
        var h = "<section><h2>Summary</h2>\n"
        guard !report.policies.isEmpty else { return h + "<p>No policies.</p></section>\n" }
        h += "<table class=\"summary\"><thead><tr><th>Policy</th><th>Verdict</th><th>RPO target</th>"
        h += "<th>Current data age</th><th>Worst data age</th><th>Time within RPO</th><th>Longest breach</th>"
        h += "<th>RTO target</th><th>Last drill</th><th>Projected RTO</th></tr></thead><tbody>\n"
        for p in report.policies {
            h += "<tr><td><a href=\"#policy-\(esc(anchor(p.targets.name)))\">\(esc(p.targets.name))</a></td>"
            h += "<td>\(badge(p.verdict))</td>"
            h += td(Fmt.duration(p.targets.rpoSeconds)) + td(Fmt.duration(p.rpo.currentAgeSeconds))
            h += td(Fmt.duration(p.rpo.worstAgeSeconds)) + td(Fmt.percent(p.rpo.shareWithinTarget))
            h += td(p.rpo.longestBreach.map { Fmt.duration($0.durationSeconds) } ?? "none")
            h += td(Fmt.duration(p.targets.rtoSeconds)) + td(Fmt.drill(p.rto.lastDrill))
            h += td(p.rto.projectedSeconds.map { Fmt.duration($0) } ?? "unknown") + "</tr>\n"
        }
        return h + "</tbody></table></section>\n"
    }

    private static func policy(_ p: PolicyCompliance, _ report: ComplianceReport) -> String {
        var h = "<section class=\"policy\" id=\"policy-\(esc(anchor(p.targets.name)))\">\n"
        h += "<h2>Policy <code>\(esc(p.targets.name))</code> \(badge(p.verdict))</h2>\n"
        h += "<div class=\"facts\"><table><tbody>\n"
        h += row("Targets", Fmt.targets(p.targets))
        h += row("Data age now", Fmt.duration(p.rpo.currentAgeSeconds))
        h += row("Worst data age", Fmt.duration(p.rpo.worstAgeSeconds)
                 + (p.rpo.worstAt.map { " (at \(Fmt.time($0)))" } ?? ""))
        h += row("Time within RPO", Fmt.percent(p.rpo.shareWithinTarget))
        h += row("Longest breach", Fmt.breach(p.rpo.longestBreach))
        h += row("Backup runs", Fmt.runs(p.runs))
        h += row("Last drill", Fmt.drill(p.rto.lastDrill))
        h += row("Projected RTO", Fmt.projected(p.rto))
        h += row("Next drill due", p.rto.nextDrillDue.map(Timestamp.iso8601) ?? "now (no passing drill)")
        h += row("Retention", Fmt.retention(p.retention))
        h += "</tbody></table></div>\n"
        h += "<h3>Why this verdict</h3>\n<ul class=\"findings\">\n"
        if p.findings.isEmpty { h += "<li class=\"compliant\">All targets met over the window.</li>\n" }
        for f in p.findings {
            let tag = f.severity == .compliant ? "note" : f.severity.label
            h += "<li class=\"\(f.severity.rawValue)\"><b>\(esc(tag))</b> \(esc(f.message))</li>\n"
        }
        h += "</ul>\n"
        h += "<figure><figcaption>Data age (line) against the RPO of \(esc(Fmt.duration(p.targets.rpoSeconds))) "
        h += "(dashed). Red: RPO breached. Each drop is a backup commit.</figcaption>\n"
        h += ReportCharts.dataAge(p.rpo) + "</figure>\n"
        h += "<figure><figcaption>Drill durations (green passed, red failed) against the RTO of "
        h += "\(esc(Fmt.duration(p.targets.rtoSeconds))) (dashed); dotted: projected RTO for today's backup size."
        h += "</figcaption>\n" + ReportCharts.drills(p.rto, from: report.from, to: report.to) + "</figure>\n"
        if !p.rpo.breaches.isEmpty {
            h += "<h3>RPO breaches</h3>\n<table><thead><tr><th>Start</th><th>End</th><th>Duration</th></tr></thead><tbody>\n"
            for b in p.rpo.breaches {
                h += "<tr>" + td(Fmt.time(b.start)) + td(b.ongoing ? "ongoing" : Fmt.time(b.end))
                h += td(Fmt.duration(b.durationSeconds)) + "</tr>\n"
            }
            h += "</tbody></table>\n"
        }
        if !p.rto.drillsInWindow.isEmpty {
            h += "<h3>Drills</h3>\n<table><thead><tr><th>Drill</th><th>Backup</th><th>Finished</th>"
            h += "<th>Duration</th><th>Result</th></tr></thead><tbody>\n"
            for d in p.rto.drillsInWindow {
                let result = d.passed ? "passed" : "failed: " + d.reasons.joined(separator: "; ")
                h += "<tr>" + td(d.drillID) + td(d.backupID) + td(Fmt.time(d.finishedAt))
                h += td(Fmt.duration(d.durationSeconds))
                h += "<td class=\"\(d.passed ? "ok" : "bad")\">\(esc(result))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        if !p.runs.failures.isEmpty {
            h += "<h3>Failed backup runs</h3>\n<table><thead><tr><th>Run</th><th>Finished</th><th>Error</th>"
            h += "</tr></thead><tbody>\n"
            for r in p.runs.failures.suffix(50) {
                h += "<tr>" + td(r.runID) + td(Fmt.time(r.finishedAt)) + td(Redact.keyValues(r.error ?? "")) + "</tr>\n"
            }
            h += "</tbody></table>\n"
        }
        return h + "</section>\n"
    }

    private static func badge(_ v: Verdict) -> String {
        "<span class=\"badge \(v.rawValue)\">\(esc(v.label))</span>"
    }
    private static func td(_ s: String) -> String { "<td>\(esc(s))</td>" }
    private static func row(_ k: String, _ v: String) -> String { "<tr><th>\(esc(k))</th><td>\(esc(v))</td></tr>\n" }
    private static func anchor(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
    }

    private static let css = """
    :root { --ok: #1a7f37; --warn: #b35900; --bad: #c62828; --ink: #1f2328; --muted: #59636e; --line: #d0d7de; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
           color: var(--ink); background: #f6f8fa; }
    main { max-width: 980px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
    h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 28px 0 10px; }
    h3 { font-size: 16px; margin: 18px 0 6px; }
    .meta, footer { color: var(--muted); } footer { margin-top: 32px; font-size: 13px; }
    .overall { font-size: 17px; }
    table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 6px 0 12px; }
    th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
    thead th { background: #f6f8fa; }
    .facts th { width: 170px; color: var(--muted); font-weight: 600; }
    .badge { display: inline-block; padding: 1px 10px; border-radius: 12px; color: #fff; font-size: 13px;
             font-weight: 700; text-transform: uppercase; letter-spacing: .03em; vertical-align: middle; }
    .badge.compliant { background: var(--ok); } .badge.at-risk { background: var(--warn); }
    .badge.breached { background: var(--bad); }
    .policy { border-top: 2px solid var(--line); margin-top: 28px; }
    .findings { padding-left: 20px; } .findings li.breached b { color: var(--bad); }
    .findings li.at-risk b { color: var(--warn); } .findings li.compliant b { color: var(--muted); }
    td.ok { color: var(--ok); } td.bad { color: var(--bad); }
    figure { margin: 12px 0; } figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
    svg.chart { width: 100%; height: auto; display: block; }
    svg .plot { fill: #fff; stroke: var(--line); } svg .grid { stroke: #eaeef2; }
    svg .axis { font-size: 11px; fill: var(--muted); }
    svg .age { fill: none; stroke: #0969da; stroke-width: 1.6; }
    svg .breach { fill: var(--bad); fill-opacity: .16; }
    svg .undefined { fill: var(--bad); fill-opacity: .30; }
    svg .target { stroke: var(--bad); stroke-width: 1.4; stroke-dasharray: 6 4; }
    svg .target-label { font-size: 12px; fill: var(--bad); font-weight: 600; }
    svg .projected { stroke: var(--warn); stroke-width: 1.4; stroke-dasharray: 2 3; }
    svg .projected-label { font-size: 12px; fill: var(--warn); }
    svg .pass { fill: var(--ok); } svg .fail { fill: var(--bad); } svg .empty { font-size: 13px; fill: var(--muted); }
    dt { font-weight: 700; margin-top: 6px; } dd { margin: 0 0 4px 18px; }
    code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .95em; }
    @media print { body { background: #fff; } main { padding: 0; } .policy { break-inside: avoid-page; } }

    """
}
