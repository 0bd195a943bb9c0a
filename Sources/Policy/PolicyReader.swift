import Foundation
import Support

/// Builds a `Policy` from a parsed policy file, validating everything that needs no other file.
/// Cross-file checks (environments exist, drill target not protected, unique names) are in `ConfigLoader`.
/// The policy is returned whenever name, source and schedule parse, even alongside errors.
enum PolicyReader {
    static let keys = ["name", "source", "schedule", "timezone", "compress_level", "jobs", "lock_timeout", "retention", "min_keep",
                       "rpo", "rto", "drill_schedule", "drill_target", "drill_check"]

    /// `now` anchors the year over which the schedule's longest gap is measured for the RPO check.
    static func read(_ ini: IniFile, now: Date) -> (Policy?, [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        let policySections = ini.sections.filter { $0.name == "policy" }
        for other in ini.sections where other.name != "policy" {
            let hint = ["daemon", "store"].contains(other.name) || other.name.hasPrefix("environment.")
                ? "[\(other.name)] belongs in drd.conf" : "a policy file has exactly one [policy] section"
            diagnostics.append(.init(other.location, "unexpected section [\(other.name)] in a policy file", hint: hint))
        }
        guard let section = policySections.first else {
            diagnostics.append(.init(file: ini.path, line: 0, "no [policy] section",
                                     hint: "a policy file starts with [policy] followed by name, source and schedule"))
            return (nil, diagnostics)
        }
        var r = SectionReader(section, known: keys, repeatable: ["drill_check"])
        var locations: [String: SourceLocation] = [:]
        for e in section.entries where locations[e.key] == nil { locations[e.key] = e.location }

        let nameEntry = r.required("name", what: "the policy name, also its prefix in the store")
        if let e = nameEntry, !Names.isValid(e.value) {
            r.error(e, "invalid policy name '\(e.value)': expected \(Names.rule)")
        }
        let source = r.required("source", what: "the [environment.NAME] to back up")

        var zone = TimeZone(identifier: "UTC") ?? .current
        if let e = r.optional("timezone") {
            if let tz = knownTimeZone(e.value) {
                zone = tz
            } else {
                r.error(e, "unknown timezone '\(e.value)': expected an IANA zone name such as UTC, Europe/Berlin or America/New_York")
            }
        }
        var schedule: Schedule?
        if let e = r.required("schedule", what: "hourly, daily HH:MM, every N{m,h} or a 5-field cron expression") {
            do {
                schedule = try Schedule.parse(e.value, timezone: zone)
            } catch {
                r.error(e, error.message)
            }
        }
        let compress = r.integer("compress_level", range: 0...9) ?? Policy.defaultCompressLevel
        let jobs = r.integer("jobs", range: 1...64) ?? Policy.defaultJobs
        let lockTimeout = r.duration("lock_timeout") ?? Policy.defaultLockTimeout
        let retention = r.duration("retention") ?? Policy.defaultRetention
        // min_keep 0 would let retention delete the last good backup, which drd never does.
        let minKeep = r.integer("min_keep", range: 1...10_000) ?? Policy.defaultMinKeep
        let rpo = r.duration("rpo")
        let rto = r.duration("rto")

        var drillSchedule: Schedule?
        if let e = r.optional("drill_schedule") {
            do {
                drillSchedule = try Schedule.parse(e.value, timezone: zone)
            } catch {
                r.error(e, "drill_schedule: \(error.message)")
            }
        }
        let drillTarget = r.optional("drill_target")?.value
        if drillSchedule != nil, drillTarget == nil, let e = r.entry("drill_schedule") {
            r.error(e, "drill_schedule is set but drill_target is not", hint: "add drill_target naming a non-protected environment, e.g. 'drill_target = staging'")
        }
        var checks: [String] = []
        for e in section.all("drill_check") where !e.isUnresolved {
            if e.value.isEmpty {
                r.error(e, "empty drill_check", hint: "write SQL that returns one boolean, e.g. SELECT count(*) > 0 FROM orders")
            } else {
                checks.append(e.value)
            }
        }
        if let source, let target = drillTarget, source.value == target, let e = r.entry("drill_target") {
            r.error(e, "drill_target '\(target)' is the policy's source: a drill creates a scratch drd_drill_* database on its target's server and drops it afterwards, which would load the source's server",
                    hint: "drill into another environment such as staging, whose role has CREATEDB")
        }

        // The RPO-by-design check: the longest gap between scheduled runs must fit in the RPO.
        if let schedule, let rpo, let e = r.entry("rpo") {
            let gap = schedule.longestGap(startingAt: now)
            if gap.length > rpo {
                let at = schedule.kind == .every(gap.length) ? "" : " (e.g. \(Timestamp.iso8601(gap.from)) to \(Timestamp.iso8601(gap.to)))"
                r.error(e, "schedule '\(schedule)' cannot meet rpo \(e.value): it leaves up to \(DurationText.format(gap.length)) between backups\(at)",
                        hint: "run more often, or set rpo to at least \(DurationText.format(gap.length))")
            }
        }
        diagnostics += r.diagnostics
        // A policy with other errors is still returned (when its core parsed) so cross-file checks
        // can report everything at once; callers never run a configuration that has errors.
        guard let name = nameEntry?.value, let source = source?.value, let schedule else { return (nil, diagnostics) }
        var policy = Policy(name: name, source: source, schedule: schedule, timeZone: zone, compressLevel: compress,
                            jobs: jobs, retention: retention, minKeep: minKeep, rpo: rpo, rto: rto,
                            drillSchedule: drillSchedule, drillTarget: drillTarget, drillChecks: checks,
                            file: ini.path, keyLocations: locations)
        policy.lockTimeout = lockTimeout
        return (policy, diagnostics)
    }

    /// Foundation also accepts abbreviations and `GMT+1`-style names; drd wants real IANA zone ids
    /// (or UTC/GMT) so a policy means the same on every host.
    static func knownTimeZone(_ name: String) -> TimeZone? {
        guard name == "UTC" || name == "GMT" || TimeZone.knownTimeZoneIdentifiers.contains(name) else { return nil }
        return TimeZone(identifier: name)
    }
}
