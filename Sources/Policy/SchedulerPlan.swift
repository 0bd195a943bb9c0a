import Foundation
import Support

/// What the scheduler knows about one policy's history (from the store's manifests and run records).
public struct PolicyState: Sendable, Equatable {
    /// Snapshot time of the newest committed backup (the instant its data reflects).
    public var lastSuccess: Date?
    /// Start time of the newest run, whatever its outcome.
    public var lastAttempt: Date?
    /// Failed runs since the last success (0 when the newest run succeeded).
    public var consecutiveFailures: Int
    /// A run of this policy is in progress (never start a second one).
    public var running: Bool
    /// Completion time of the newest successful drill.
    public var lastDrill: Date?
    /// A drill of this policy is in progress.
    public var drilling: Bool

    public init(lastSuccess: Date? = nil, lastAttempt: Date? = nil, consecutiveFailures: Int = 0,
                running: Bool = false, lastDrill: Date? = nil, drilling: Bool = false) {
        self.lastSuccess = lastSuccess
        self.lastAttempt = lastAttempt
        self.consecutiveFailures = consecutiveFailures
        self.running = running
        self.lastDrill = lastDrill
        self.drilling = drilling
    }
}

/// Pure scheduling decisions: which policies are due now, when each runs next, and retry backoff.
///
/// Rules (docs/configuration.md, "Scheduling"):
/// - never backed up → due now;
/// - data age (now − last snapshot) already above the RPO with no failure streak (typically after
///   downtime) → due now, without waiting for the next slot;
/// - a scheduled slot passed since the last success → due now (a missed run runs once, not once
///   per missed slot);
/// - after a failure: retry with exponential backoff while the RPO budget allows (see
///   `retryDelay`); otherwise wait for the next scheduled slot after the failed attempt;
/// - a policy already running is never due.
public enum SchedulerPlan {
    public enum Reason: Sendable, Equatable, Codable, CustomStringConvertible {
        /// The scheduled slot at this time has come (or was missed while drd was down).
        case scheduled(Date)
        /// No backup of this policy exists yet.
        case neverBackedUp
        /// Data age exceeds the RPO (after downtime): run at once.
        case rpoExceeded(age: TimeInterval)
        /// Retrying failed run number `attempt`.
        case retry(attempt: Int)

        public var description: String {
            switch self {
            case .scheduled(let d): return "scheduled at \(Timestamp.iso8601(d))"
            case .neverBackedUp: return "no backup yet"
            case .rpoExceeded(let age): return "data age \(DurationText.format(age)) exceeds rpo"
            case .retry(let n): return "retry after failure \(n)"
            }
        }
    }

    public struct Entry: Sendable, Equatable, Codable {
        public var policy: String
        /// Start a backup now.
        public var due: Bool
        public var reason: Reason?
        /// When the next backup starts (now when due; nil while running).
        public var nextRun: Date?
        /// now − last snapshot; nil when there is no backup.
        public var dataAge: TimeInterval?
        /// Start a drill now.
        public var drillDue: Bool
        public var nextDrill: Date?
    }

    /// Decides, for each policy, whether a backup and a drill are due at `now`.
    public static func evaluate(policies: [Policy], states: [String: PolicyState], now: Date,
                                backoff: Backoff = Backoff()) -> [Entry] {
        policies.map { entry(for: $0, state: states[$0.name] ?? PolicyState(), now: now, backoff: backoff) }
    }

    /// Convenience when only the last successful snapshot times are known.
    public static func evaluate(policies: [Policy], lastSuccess: [String: Date], now: Date) -> [Entry] {
        evaluate(policies: policies, states: lastSuccess.mapValues { PolicyState(lastSuccess: $0) }, now: now)
    }

    public static func entry(for policy: Policy, state: PolicyState, now: Date, backoff: Backoff = Backoff()) -> Entry {
        let age = state.lastSuccess.map { now.timeIntervalSince($0) }
        var entry = Entry(policy: policy.name, due: false, reason: nil, nextRun: nil, dataAge: age,
                          drillDue: false, nextDrill: nil)
        (entry.drillDue, entry.nextDrill) = drill(policy: policy, state: state, now: now)
        if state.running { return entry }

        let failing = state.consecutiveFailures > 0
            && (state.lastAttempt ?? .distantPast) >= (state.lastSuccess ?? .distantPast)
        if failing, let attemptTime = state.lastAttempt {
            let slot = policy.schedule.next(after: attemptTime)
            let retry = retryDelay(attempt: state.consecutiveFailures, lastFailure: attemptTime,
                                   lastSuccess: state.lastSuccess, rpo: policy.rpo, now: now, backoff: backoff)
            if let retry, retry <= slot {
                entry.nextRun = max(retry, now)
                entry.reason = .retry(attempt: state.consecutiveFailures)
            } else {
                entry.nextRun = max(slot, now)
                entry.reason = .scheduled(slot)
            }
            entry.due = (entry.nextRun ?? now) <= now
            if !entry.due { entry.reason = nil }
            return entry
        }
        guard let last = state.lastSuccess else {
            entry.due = true
            entry.reason = .neverBackedUp
            entry.nextRun = now
            return entry
        }
        if let rpo = policy.rpo, let age, age > rpo {
            entry.due = true
            entry.reason = .rpoExceeded(age: age)
            entry.nextRun = now
            return entry
        }
        let slot = policy.schedule.next(after: last)
        if slot <= now {
            entry.due = true
            entry.reason = .scheduled(slot)
            entry.nextRun = now
        } else {
            entry.nextRun = slot
        }
        return entry
    }

