import Foundation
import Support

/// When a policy runs: `hourly`, `daily HH:MM`, `every N{m,h}`, or a 5-field cron expression,
/// evaluated in an IANA time zone (UTC by default).
///
/// Semantics (docs/configuration.md, "Schedules"):
/// - `hourly` is `0 * * * *`; `daily HH:MM` is `MM HH * * *`; `@hourly`, `@daily`, `@weekly`,
///   `@monthly`, `@yearly` are accepted as in cron.
/// - `every 30m`, `every 2h`, `every 1h30m`: fixed intervals aligned to the Unix epoch in UTC
///   (runs at the multiples of N since 1970-01-01T00:00Z), so a restart never shifts them and the
///   time zone does not apply.
/// - Daylight-saving changes, following Vixie cron: a job whose hour field starts with `*` follows
///   the clock (times skipped by spring-forward do not run; times repeated by fall-back run in both
///   passes, as they are different hours). A fixed-hour job (e.g. `daily 02:30`) runs exactly once
///   per matching day: in the spring-forward gap at the first valid instant after the gap (03:00
///   local), in the fall-back overlap at the first occurrence only.
///
/// Pure: every computation takes the reference date as an argument.
public struct Schedule: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Fixed interval in seconds, aligned to the epoch.
        case every(TimeInterval)
        case cron(CronExpression)
    }

    /// The schedule as written (trimmed), e.g. `daily 03:00`.
    public let text: String
    public let kind: Kind
    public let timeZone: TimeZone

    public var description: String {
        timeZone.identifier == "UTC" || timeZone.identifier == "GMT" ? text : "\(text) (\(timeZone.identifier))"
    }

    /// What a valid schedule looks like, for error messages.
    public static let expected = "expected hourly, daily HH:MM, every N{m,h} or a 5-field cron expression"

    /// Parses a schedule; the error message quotes the text and says what would be valid.
    public static func parse(_ text: String, timezone: TimeZone = TimeZone(identifier: "UTC") ?? .current)
        throws(ScheduleError) -> Schedule {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        let trimmed = words.joined(separator: " ")
        let invalid = ScheduleError("invalid schedule '\(text)': \(expected)")
        guard let head = words.first else { throw ScheduleError("empty schedule: \(expected)") }
        switch head {
        case "hourly" where words.count == 1:
            return Schedule(text: trimmed, kind: .cron(try CronExpression("0 * * * *")), timeZone: timezone)
        case "daily":
            guard words.count == 2, let (h, m) = clock(words[1]) else {
                throw ScheduleError("invalid schedule '\(text)': expected daily HH:MM with HH 00-23 and MM 00-59, e.g. 'daily 03:00'")
            }
            return Schedule(text: trimmed, kind: .cron(try CronExpression("\(m) \(h) * * *")), timeZone: timezone)
        case "every":
            guard words.count == 2, let seconds = DurationText.parse(words[1]) else {
                throw ScheduleError("invalid schedule '\(text)': expected every N{m,h}, e.g. 'every 30m' or 'every 2h'")
            }
            guard seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 else {
                throw ScheduleError("invalid schedule '\(text)': the interval must be a whole number of minutes, at least 1m")
            }
            return Schedule(text: trimmed, kind: .every(seconds), timeZone: timezone)
        case "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually":
            guard words.count == 1 else { throw invalid }
            let macro = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                         "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
                         "@annually": "0 0 1 1 *"][head] ?? "0 0 * * *"
            return Schedule(text: trimmed, kind: .cron(try CronExpression(macro)), timeZone: timezone)
        default:
            // Only text that looks like cron gets cron's detailed errors; words like 'dialy' get the overview.
            guard words.count == 5, words.allSatisfy({ $0.allSatisfy { $0.isNumber || "*,-/".contains($0) || $0.isLetter } }),
                  words[0].first.map({ $0.isNumber || $0 == "*" }) == true
            else { throw invalid }
            do {
                return Schedule(text: trimmed, kind: .cron(try CronExpression(trimmed)), timeZone: timezone)
            } catch {
                throw ScheduleError("invalid schedule '\(text)': \(error.message)")
            }
        }
    }

    /// `03:00` or `3:00` → (3, 0).
    private static func clock(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m)
        else { return nil }
        return (h, m)
    }

    /// The first scheduled run strictly after `date`.
    public func next(after date: Date) -> Date {
        switch kind {
        case .every(let interval):
            let k = (date.timeIntervalSince1970 / interval).rounded(.down) + 1
            return Date(timeIntervalSince1970: k * interval)
        case .cron(let cron):
            var zone = ZoneResolver(timeZone)
            return CronSearch(cron: cron).next(after: date, zone: &zone)
        }
    }

    /// Every scheduled run in `(start, end]`, in order.
    public func runs(after start: Date, through end: Date) -> [Date] {
        var out: [Date] = []
        var zone = ZoneResolver(timeZone)
        var t = start
        while true {
            let r = nextRun(after: t, zone: &zone)
            guard r <= end else { return out }
            out.append(r)
            t = r
        }
    }

    /// The longest gap between consecutive runs.
    public struct Gap: Sendable, Equatable {
        public var from: Date
        public var to: Date
        public var length: TimeInterval { to.timeIntervalSince(from) }
    }

    /// The longest gap between consecutive runs whose first run falls in `[start, start + span]`
    /// (default one year, which covers both daylight-saving changes and every month length).
    public func longestGap(startingAt start: Date, span: TimeInterval = 366 * 86_400) -> Gap {
        var zone = ZoneResolver(timeZone)
        if case .every(let interval) = kind {
            let first = next(after: start)
            return Gap(from: first, to: first.addingTimeInterval(interval))
        }
        let end = start.addingTimeInterval(span)
        var previous = nextRun(after: start, zone: &zone)
        var best = Gap(from: previous, to: previous)
        // At least one gap, even when the first run is already past the span (a Feb 29 job).
        repeat {
            let r = nextRun(after: previous, zone: &zone)
            if r.timeIntervalSince(previous) > best.length { best = Gap(from: previous, to: r) }
            previous = r
        } while previous <= end
        return best
    }

    /// The longest gap between runs over the year starting at `start` (for the RPO-by-design check).
    public func maxInterval(startingAt start: Date) -> TimeInterval {
        longestGap(startingAt: start).length
    }

    /// The longest gap between runs over the coming year (reads the clock; use `maxInterval(startingAt:)`
    /// where the result must be reproducible).
    public var maxInterval: TimeInterval { maxInterval(startingAt: Date()) }

    private func nextRun(after date: Date, zone: inout ZoneResolver) -> Date {
        switch kind {
        case .every: return next(after: date)
        case .cron(let cron): return CronSearch(cron: cron).next(after: date, zone: &zone)
        }
    }
}

