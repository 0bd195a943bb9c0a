import Foundation
import Support

/// Inline SVG charts for the HTML report: no scripts, no external resources.
enum ReportCharts {
    static let width = 760.0
    static let height = 230.0
    static let left = 64.0, right = 16.0, top = 14.0, bottom = 34.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    /// Data age (sawtooth) against the RPO line; breaches shaded red, undefined age hatched.
    static func dataAge(_ rpo: RPOAnalysis) -> String {
        let span = max(1, rpo.to.timeIntervalSince(rpo.from))
        let worst = rpo.worstAgeSeconds ?? 0
        let yMax = niceMax(max(worst, rpo.targetSeconds * 1.25, 60))
        func x(_ d: Date) -> Double { left + plotWidth * d.timeIntervalSince(rpo.from) / span }
        func y(_ age: Double) -> Double { top + plotHeight * (1 - min(max(age, 0), yMax) / yMax) }

        var svg = open("Data age against the RPO target")
        svg += grid(yMax: yMax, from: rpo.from, to: rpo.to)
        for b in rpo.breaches {
            svg += "<rect class=\"breach\" x=\"\(f(x(b.start)))\" y=\"\(f(top))\" "
            svg += "width=\"\(f(max(1, x(b.end) - x(b.start))))\" height=\"\(f(plotHeight))\">"
            svg += "<title>breach \(Fmt.time(b.start)) to \(Fmt.time(b.end)): \(Fmt.duration(b.durationSeconds))</title></rect>"
        }
        for s in rpo.segments where s.ageAtStart == nil {
            svg += "<rect class=\"undefined\" x=\"\(f(x(s.start)))\" y=\"\(f(top))\" "
            svg += "width=\"\(f(max(1, x(s.end) - x(s.start))))\" height=\"\(f(plotHeight))\">"
            svg += "<title>no backup yet: data age undefined</title></rect>"
        }
        var path = ""
        var pen = false
        for s in rpo.segments {
            guard let a0 = s.ageAtStart, let a1 = s.ageAtEnd else { pen = false; continue }
            path += (pen ? "L" : "M") + "\(f(x(s.start))),\(f(y(a0)))L\(f(x(s.end))),\(f(y(a1)))"
            pen = true
        }
        if !path.isEmpty { svg += "<path class=\"age\" d=\"\(path)\"/>" }
        let ry = y(rpo.targetSeconds)
        svg += "<line class=\"target\" x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(ry))\" y2=\"\(f(ry))\"/>"
        svg += "<text class=\"target-label\" x=\"\(f(left + plotWidth - 4))\" y=\"\(f(ry - 4))\" "
        svg += "text-anchor=\"end\">RPO \(Fmt.duration(rpo.targetSeconds))</text>"
        return svg + "</svg>"
    }

