import Foundation
import Service
import Support

/// Plain-text tables for drctl's read verbs.
enum Render {
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func time(_ date: Date?) -> String { date.map { Timestamp.iso8601($0) } ?? "-" }

    static func status(_ s: StatusPayload) -> String {
        var out = "drd \(s.version) (pid \(s.pid)), up since \(time(s.startedAt))\nconfig \(s.configFile), store \(s.store)\n\n"
        out += table(["POLICY", "SCHEDULE", "LAST SNAPSHOT", "DATA AGE", "RPO", "NEXT RUN", "FAILURES"], s.policies.map { p in
            [p.name, p.schedule, time(p.lastSnapshot), p.dataAgeSeconds.map { DurationText.format($0) } ?? "-",
             p.rpoSeconds.map { DurationText.format($0) } ?? "-", time(p.nextRun), "\(p.consecutiveFailures)"]
        })
        for p in s.policies { if let e = p.lastError { out += "\n\(p.name): last run failed: \(e)" } }
        out += "\n\n" + jobs(s.jobs)
        return out
    }

    static func list(_ l: ListPayload) -> String {
        guard !l.backups.isEmpty else { return "no backups" + (l.problems.isEmpty ? "" : "\n" + l.problems.joined(separator: "\n")) }
        var out = table(["POLICY", "ID", "DATABASE", "SNAPSHOT", "SIZE", "ROWS", "TABLES", "VERIFIED", "DRILLED"], l.backups.map { b in
            [b.policy, b.id, b.database, time(b.snapshotTime), ByteCount.format(b.compressedSize), "\(b.rows)", "\(b.tables)",
             b.verified ? "yes" : "no", b.drilled ? "yes" : "no"]
        })
        if !l.problems.isEmpty { out += "\n\nproblems:\n" + l.problems.joined(separator: "\n") }
        return out
    }

    static func jobs(_ jobs: [JobInfo]) -> String {
        guard !jobs.isEmpty else { return "no running jobs" }
        return table(["JOB", "KIND", "POLICY", "STARTED", "PHASE", "ROWS", "BYTES"], jobs.map { j in
            [j.id, j.kind, j.policy ?? "-", time(j.startedAt), j.phase, "\(j.rows)", ByteCount.format(j.bytes)]
        })
    }
}