    /// Which due policies to start now under a global concurrency limit, most urgent first:
    /// no backup yet, then RPO already exceeded, then the rest by data age relative to the RPO
    /// (data age alone when there is no RPO). `running` is how many backups are in progress.
    public static func startOrder(_ entries: [Entry], policies: [Policy], running: Int, limit: Int) -> [String] {
        let slots = max(0, limit - running)
        let rpo = Dictionary(policies.map { ($0.name, $0.rpo) }, uniquingKeysWith: { a, _ in a })
        func urgency(_ e: Entry) -> (Int, Double) {
            switch e.reason {
            case .neverBackedUp: return (0, 0)
            case .rpoExceeded: return (1, -(e.dataAge ?? 0) / ((rpo[e.policy] ?? nil) ?? 1))
            default:
                let age = e.dataAge ?? 0
                return (2, -(((rpo[e.policy] ?? nil).map { age / $0 }) ?? age / 86_400))
            }
        }
        let due = entries.filter(\.due).sorted { a, b in
            let (x, y) = (urgency(a), urgency(b))
            return x.0 != y.0 ? x.0 < y.0 : (x.1 != y.1 ? x.1 < y.1 : a.policy < b.policy)
        }
        return due.prefix(slots).map(\.policy)
    }

    /// Drills need a backup to restore; the first one runs at once, later ones follow drill_schedule.
    static func drill(policy: Policy, state: PolicyState, now: Date) -> (Bool, Date?) {
        guard let schedule = policy.drillSchedule, policy.drillTarget != nil else { return (false, nil) }
        guard state.lastSuccess != nil else { return (false, schedule.next(after: now)) }
        if state.drilling { return (false, nil) }
        guard let last = state.lastDrill else { return (true, now) }
        let slot = schedule.next(after: last)
        return slot <= now ? (true, now) : (false, slot)
    }

    /// Exponential backoff parameters for retrying a failed backup.
    public struct Backoff: Sendable, Equatable {
        public var initial: TimeInterval
        public var maximum: TimeInterval
        /// Retries allowed when there is no RPO (or no backup) to bound them.
        public var maxAttemptsWithoutBudget: Int

        public init(initial: TimeInterval = 60, maximum: TimeInterval = 30 * 60, maxAttemptsWithoutBudget: Int = 5) {
            self.initial = initial
            self.maximum = maximum
            self.maxAttemptsWithoutBudget = maxAttemptsWithoutBudget
        }

        /// 1m, 2m, 4m, ... capped at `maximum`.
        public func delay(attempt: Int) -> TimeInterval {
            let exponent = Double(max(0, min(attempt - 1, 30)))
            return min(maximum, initial * pow(2, exponent))
        }
    }

    /// When to retry after failed attempt number `attempt` (1 = the first failure), or nil when the
    /// RPO budget is spent.
    ///
    /// The budget: a retry must start while the data age is under twice the RPO, i.e. before
    /// `lastSuccess + 2 × rpo`. Within the first RPO a retry can still meet the target; within the
    /// second it keeps the breach to at most one extra RPO (with `hourly` and `rpo = 1h` the data is
    /// already ~1h old when the slot's run fails, so a budget of one RPO would never retry). Beyond
    /// that the failure is an outage for the alerts, and drd falls back to the schedule. Without an
    /// RPO or a previous backup, at most `maxAttemptsWithoutBudget` retries. The scheduler also never
    /// retries later than the next scheduled run (that run happens anyway).
    public static func retryDelay(attempt: Int, lastSuccess: Date?, rpo: TimeInterval?, now: Date) -> Date? {
        retryDelay(attempt: attempt, lastFailure: now, lastSuccess: lastSuccess, rpo: rpo, now: now, backoff: Backoff())
    }

    /// As above, measuring the backoff from the failed attempt's start (`lastFailure`).
    public static func retryDelay(attempt: Int, lastFailure: Date, lastSuccess: Date?, rpo: TimeInterval?,
                                  now: Date, backoff: Backoff) -> Date? {
        guard attempt >= 1 else { return now }
        let at = max(lastFailure.addingTimeInterval(backoff.delay(attempt: attempt)), now)
        guard let rpo, let lastSuccess else {
            return attempt <= backoff.maxAttemptsWithoutBudget ? at : nil
        }
        return at < lastSuccess.addingTimeInterval(2 * rpo) ? at : nil
    }
}
