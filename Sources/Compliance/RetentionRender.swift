import Foundation
import Support

/// Renders a `RetentionPlan` for `drctl prune [--dry-run] [--json]`.
public enum RetentionRender {
    /// Plain text, one line per backup, newest first:
    /// `keep    20261121T030000Z-7f3a  2026-11-21T03:00:00Z  1.2 MB  newest backup`.
    public static func text(_ plan: RetentionPlan, dryRun: Bool = true) -> String {
        var out = ""
        let title = plan.policy.isEmpty ? "retention plan" : "retention plan for policy '\(plan.policy)'"
        out += "\(title) as of \(Timestamp.iso8601(plan.asOf))\(dryRun ? " (dry run: nothing changed)" : "")\n"
        out += "window \(DurationText.format(plan.retention.window)), min_keep \(plan.retention.minKeep)\n"
        if !plan.pruningAllowed {
            out += "pruning suspended: the last backup run failed; nothing will be deleted\n"
        }
        if plan.backups.isEmpty { out += "no backups\n" }
        let idWidth = plan.backups.map(\.backupID.count).max() ?? 0
        for d in plan.backups {
            let action = d.action == .delete ? "DELETE" : "keep  "
            out += "  \(action)  \(pad(d.backupID, idWidth))  \(Timestamp.iso8601(d.snapshotTime))  "
            out += "\(pad(ByteCount.format(d.compressedSize), 9))  \(d.reason.explanation)\n"
        }
        for u in plan.abortUploads {
            out += "  ABORT   upload of \(u.key) started \(Timestamp.iso8601(u.initiated)) (abandoned)\n"
        }
        for o in plan.deleteOrphans {
            out += "  DELETE  orphan \(o.key) \(ByteCount.format(o.size)) modified "
            out += "\(Timestamp.iso8601(o.lastModified)) (no manifest)\n"
        }
        let deletions = plan.deletions.count
        out += "summary: keep \(plan.kept.count), delete \(deletions) backup\(deletions == 1 ? "" : "s"), "
        out += "abort \(plan.abortUploads.count) upload\(plan.abortUploads.count == 1 ? "" : "s"), "
        out += "delete \(plan.deleteOrphans.count) orphan\(plan.deleteOrphans.count == 1 ? "" : "s"), "
        out += "frees \(ByteCount.format(plan.bytesFreed))\n"
        return out
    }

    /// The plan as stable JSON (`formatVersion` 1; dates ISO 8601 UTC; reasons in kebab-case).
    public static func json(_ plan: RetentionPlan) throws -> String {
        String(decoding: try RecordCoding.encode(plan), as: UTF8.self)
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
