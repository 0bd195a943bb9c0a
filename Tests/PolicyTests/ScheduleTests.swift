import Foundation
import Testing
import Support
@testable import Policy

/// `2026-03-29T01:00:00Z` → Date (test input is trusted).
func utc(_ text: String) -> Date {
    guard let d = Timestamp.parse(text) else { fatalError("bad test date \(text)") }
    return d
}

func zone(_ id: String) -> TimeZone {
    guard let z = TimeZone(identifier: id) else { fatalError("unknown zone \(id)") }
    return z
}

func schedule(_ text: String, _ tz: String = "UTC") throws -> Schedule {
    try Schedule.parse(text, timezone: zone(tz))
}

@Suite struct ScheduleParseTests {
    @Test func hourlyIsMinuteZero() throws {
        let s = try schedule("hourly")
        #expect(s.next(after: utc("2026-11-21T10:07:00Z")) == utc("2026-11-21T11:00:00Z"))
        #expect(s.next(after: utc("2026-11-21T10:00:00Z")) == utc("2026-11-21T11:00:00Z"))
        #expect(s.next(after: utc("2026-11-21T09:59:59Z")) == utc("2026-11-21T10:00:00Z"))
    }

    @Test func dailyAtTime() throws {
        let s = try schedule("daily 03:00")
        #expect(s.next(after: utc("2026-11-21T02:59:00Z")) == utc("2026-11-21T03:00:00Z"))
        #expect(s.next(after: utc("2026-11-21T03:00:00Z")) == utc("2026-11-22T03:00:00Z"))
        #expect(try schedule("daily 3:05").next(after: utc("2026-11-21T04:00:00Z")) == utc("2026-11-22T03:05:00Z"))
        #expect(try schedule("Daily   03:00").text == "daily 03:00")
    }

    @Test func dailyInZone() throws {
        let s = try schedule("daily 03:00", "America/New_York")
        // 03:00 EST = 08:00Z in November.
        #expect(s.next(after: utc("2026-11-21T00:00:00Z")) == utc("2026-11-21T08:00:00Z"))
    }

    @Test func everyIsEpochAlignedInUTC() throws {
        let s = try schedule("every 30m", "Asia/Kolkata")
        #expect(s.next(after: utc("2026-11-21T10:07:00Z")) == utc("2026-11-21T10:30:00Z"))
        #expect(s.next(after: utc("2026-11-21T10:30:00Z")) == utc("2026-11-21T11:00:00Z"))
        let seven = try schedule("every 7h")
        #expect(seven.next(after: Date(timeIntervalSince1970: 0)) == Date(timeIntervalSince1970: 25_200))
        #expect(seven.next(after: Date(timeIntervalSince1970: 25_199)) == Date(timeIntervalSince1970: 25_200))
        #expect(try schedule("every 1h30m").maxInterval(startingAt: utc("2026-01-01T00:00:00Z")) == 5400)
        #expect(try schedule("every 2h").kind == .every(7200))
    }

    @Test func macros() throws {
        #expect(try schedule("@daily").next(after: utc("2026-11-21T10:00:00Z")) == utc("2026-11-22T00:00:00Z"))
        #expect(try schedule("@weekly").next(after: utc("2026-11-21T10:00:00Z")) == utc("2026-11-22T00:00:00Z"))
        #expect(try schedule("@monthly").next(after: utc("2026-11-21T10:00:00Z")) == utc("2026-12-01T00:00:00Z"))
    }

    @Test(arguments: [
        ("dialy 03:00", "invalid schedule 'dialy 03:00': expected hourly, daily HH:MM, every N{m,h} or a 5-field cron expression"),
        ("daily 25:00", "expected daily HH:MM"),
        ("daily", "expected daily HH:MM"),
        ("every 30s", "whole number of minutes"),
        ("every 0m", "whole number of minutes"),
        ("every soon", "expected every N{m,h}"),
        ("hourly 5", "expected hourly"),
        ("", "empty schedule"),
        ("60 * * * *", "minute value 60"),
        ("* 24 * * *", "hour value 24"),
        ("* * 0 * *", "day-of-month value 0"),
        ("* * * 13 *", "month value 13"),
        ("* * * * 8", "day-of-week value 8"),
        ("* * * foo *", "month value 'foo'"),
        ("5-1 * * * *", "must not be after the end"),
        ("*/0 * * * *", "step '/0'"),
        ("1,,2 * * * *", "empty list item"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6 *", "never fires"),
    ])
    func rejects(text: String, expected: String) {
        #expect {
            _ = try Schedule.parse(text)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }
}

@Suite struct CronTests {
    @Test func everyQuarterHour() throws {
        let s = try schedule("*/15 * * * *")
        #expect(s.next(after: utc("2026-11-21T10:07:00Z")) == utc("2026-11-21T10:15:00Z"))
        #expect(s.next(after: utc("2026-11-21T10:45:00Z")) == utc("2026-11-21T11:00:00Z"))
        #expect(s.next(after: utc("2026-12-31T23:59:00Z")) == utc("2027-01-01T00:00:00Z"))
        #expect(s.maxInterval(startingAt: utc("2026-01-01T00:00:00Z")) == 900)
    }

