import Foundation

/// Civil-calendar arithmetic on day numbers (days since 1970-01-01), proleptic Gregorian.
/// Pure integer math (Howard Hinnant's algorithms): far faster than Calendar for year-long scans.
enum Civil {
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func date(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
    static func weekday(days: Int) -> Int { ((days % 7) + 11) % 7 }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

/// Maps local wall-clock times to instants in one time zone, caching offsets per hour so that a
/// year-long scan costs a few offset look-ups per hour rather than per candidate.
struct ZoneResolver {
    let zone: TimeZone
    private var cache: [Int: (Int, Int)] = [:]

    init(_ zone: TimeZone) { self.zone = zone }

    func offset(at instant: Int) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// Offsets 16 hours before and after the wall time's hour (UTC offsets span -12h...+14h, so every
    /// instant the wall time could denote lies inside); equal means no transition in between
    /// (zones change offset at most a few times a year).
    mutating func bracket(wall: Int) -> (Int, Int) {
        let hour = Civil.floorDiv(wall, 3600)
        if let hit = cache[hour] { return hit }
        let pair = (offset(at: hour * 3600 - 16 * 3600), offset(at: hour * 3600 + 17 * 3600))
        if cache.count > 50_000 { cache.removeAll(keepingCapacity: true) }
        cache[hour] = pair
        return pair
    }

    func isNearTransition(_ pair: (Int, Int)) -> Bool { pair.0 != pair.1 }

    /// The offset at an instant, from the hourly cache when no transition is near (the bracket is
    /// symmetric, so an instant can stand in for a wall time here).
    mutating func offset(atInstant instant: Int) -> Int {
        let pair = bracket(wall: instant)
        return isNearTransition(pair) ? offset(at: instant) : pair.0
    }

    enum Resolution {
        case unique(Int)
        /// Fall-back overlap: the wall time happens twice (earlier, later).
        case repeated(Int, Int)
        /// Spring-forward gap: the wall time never happens; the first instant after the gap.
        case skipped(firstAfter: Int)
    }

    mutating func resolve(wall: Int) -> Resolution {
        let pair = bracket(wall: wall)
        guard isNearTransition(pair) else { return .unique(wall - pair.0) }
        // Candidate instants, earlier first; each is real when the zone agrees on its offset there.
        let early = wall - max(pair.0, pair.1)
        let late = wall - min(pair.0, pair.1)
        let earlyValid = offset(at: early) == wall - early
        let lateValid = offset(at: late) == wall - late
        if earlyValid && lateValid { return .repeated(early, late) }
        if earlyValid { return .unique(early) }
        if lateValid { return .unique(late) }
        // Gap: find the first instant in (lo, hi] whose offset is the one after the change.
        var lo = min(wall - pair.0, wall - pair.1)
        var hi = max(wall - pair.0, wall - pair.1)
        let after = offset(at: hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if offset(at: mid) == after { hi = mid } else { lo = mid }
        }
        return .skipped(firstAfter: hi)
    }
}

/// Finds the next firing instant of a cron expression in a time zone.
struct CronSearch {
    let cron: CronExpression

    /// Longest search horizon in days: a Feb 29 job can wait 8 years across a non-leap century.
    static let horizonDays = 366 * 9

    func next(after date: Date, zone: inout ZoneResolver) -> Date {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let wallNow = t + zone.offset(atInstant: t)
        // Instants grow with wall time except across a fall-back overlap, where the second pass of
        // the repeated hour comes after later wall times of the first pass. So near a fall-back,
        // start the scan one overlap earlier and continue one overlap past the first hit, keeping
        // the smallest instant after t.
        let back = Self.overlap(zone.bracket(wall: wallNow))
        var wall = (Civil.floorDiv(wallNow - back, 60) + (back > 0 ? 0 : 1)) * 60
        var best: Int?
        var limit: Int?
        while let match = nextMatch(atOrAfter: wall) {
            if let limit, match > limit { break }
            for instant in instants(forWall: match, zone: &zone) where instant > t {
                if best.map({ instant < $0 }) ?? true { best = instant }
            }
            if best != nil, limit == nil {
                let extra = Self.overlap(zone.bracket(wall: match))
                guard extra > 0 else { break }
                limit = match + extra
            }
            wall = match + 60
        }
        return best.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? .distantFuture
    }

    /// How much wall time a fall-back in the bracket repeats (0 when none).
    static func overlap(_ pair: (Int, Int)) -> Int { max(0, pair.0 - pair.1) }

    /// The instants at which the job fires for one matching wall time, per the DST rules.
    private func instants(forWall wall: Int, zone: inout ZoneResolver) -> [Int] {
        switch zone.resolve(wall: wall) {
        case .unique(let x): return [x]
        case .repeated(let first, let second): return cron.hourStar ? [first, second] : [first]
        case .skipped(let firstAfter): return cron.hourStar ? [] : [firstAfter]
        }
    }

    /// The first wall time (seconds, local, minute-aligned) at or after `wall` matching every field.
    func nextMatch(atOrAfter wall: Int) -> Int? {
        let startDay = Civil.floorDiv(wall, 86_400)
        let startMinute = (wall - startDay * 86_400) / 60
        var day = startDay
        while day < startDay + Self.horizonDays {
            defer { day += 1 }
            let (_, month, dom) = Civil.date(days: day)
            guard cron.matchesDay(month: month, day: dom, weekday: Civil.weekday(days: day)) else { continue }
            var hour = day == startDay ? startMinute / 60 : 0
            var minute = day == startDay ? startMinute % 60 : 0
            // Constant time within a day: jump to the next allowed hour, then the next allowed minute.
            while hour < 24 {
                let h = cron.nextHour[hour]
                if h < 0 { break }
                if h != hour { minute = 0 }
                let m = cron.nextMinute[minute]
                if m >= 0 { return day * 86_400 + h * 3600 + m * 60 }
                hour = h + 1
                minute = 0
            }
        }
        return nil
    }
}