    /// Drill durations (bars: green passed, red failed) against the RTO line and the projected RTO.
    static func drills(_ rto: RTOAnalysis, from: Date, to: Date) -> String {
        let span = max(1, to.timeIntervalSince(from))
        let longest = rto.drillsInWindow.map(\.durationSeconds).max() ?? 0
        let yMax = niceMax(max(longest, rto.projectedSeconds ?? 0, rto.targetSeconds * 1.25, 60))
        func x(_ d: Date) -> Double { left + plotWidth * d.timeIntervalSince(from) / span }
        func y(_ s: Double) -> Double { top + plotHeight * (1 - min(max(s, 0), yMax) / yMax) }

        var svg = open("Drill durations against the RTO target")
        svg += grid(yMax: yMax, from: from, to: to)
        let barWidth = max(4, min(18, plotWidth / Double(max(1, rto.drillsInWindow.count)) * 0.6))
        for d in rto.drillsInWindow {
            let cx = min(max(x(d.finishedAt), left + barWidth / 2), left + plotWidth - barWidth / 2)
            let top = y(d.durationSeconds)
            svg += "<rect class=\"\(d.passed ? "pass" : "fail")\" x=\"\(f(cx - barWidth / 2))\" y=\"\(f(top))\" "
            svg += "width=\"\(f(barWidth))\" height=\"\(f(max(1, y(0) - top)))\"><title>\(esc(d.drillID)): "
            svg += "\(d.passed ? "passed" : "failed") in \(Fmt.duration(d.durationSeconds)) at \(Fmt.time(d.finishedAt))"
            svg += "</title></rect>"
        }
        if rto.drillsInWindow.isEmpty {
            svg += "<text class=\"empty\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight / 2))\" "
            svg += "text-anchor=\"middle\">no drills in this window</text>"
        }
        let ry = y(rto.targetSeconds)
        svg += "<line class=\"target\" x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(ry))\" y2=\"\(f(ry))\"/>"
        svg += "<text class=\"target-label\" x=\"\(f(left + plotWidth - 4))\" y=\"\(f(ry - 4))\" "
        svg += "text-anchor=\"end\">RTO \(Fmt.duration(rto.targetSeconds))</text>"
        if let p = rto.projectedSeconds {
            let py = y(p)
            svg += "<line class=\"projected\" x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py))\" y2=\"\(f(py))\"/>"
            svg += "<text class=\"projected-label\" x=\"\(f(left + 4))\" y=\"\(f(py - 4))\">projected RTO "
            svg += "\(Fmt.duration(p))</text>"
        }
        return svg + "</svg>"
    }

    private static func open(_ label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" "
            + "aria-label=\"\(esc(label))\" class=\"chart\"><title>\(esc(label))</title>"
    }

    /// Axes with 4 horizontal grid lines (durations) and up to 6 round time ticks.
    private static func grid(yMax: Double, from: Date, to: Date) -> String {
        var s = "<rect class=\"plot\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\"/>"
        for i in 0...4 {
            let v = yMax * Double(i) / 4
            let yy = top + plotHeight * (1 - Double(i) / 4)
            s += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(yy))\" y2=\"\(f(yy))\"/>"
            s += "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(Fmt.duration(v))</text>"
        }
        let span = max(1, to.timeIntervalSince(from))
        let step = timeStep(span)
        var tick = (from.timeIntervalSince1970 / step).rounded(.up) * step
        while tick <= to.timeIntervalSince1970 {
            let t = Date(timeIntervalSince1970: tick)
            let xx = left + plotWidth * t.timeIntervalSince(from) / span
            let anchor = xx - left < 50 ? "start" : left + plotWidth - xx < 50 ? "end" : "middle"
            let iso = Timestamp.iso8601(t)
            let label = step >= 86_400 ? String(iso.prefix(10))
                : String(iso.prefix(16)).replacingOccurrences(of: "T", with: " ")
            s += "<line class=\"grid\" x1=\"\(f(xx))\" x2=\"\(f(xx))\" y1=\"\(f(top))\" y2=\"\(f(top + plotHeight))\"/>"
            s += "<text class=\"axis\" x=\"\(f(xx))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"\(anchor)\">\(label)</text>"
            tick += step
        }
        s += "<text class=\"axis\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 2))\" text-anchor=\"middle\">time (UTC)</text>"
        return s
    }

    /// A round tick step (UTC-aligned) giving at most 6 time ticks over `span` seconds.
    static func timeStep(_ span: Double) -> Double {
        let steps: [Double] = [60, 300, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800,
                               604_800, 1_209_600, 2_592_000, 7_776_000, 31_536_000]
        return steps.first { span / $0 <= 6 } ?? (span / 6).rounded(.up)
    }

    /// Rounds a maximum up to 4 × a readable step, so the 4 grid lines fall on round durations.
    static func niceMax(_ v: Double) -> Double {
        let steps: [Double] = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
                               172_800, 604_800, 2_592_000]
        for step in steps where v <= step * 4 { return step * 4 }
        return (v / 2_592_000 / 4).rounded(.up) * 4 * 2_592_000
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// Escapes text for HTML element content and attribute values.
func esc(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for ch in s {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(ch)
        }
    }
    return out
}
