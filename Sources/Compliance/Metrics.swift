import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Builds Prometheus text exposition format 0.0.4: one `# HELP` and `# TYPE` per family, then its
/// samples. Label values and help text are escaped as the format requires.
public struct PrometheusExposition: Sendable {
    public enum MetricType: String, Sendable { case gauge, counter }

    private struct Family: Sendable {
        var name: String
        var help: String
        var type: MetricType
        var samples: [String]
    }
    private var families: [Family] = []

    public init() {}

    /// Adds one sample; the first sample of a family declares its help text and type.
    public mutating func add(_ name: String, help: String, type: MetricType = .gauge,
                             labels: [(String, String)] = [], value: Double) {
        let line = name + Self.labelText(labels) + " " + Self.valueText(value)
        if let i = families.firstIndex(where: { $0.name == name }) {
            families[i].samples.append(line)
        } else {
            families.append(Family(name: name, help: help, type: type, samples: [line]))
        }
    }

    /// Declares a family without samples (so HELP/TYPE appear even when no policy exists).
    public mutating func declare(_ name: String, help: String, type: MetricType = .gauge) {
        guard !families.contains(where: { $0.name == name }) else { return }
        families.append(Family(name: name, help: help, type: type, samples: []))
    }

    /// The exposition text, ending with a newline.
    public var text: String {
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.type.rawValue)\n"
            for sample in family.samples { out += sample + "\n" }
        }
        return out
    }

    /// `{a="x",b="y"}`, or empty without labels.
    public static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and newline.
    public static func escapeLabel(_ value: String) -> String {
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Help text escapes backslash and newline.
    public static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a decimal point, `+Inf`/`-Inf`/`NaN` as the format spells them.
    public static func valueText(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// The drd series of DESIGN.md ("Metrics"), labelled by `policy`, computed from the store history.
public enum ComplianceMetrics {
    /// Exposition for `policies` as of `now`. `up` is 1 while the daemon runs (`drd_up`);
    /// `drd_metrics_generated_timestamp_seconds` lets alerts spot a stale textfile.
    public static func exposition(_ policies: [PolicyHistory], now: Date, up: Bool = true) -> PrometheusExposition {
        var e = PrometheusExposition()
        e.add("drd_up", help: "1 while the drd daemon is running and writing metrics.", value: up ? 1 : 0)
        e.add("drd_metrics_generated_timestamp_seconds", help: "When these metrics were computed (Unix time).",
              value: now.timeIntervalSince1970.rounded(.down))
        let specs: [(String, String, PrometheusExposition.MetricType)] = [
            ("drd_backup_last_success_timestamp_seconds", "Snapshot time of the newest committed backup (Unix time; 0 if none).", .gauge),
            ("drd_backup_duration_seconds", "Duration of the last successful backup run.", .gauge),
            ("drd_backup_size_bytes", "Compressed size of the newest committed backup.", .gauge),
            ("drd_backup_last_run_success", "1 if the latest backup run succeeded, 0 if it failed or was cancelled.", .gauge),
            ("drd_backup_failures_total", "Failed backup runs recorded in the store.", .counter),
            ("drd_backups_kept", "Committed backups currently in the store.", .gauge),
            ("drd_data_age_seconds", "Now minus the snapshot time of the newest committed backup (+Inf if none).", .gauge),
            ("drd_rpo_target_seconds", "Configured RPO.", .gauge),
            ("drd_drill_last_success_timestamp_seconds", "Finish time of the newest passing drill (Unix time; 0 if none).", .gauge),
            ("drd_drill_duration_seconds", "Duration of the newest drill, passed or not.", .gauge),
            ("drd_drill_last_passed", "1 if the newest drill passed, 0 if it failed or none ran.", .gauge),
            ("drd_drill_interval_seconds", "A passing drill is expected at least this often.", .gauge),
            ("drd_projected_rto_seconds", "Last passing drill duration scaled by backup size growth since.", .gauge),
            ("drd_rto_target_seconds", "Configured RTO.", .gauge),
            ("drd_compliance_status", "Current verdict: 0 compliant, 1 at risk, 2 breached (over the last RPO-sized window).", .gauge),
        ]
        for (name, help, type) in specs { e.declare(name, help: help, type: type) }

        for history in policies.sorted(by: { $0.targets.name < $1.targets.name }) {
            let t = history.targets
            let labels = [("policy", t.name)]
            func put(_ name: String, _ value: Double) {
                let spec = specs.first { $0.0 == name }
                e.add(name, help: spec?.1 ?? "", type: spec?.2 ?? .gauge, labels: labels, value: value)
            }
            // The verdict for "now": a window as long as the RPO, so an old breach does not page forever.
            let status = PolicyCompliance.evaluate(history, from: now.addingTimeInterval(-max(t.rpoSeconds, 1)), to: now)
            let newest = history.backups.filter { $0.completedTime <= now }
                .max { $0.snapshotTime < $1.snapshotTime }
            put("drd_backup_last_success_timestamp_seconds", newest?.snapshotTime.timeIntervalSince1970 ?? 0)
            if let run = status.runs.lastSuccess { put("drd_backup_duration_seconds", run.durationSeconds) }
            put("drd_backup_size_bytes", Double(newest?.compressedSize ?? 0))
            if let run = status.runs.lastRun { put("drd_backup_last_run_success", run.outcome == .success ? 1 : 0) }
            put("drd_backup_failures_total", Double(status.runs.failuresTotal))
            put("drd_backups_kept", Double(status.retention.backupsKept))
            put("drd_data_age_seconds", status.rpo.currentAgeSeconds ?? .infinity)
            put("drd_rpo_target_seconds", t.rpoSeconds)
            put("drd_drill_last_success_timestamp_seconds",
                status.rto.lastPassingDrill?.finishedAt.timeIntervalSince1970 ?? 0)
            if let drill = status.rto.lastDrill { put("drd_drill_duration_seconds", drill.durationSeconds) }
            put("drd_drill_last_passed", status.rto.lastDrill?.passed == true ? 1 : 0)
            put("drd_drill_interval_seconds", t.drillIntervalSeconds)
            if let projected = status.rto.projectedSeconds { put("drd_projected_rto_seconds", projected) }
            put("drd_rto_target_seconds", t.rtoSeconds)
            put("drd_compliance_status", status.verdict == .compliant ? 0 : status.verdict == .atRisk ? 1 : 2)
        }
        return e
    }
}

/// Writes an exposition as a node_exporter textfile, atomically: a hidden temp file in the same
/// directory (not ending in `.prom`, so node_exporter never reads it half-written), fsync, rename.
public enum MetricsTextfile {
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DRDError.posix("unable to create metrics file '\(temp)'", errno: errno) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let err = errno
                close(fd)
                throw DRDError.posix("unable to write metrics file '\(temp)'", errno: err)
            }
            offset += n
        }
        // fchmod: the umask may have narrowed 0644, and node_exporter usually runs as another user.
        fchmod(fd, 0o644)
        let synced = fsync(fd) == 0
        let syncErr = errno
        if close(fd) != 0 || !synced {
            throw DRDError.posix("unable to flush metrics file '\(temp)'", errno: synced ? errno : syncErr)
        }
        guard rename(temp, path) == 0 else {
            throw DRDError.posix("unable to rename '\(temp)' to '\(path)'", errno: errno)
        }
        ok = true
    }

    /// Writes `exposition.text` to `path` atomically.
    public static func write(_ exposition: PrometheusExposition, to path: String) throws {
        try write(exposition.text, to: path)
    }
}
