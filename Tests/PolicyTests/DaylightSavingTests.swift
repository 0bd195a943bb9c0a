import Foundation
import Testing
import Support
@testable import Policy

/// Europe/Berlin 2026: spring forward 2026-03-29 01:00Z (02:00 CET → 03:00 CEST),
/// fall back 2026-10-25 01:00Z (03:00 CEST → 02:00 CET).
/// America/New_York 2026: spring forward 2026-03-08 07:00Z, fall back 2026-11-01 06:00Z.
@Suite struct DaylightSavingTests {
    @Test func berlinDailyInSpringGapRunsOnceAfterTheGap() throws {
        let s = try schedule("daily 02:30", "Europe/Berlin")
        #expect(s.next(after: utc("2026-03-27T12:00:00Z")) == utc("2026-03-28T01:30:00Z")) // 02:30 CET
        #expect(s.next(after: utc("2026-03-28T12:00:00Z")) == utc("2026-03-29T01:00:00Z")) // 03:00 CEST
        #expect(s.next(after: utc("2026-03-29T01:00:00Z")) == utc("2026-03-30T00:30:00Z")) // 02:30 CEST
        let runs = s.runs(after: utc("2026-03-28T12:00:00Z"), through: utc("2026-03-29T23:00:00Z"))
        #expect(runs.count == 1)
    }

    @Test func berlinDailyInFallOverlapRunsOnce() throws {
        let s = try schedule("daily 02:30", "Europe/Berlin")
        #expect(s.next(after: utc("2026-10-24T12:00:00Z")) == utc("2026-10-25T00:30:00Z")) // first pass, CEST
        #expect(s.next(after: utc("2026-10-25T00:30:00Z")) == utc("2026-10-26T01:30:00Z")) // not 01:30Z the same day
        #expect(s.runs(after: utc("2026-10-24T12:00:00Z"), through: utc("2026-10-25T23:00:00Z")).count == 1)
    }

    @Test func berlinHourlyFollowsTheClock() throws {
        let s = try schedule("hourly", "Europe/Berlin")
        let spring = s.runs(after: utc("2026-03-28T23:30:00Z"), through: utc("2026-03-29T02:30:00Z"))
        #expect(spring.map(Timestamp.iso8601) == ["2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"])
        let fall = s.runs(after: utc("2026-10-24T23:30:00Z"), through: utc("2026-10-25T02:30:00Z"))
        #expect(fall.map(Timestamp.iso8601) == ["2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"])
        #expect(s.maxInterval(startingAt: utc("2026-01-01T00:00:00Z")) == 3600)
    }

    @Test func berlinQuarterHourInBothOverlapPasses() throws {
        let s = try schedule("*/15 * * * *", "Europe/Berlin")
        // From the first pass (02:40 CEST) the next run is 02:45 CEST, then 02:00 CET (second pass).
        #expect(s.next(after: utc("2026-10-25T00:40:00Z")) == utc("2026-10-25T00:45:00Z"))
        #expect(s.next(after: utc("2026-10-25T00:45:00Z")) == utc("2026-10-25T01:00:00Z"))
        #expect(s.next(after: utc("2026-10-25T01:10:00Z")) == utc("2026-10-25T01:15:00Z"))
        #expect(s.longestGap(startingAt: utc("2026-01-01T00:00:00Z")).length == 900)
    }

    @Test func berlinDailyLongestGapIs25HoursAtFallBack() throws {
        let gap = try schedule("daily 02:30", "Europe/Berlin").longestGap(startingAt: utc("2026-01-01T00:00:00Z"))
        #expect(gap.length == 25 * 3600)
        #expect(gap.from == utc("2026-10-25T00:30:00Z"))
        #expect(try schedule("daily 02:30").maxInterval(startingAt: utc("2026-01-01T00:00:00Z")) == 86_400)
    }

    @Test func newYorkSpringGap() throws {
        let s = try schedule("daily 02:30", "America/New_York")
        #expect(s.next(after: utc("2026-03-07T12:00:00Z")) == utc("2026-03-08T07:00:00Z")) // 03:00 EDT
        #expect(s.next(after: utc("2026-03-08T07:00:00Z")) == utc("2026-03-09T06:30:00Z")) // 02:30 EDT
        let every = try schedule("30 2 * * *", "America/New_York")
        #expect(every.next(after: utc("2026-03-07T12:00:00Z")) == utc("2026-03-08T07:00:00Z"))
    }

    @Test func newYorkFallOverlap() throws {
        let s = try schedule("daily 01:30", "America/New_York")
        #expect(s.next(after: utc("2026-10-31T12:00:00Z")) == utc("2026-11-01T05:30:00Z")) // 01:30 EDT
        #expect(s.next(after: utc("2026-11-01T05:30:00Z")) == utc("2026-11-02T06:30:00Z")) // 01:30 EST next day
        let hourly = try schedule("30 * * * *", "America/New_York")
        #expect(hourly.runs(after: utc("2026-11-01T05:00:00Z"), through: utc("2026-11-01T07:00:00Z"))
            .map(Timestamp.iso8601) == ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"])
    }

    @Test func startingInsideTheRepeatedHour() throws {
        // 01:10 EST (second pass): a fixed-hour 01:30 job already ran in the first pass today.
        let s = try schedule("daily 01:30", "America/New_York")
        #expect(s.next(after: utc("2026-11-01T06:10:00Z")) == utc("2026-11-02T06:30:00Z"))
    }

    @Test func severalGapTimesRunOnceAtTheEndOfTheGap() throws {
        let s = try schedule("0,30 2 * * *", "Europe/Berlin")
        let runs = s.runs(after: utc("2026-03-28T12:00:00Z"), through: utc("2026-03-29T12:00:00Z"))
        #expect(runs.map(Timestamp.iso8601) == ["2026-03-29T01:00:00Z"])
        #expect(s.description == "0,30 2 * * * (Europe/Berlin)")
    }

    @Test func quarterHourSkipsTheGap() throws {
        let s = try schedule("*/15 * * * *", "Europe/Berlin")
        // 01:45 CET (00:45Z) is followed by 03:00 CEST (01:00Z): 15 minutes of real time.
        #expect(s.next(after: utc("2026-03-29T00:45:00Z")) == utc("2026-03-29T01:00:00Z"))
    }
}
