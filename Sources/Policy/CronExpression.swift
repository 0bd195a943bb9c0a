/// A 5-field cron expression: `minute hour day-of-month month day-of-week`.
///
/// Syntax per field: `*`, `N`, `N-M`, lists `a,b,c`, steps `*/15`, `N-M/S` and `N/S` (from N to the
/// field's maximum). Months accept `jan`-`dec`, days of week `sun`-`sat` (case-insensitive); day of
/// week 0 and 7 both mean Sunday. Vixie rule: when both day-of-month and day-of-week are restricted
/// (neither starts with `*`), a day matches when EITHER matches; otherwise both must.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// Allowed values per field, as sorted sets.
    public let minutes: [Int]
    public let hours: [Int]
    public let daysOfMonth: [Int]
    public let months: [Int]
    /// 0 = Sunday ... 6 = Saturday (7 is folded into 0).
    public let daysOfWeek: [Int]
    /// Whether the day-of-month / day-of-week field starts with `*` (Vixie's "star" flag).
    public let domStar: Bool
    public let dowStar: Bool
    /// Whether the hour field starts with `*`: such jobs follow the clock through DST changes
    /// (skipped times are skipped, repeated times run again); fixed-hour jobs run exactly once.
    public let hourStar: Bool
    public let text: String

    // Lookup tables: the search runs per candidate minute over a whole year, so avoid hashing.
    /// nextMinute[m] = the first allowed minute >= m, or -1; same for hours (index 24 = none).
    let nextMinute: [Int]
    let nextHour: [Int]
    private let domTable: [Bool]
    private let monthTable: [Bool]
    private let dowTable: [Bool]

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// What a valid cron expression looks like, for error messages.
    static let expected = "a 5-field cron expression 'minute hour day-of-month month day-of-week', e.g. '*/15 * * * *' or '30 2 * * mon-fri'"

    /// Parses a 5-field expression; errors name the field and what is allowed.
    public init(_ text: String) throws(ScheduleError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ScheduleError("cron expression '\(text)' has \(fields.count) field\(fields.count == 1 ? "" : "s"): expected \(Self.expected)")
        }
        self.text = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        daysOfMonth = try Self.field(fields[2], name: "day-of-month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, nameBase: 1)
        daysOfWeek = Array(Set(try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.dayNames)
            .map { $0 % 7 })).sorted()
        domStar = fields[2].hasPrefix("*")
        dowStar = fields[4].hasPrefix("*")
        hourStar = fields[1].hasPrefix("*")
        nextMinute = Self.nextTable(minutes, size: 60)
        nextHour = Self.nextTable(hours, size: 24)
        domTable = Self.table(daysOfMonth, size: 32)
        monthTable = Self.table(months, size: 13)
        dowTable = Self.table(daysOfWeek, size: 7)
        // An expression that can never fire (e.g. '0 0 30 2 *') is a mistake, not a schedule.
        // Only a restricted day-of-month with an unrestricted day-of-week can be impossible: with both
        // restricted the days are OR-ed, and some listed weekday always comes.
        if !domStar && dowStar {
            let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            let possible = months.contains { month in daysOfMonth.contains { $0 <= longest[month - 1] } }
            if !possible {
                throw ScheduleError("cron expression '\(text)' never fires: no listed month has the listed day of month")
            }
        }
    }

    public var description: String { text }

    /// Whether the civil day (month 1-12, day 1-31, weekday 0 = Sunday) is a firing day.
    func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard monthTable[month] else { return false }
        let dom = domTable[day]
        let dow = dowTable[weekday]
        if domStar || dowStar { return dom && dow }
        return dom || dow
    }

    private static func table(_ values: [Int], size: Int) -> [Bool] {
        var t = [Bool](repeating: false, count: size)
        for v in values where v < size { t[v] = true }
        return t
    }

    private static func nextTable(_ values: [Int], size: Int) -> [Int] {
        var t = [Int](repeating: -1, count: size + 1)
        var next = -1
        var i = size - 1
        while i >= 0 {
            if values.contains(i) { next = i }
            t[i] = next
            i -= 1
        }
        return t
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>,
                              names: [String], nameBase: Int = 0) throws(ScheduleError) -> [Int] {
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw ScheduleError("invalid cron \(name) field '\(text)': empty list item")
            }
            var base = Substring(item)
            var step = 1
            if let slash = item.firstIndex(of: "/") {
                base = item[..<slash]
                let stepText = item[item.index(after: slash)...]
                guard let s = Int(stepText), s >= 1, s <= range.upperBound else {
                    throw ScheduleError("invalid cron \(name) step '/\(stepText)' in '\(text)': expected a number from 1 to \(range.upperBound)")
                }
                step = s
            }
            var low: Int
            var high: Int
            if base == "*" {
                low = range.lowerBound
                high = range.upperBound
                // '*' in day-of-week means 0-6; 7 would only duplicate Sunday.
                if name == "day-of-week" { high = 6 }
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash], field: name, text: text, range: range, names: names, nameBase: nameBase)
                high = try value(base[base.index(after: dash)...], field: name, text: text, range: range, names: names, nameBase: nameBase)
                guard low <= high else {
                    throw ScheduleError("invalid cron \(name) range '\(base)' in '\(text)': the start must not be after the end")
                }
            } else {
                low = try value(base, field: name, text: text, range: range, names: names, nameBase: nameBase)
                // 'N/S' means from N to the end of the field, as in Vixie and systemd.
                high = step > 1 || item.contains("/") ? range.upperBound : low
            }
            var v = low
            while v <= high {
                values.insert(v)
                v += step
            }
        }
        return values.sorted()
    }

    private static func value(_ text: Substring, field: String, text whole: String, range: ClosedRange<Int>,
                              names: [String], nameBase: Int) throws(ScheduleError) -> Int {
        if let n = Int(text) {
            guard range.contains(n) else {
                throw ScheduleError("invalid cron \(field) value \(n) in '\(whole)': expected \(range.lowerBound)-\(range.upperBound)")
            }
            return n
        }
        if let index = names.firstIndex(of: text.lowercased()) { return index + nameBase }
        let allowed = names.isEmpty ? "\(range.lowerBound)-\(range.upperBound)"
            : "\(range.lowerBound)-\(range.upperBound) or \(names.first ?? "")-\(names.last ?? "")"
        throw ScheduleError("invalid cron \(field) value '\(text)' in '\(whole)': expected \(allowed)")
    }
}

/// A schedule that does not parse; the message says what would be valid.
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
