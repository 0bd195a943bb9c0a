import Foundation
import Testing
import Support
@testable import Policy

@Suite struct SchedulerPlanTests {
    func policy(_ schedule: String, rpo: TimeInterval? = nil, drill: String? = nil) throws -> Policy {
        Policy(name: "p", source: "production", schedule: try Schedule.parse(schedule), rpo: rpo,
               drillSchedule: try drill.map { try Schedule.parse($0) }, drillTarget: drill == nil ? nil : "staging")
    }

    func plan(_ p: Policy, _ state: PolicyState, now: String) -> SchedulerPlan.Entry {
        SchedulerPlan.entry(for: p, state: state, now: utc(now))
    }

    @Test func neverBackedUpRunsNow() throws {
        let e = plan(try policy("daily 03:00"), PolicyState(), now: "2026-11-21T14:00:00Z")
        #expect(e.due && e.reason == .neverBackedUp && e.nextRun == utc("2026-11-21T14:00:00Z") && e.dataAge == nil)
    }

    @Test func waitsForTheNextSlot() throws {
        let e = plan(try policy("hourly", rpo: 3600), PolicyState(lastSuccess: utc("2026-11-21T03:00:05Z")), now: "2026-11-21T03:30:00Z")
        #expect(!e.due && e.reason == nil)
        #expect(e.nextRun == utc("2026-11-21T04:00:00Z"))
        #expect(e.dataAge == 1795)
    }

    @Test func dueAtTheSlot() throws {
        let e = plan(try policy("hourly", rpo: 3600), PolicyState(lastSuccess: utc("2026-11-21T03:00:05Z")), now: "2026-11-21T04:00:00Z")
        #expect(e.due && e.reason == .scheduled(utc("2026-11-21T04:00:00Z")))
    }

    @Test func afterDowntimeDataAgeAboveRPORunsAtOnce() throws {
        // Daily at 03:00 with rpo 25h; drd was down, the last backup is 26h old, the next slot is hours away.
        let e = plan(try policy("daily 03:00", rpo: 25 * 3600), PolicyState(lastSuccess: utc("2026-11-20T03:00:00Z")),
                     now: "2026-11-21T05:00:00Z")
        #expect(e.due)
        #expect(e.reason == .rpoExceeded(age: 26 * 3600))
    }

    @Test func missedSlotsRunOnceWithoutRPO() throws {
        let entries = SchedulerPlan.evaluate(policies: [try policy("hourly")],
                                             lastSuccess: ["p": utc("2026-11-21T01:00:00Z")], now: utc("2026-11-21T05:10:00Z"))
        #expect(entries.count == 1)
        #expect(entries[0].due && entries[0].reason == .scheduled(utc("2026-11-21T02:00:00Z")))
    }

    @Test func notDueBeforeDailySlot() throws {
        let e = plan(try policy("daily 03:00", rpo: 25 * 3600), PolicyState(lastSuccess: utc("2026-11-20T03:00:01Z")),
                     now: "2026-11-21T02:00:00Z")
        #expect(!e.due && e.nextRun == utc("2026-11-21T03:00:00Z"))
    }

    @Test func runningPolicyIsNeverDue() throws {
        let e = plan(try policy("hourly"), PolicyState(lastSuccess: utc("2026-11-20T00:00:00Z"), running: true), now: "2026-11-21T05:00:00Z")
        #expect(!e.due && e.nextRun == nil)
    }

    @Test func failedRunIsRetriedWithBackoff() throws {
        let p = try policy("hourly", rpo: 3600)
        let state = PolicyState(lastSuccess: utc("2026-11-21T03:00:00Z"), lastAttempt: utc("2026-11-21T04:00:00Z"), consecutiveFailures: 1)
        let early = plan(p, state, now: "2026-11-21T04:00:30Z")
        #expect(!early.due && early.nextRun == utc("2026-11-21T04:01:00Z"))
        let later = plan(p, state, now: "2026-11-21T04:01:00Z")
        #expect(later.due && later.reason == .retry(attempt: 1))
    }

    @Test func noRetryOnceTheRPOBudgetIsSpent() throws {
        // Every 2h with rpo 1h... is invalid by design, so: every 3h, rpo 3h; last success 00:00,
        // sixth failure at 05:40: the retry (+30m = 06:10) would start after 00:00 + 2 x 3h = 06:00.
        let p = try policy("every 3h", rpo: 3 * 3600)
        let state = PolicyState(lastSuccess: utc("2026-11-21T00:00:00Z"), lastAttempt: utc("2026-11-21T05:40:00Z"), consecutiveFailures: 6)
        let e = plan(p, state, now: "2026-11-21T05:45:00Z")
        #expect(!e.due && e.nextRun == utc("2026-11-21T06:00:00Z"))
        #expect(e.reason == nil)
        let slot = plan(p, state, now: "2026-11-21T06:00:00Z")
        #expect(slot.due && slot.reason == .scheduled(utc("2026-11-21T06:00:00Z")))
        // A retry is never later than the next slot: fourth failure at 05:50 (+8m = 05:58) retries first.
        let retry = PolicyState(lastSuccess: utc("2026-11-21T00:00:00Z"), lastAttempt: utc("2026-11-21T05:50:00Z"), consecutiveFailures: 4)
        #expect(plan(p, retry, now: "2026-11-21T05:58:00Z").reason == .retry(attempt: 4))
    }