    @Test func listsRangesSteps() throws {
        let s = try schedule("5,35 9-17/4 * * *")
        let runs = s.runs(after: utc("2026-11-21T00:00:00Z"), through: utc("2026-11-21T23:59:00Z"))
        #expect(runs.map(Timestamp.iso8601) == [
            "2026-11-21T09:05:00Z", "2026-11-21T09:35:00Z", "2026-11-21T13:05:00Z",
            "2026-11-21T13:35:00Z", "2026-11-21T17:05:00Z", "2026-11-21T17:35:00Z",
        ])
        // 'N/S' runs from N to the end of the field.
        #expect(try schedule("50/5 * * * *").runs(after: utc("2026-11-21T00:00:00Z"), through: utc("2026-11-21T01:00:00Z"))
            .map(Timestamp.iso8601) == ["2026-11-21T00:50:00Z", "2026-11-21T00:55:00Z"])
    }

    @Test func names() throws {
        let s = try schedule("0 9 * JAN-mar Mon-Fri")
        // 2026-11-21 is a Saturday; the next match is Friday 2027-01-01.
        #expect(s.next(after: utc("2026-11-21T00:00:00Z")) == utc("2027-01-01T09:00:00Z"))
        #expect(s.next(after: utc("2027-01-01T09:00:00Z")) == utc("2027-01-04T09:00:00Z"))
    }

    @Test func sundayIsZeroAndSeven() throws {
        let after = utc("2026-11-21T12:00:00Z") // Saturday
        let expected = utc("2026-11-22T00:00:00Z")
        #expect(try schedule("0 0 * * 0").next(after: after) == expected)
        #expect(try schedule("0 0 * * 7").next(after: after) == expected)
        #expect(try schedule("0 0 * * sun").next(after: after) == expected)
        #expect(try schedule("0 0 * * 6-7").runs(after: utc("2026-11-20T00:00:00Z"), through: utc("2026-11-23T00:00:00Z"))
            .map(Timestamp.iso8601) == ["2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z"])
    }

    @Test func domAndDowBothRestrictedIsUnion() throws {
        // December 2026: the 13th is a Sunday; Fridays are 4, 11, 18, 25.
        let s = try schedule("0 0 13 * fri")
        let days = s.runs(after: utc("2026-11-30T12:00:00Z"), through: utc("2026-12-31T00:00:00Z"))
            .map { Calendar(identifier: .gregorian).dateComponents(in: zone("UTC"), from: $0).day ?? 0 }
        #expect(days == [4, 11, 13, 18, 25])
    }

    @Test func starDomWithDowIsIntersection() throws {
        let s = try schedule("0 0 * * mon")
        let runs = s.runs(after: utc("2026-11-21T00:00:00Z"), through: utc("2026-12-08T00:00:00Z"))
        #expect(runs.map(Timestamp.iso8601) == ["2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z"])
        // '*/2' in day-of-month still counts as '*' (Vixie): odd days that are Mondays.
        let odd = try schedule("0 0 */2 * mon").runs(after: utc("2026-11-21T00:00:00Z"), through: utc("2026-12-08T00:00:00Z"))
        #expect(odd.map(Timestamp.iso8601) == ["2026-11-23T00:00:00Z", "2026-12-07T00:00:00Z"])
    }

    @Test func monthEnds() throws {
        let s = try schedule("0 0 31 * *")
        #expect(s.next(after: utc("2026-01-31T00:00:00Z")) == utc("2026-03-31T00:00:00Z"))
        #expect(s.next(after: utc("2026-08-01T00:00:00Z")) == utc("2026-08-31T00:00:00Z"))
        #expect(s.next(after: utc("2026-08-31T00:00:00Z")) == utc("2026-10-31T00:00:00Z"))
        let lastOfFeb = try schedule("30 23 28,29 2 *")
        #expect(lastOfFeb.runs(after: utc("2027-01-01T00:00:00Z"), through: utc("2028-12-31T00:00:00Z"))
            .map(Timestamp.iso8601) == ["2027-02-28T23:30:00Z", "2028-02-28T23:30:00Z", "2028-02-29T23:30:00Z"])
    }

    @Test func leapDay() throws {
        let s = try schedule("0 12 29 2 *")
        #expect(s.next(after: utc("2026-11-21T00:00:00Z")) == utc("2028-02-29T12:00:00Z"))
        #expect(s.next(after: utc("2028-02-29T12:00:00Z")) == utc("2032-02-29T12:00:00Z"))
        // Across 2100 (not a leap year) the wait is 8 years.
        #expect(s.next(after: utc("2096-03-01T00:00:00Z")) == utc("2104-02-29T12:00:00Z"))
        #expect(s.maxInterval(startingAt: utc("2026-01-01T00:00:00Z")) == 4 * 365 * 86_400 + 86_400)
    }

    @Test func everyMinuteYearScanIsFast() throws {
        let s = try schedule("* * * * *", "Europe/Berlin")
        var gap: TimeInterval = 0
        let elapsed = ContinuousClock().measure {
            gap = s.maxInterval(startingAt: utc("2026-01-01T00:00:00Z"))
        }
        #expect(gap == 60)
        #expect(elapsed < .seconds(15))
    }
}
