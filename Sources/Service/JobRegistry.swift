import Foundation
import Support
import Synchronization

/// A job the daemon is running: a backup, restore, drill, verify or prune.
public struct JobInfo: Codable, Sendable, Equatable {
    public var id: String
    public var kind: String
    public var policy: String?
    public var startedAt: Date
    public var phase: String
    public var bytes: Int64
    public var totalBytes: Int64?
    public var rows: Int64
    public var tablesDone: Int?
    public var tablesTotal: Int?
    public var requestedBy: String?
}

/// Running jobs, their progress and cancellation tokens. One job per (kind, policy) at a time, and
/// at most `limit` jobs at once across policies.
public final class JobRegistry: Sendable {
    private struct Entry {
        var info: JobInfo
        let token: CancellationToken
    }
    private let jobs = Mutex<[String: Entry]>([:])
    public let limit: Int

    public init(limit: Int = 2) { self.limit = limit }

    /// Registers a job, or throws `.conflict` when the same kind already runs for the policy or the
    /// global limit is reached.
    /// `parent` (a client request's token) cancels the job too, e.g. when drctl goes away.
    public func start(kind: String, policy: String?, requestedBy: String? = nil,
                      parent: CancellationToken? = nil) throws -> (id: String, token: CancellationToken) {
        let token = parent?.child() ?? CancellationToken()
        let id = "\(kind)-\(Hex.encode(Digest.randomBytes(4)))"
        try jobs.withLock { jobs in
            if let policy, let running = jobs.values.first(where: { $0.info.kind == kind && $0.info.policy == policy }) {
                throw DRDError(.conflict, "a \(kind) of policy '\(policy)' is already running (job \(running.info.id))",
                               hint: "wait for it (drctl jobs) or cancel it (drctl cancel \(running.info.id))")
            }
            if jobs.count >= limit, kind == "backup" || kind == "drill" {
                throw DRDError(.conflict, "\(jobs.count) jobs are running, the limit is \(limit); try again later")
            }
            jobs[id] = Entry(info: JobInfo(id: id, kind: kind, policy: policy, startedAt: Date(), phase: "starting",
                                           bytes: 0, rows: 0, requestedBy: requestedBy), token: token)
        }
        return (id, token)
    }

    public func update(_ id: String, _ change: (inout JobInfo) -> Void) {
        jobs.withLock { jobs in
            if var entry = jobs[id] {
                change(&entry.info)
                jobs[id] = entry
            }
        }
    }

    public func finish(_ id: String) { _ = jobs.withLock { $0.removeValue(forKey: id) } }

    public var all: [JobInfo] { jobs.withLock { $0.values.map(\.info) }.sorted { $0.startedAt < $1.startedAt } }

    public func isRunning(kind: String, policy: String) -> Bool {
        jobs.withLock { $0.values.contains { $0.info.kind == kind && $0.info.policy == policy } }
    }

    /// Cancels one job; false when there is no such job.
    @discardableResult
    public func cancel(_ id: String, reason: String = "cancelled by request") -> Bool {
        guard let token = jobs.withLock({ $0[id]?.token }) else { return false }
        token.cancel(reason)
        return true
    }

    public func cancelAll(reason: String) {
        for token in jobs.withLock({ $0.values.map(\.token) }) { token.cancel(reason) }
    }

    /// Waits until no job runs, up to `timeout` seconds; returns whether they all finished.
    public func waitForAll(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if jobs.withLock({ $0.isEmpty }) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return jobs.withLock { $0.isEmpty }
    }
}