    @Test func retryDelay() {
        let now = utc("2026-11-21T04:00:00Z")
        let last = utc("2026-11-21T03:00:00Z")
        let day: TimeInterval = 86_400
        #expect(SchedulerPlan.retryDelay(attempt: 1, lastSuccess: last, rpo: day, now: now) == now.addingTimeInterval(60))
        #expect(SchedulerPlan.retryDelay(attempt: 3, lastSuccess: last, rpo: day, now: now) == now.addingTimeInterval(240))
        #expect(SchedulerPlan.retryDelay(attempt: 12, lastSuccess: last, rpo: day, now: now) == now.addingTimeInterval(1800))
        // Budget: the retry must start before lastSuccess + 2 x rpo (03:00 + 2 x 30m = 04:00 is spent).
        #expect(SchedulerPlan.retryDelay(attempt: 1, lastSuccess: last, rpo: 1800, now: now) == nil)
        #expect(SchedulerPlan.retryDelay(attempt: 1, lastSuccess: last, rpo: 3600, now: now) == now.addingTimeInterval(60))
        #expect(SchedulerPlan.retryDelay(attempt: 5, lastSuccess: last, rpo: 3600, now: now) == now.addingTimeInterval(960))
        #expect(SchedulerPlan.retryDelay(attempt: 6, lastSuccess: last, rpo: 3600, now: now) == now.addingTimeInterval(1800))
        #expect(SchedulerPlan.retryDelay(attempt: 6, lastSuccess: utc("2026-11-21T02:20:00Z"), rpo: 3600, now: now) == nil)
        // Without an RPO (or a backup) retries are bounded by count.
        #expect(SchedulerPlan.retryDelay(attempt: 5, lastSuccess: nil, rpo: nil, now: now) != nil)
        #expect(SchedulerPlan.retryDelay(attempt: 6, lastSuccess: nil, rpo: nil, now: now) == nil)
    }

    @Test func drills() throws {
        let p = try policy("hourly", drill: "daily 04:30")
        let noBackup = plan(p, PolicyState(), now: "2026-11-21T05:00:00Z")
        #expect(!noBackup.drillDue && noBackup.nextDrill == utc("2026-11-22T04:30:00Z"))
        let first = plan(p, PolicyState(lastSuccess: utc("2026-11-21T04:00:00Z")), now: "2026-11-21T05:00:00Z")
        #expect(first.drillDue)
        let done = PolicyState(lastSuccess: utc("2026-11-21T04:00:00Z"), lastDrill: utc("2026-11-21T04:45:00Z"))
        #expect(!plan(p, done, now: "2026-11-21T05:00:00Z").drillDue)
        #expect(plan(p, done, now: "2026-11-21T05:00:00Z").nextDrill == utc("2026-11-22T04:30:00Z"))
        #expect(plan(p, done, now: "2026-11-22T04:30:00Z").drillDue)
        #expect(!plan(try policy("hourly"), done, now: "2026-11-22T04:30:00Z").drillDue)
    }

    @Test func startOrderRespectsLimitAndUrgency() throws {
        func named(_ n: String, _ schedule: String, rpo: TimeInterval?) throws -> Policy {
            var p = try policy(schedule, rpo: rpo)
            p.name = n
            return p
        }
        let policies = [try named("a", "hourly", rpo: 3600), try named("b", "hourly", rpo: 7200),
                        try named("c", "hourly", rpo: nil), try named("d", "hourly", rpo: 3600)]
        let now = utc("2026-11-21T05:00:00Z")
        let states: [String: PolicyState] = [
            "a": PolicyState(lastSuccess: utc("2026-11-21T04:00:00Z")),   // scheduled, age 1h = rpo
            "b": PolicyState(lastSuccess: utc("2026-11-21T01:00:00Z")),   // rpo exceeded (4h of 2h)
            "d": PolicyState(lastSuccess: utc("2026-11-21T04:00:00Z"), running: true),
        ]
        let entries = SchedulerPlan.evaluate(policies: policies, states: states, now: now)
        #expect(entries.map(\.due) == [true, true, true, false])
        #expect(SchedulerPlan.startOrder(entries, policies: policies, running: 1, limit: 3) == ["c", "b"])
        #expect(SchedulerPlan.startOrder(entries, policies: policies, running: 0, limit: 8) == ["c", "b", "a"])
        #expect(SchedulerPlan.startOrder(entries, policies: policies, running: 4, limit: 2).isEmpty)
    }
}
