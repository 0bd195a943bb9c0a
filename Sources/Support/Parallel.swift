import Foundation
import Synchronization

/// Runs blocking work on dedicated threads and waits for all of it.
///
/// Why not `TaskGroup`: the work blocks inside libpq and libcurl, and blocking Swift's cooperative
/// pool (one thread per core) would starve everything else. Each worker gets its own thread.
public enum Parallel {
    /// Runs `body(i)` for i in 0..<count on `count` threads. Returns when all have finished and
    /// rethrows the first error (by worker index). A failing worker cancels `token` so the others
    /// can stop early.
    public static func run(_ count: Int, token: CancellationToken? = nil,
                           _ body: @escaping @Sendable (Int) throws -> Void) throws {
        if count == 1 { try body(0); return }
        let errors = Mutex<[Int: Error]>([:])
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do { try body(index) } catch {
                    errors.withLock { $0[index] = error }
                    token?.cancel()
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        let failures = errors.withLock { $0 }
        // Prefer a real error over the cancellations it caused in other workers.
        let ordered = failures.sorted { $0.key < $1.key }.map(\.value)
        if let real = ordered.first(where: { ($0 as? DRDError)?.code != .cancelled }) { throw real }
        if let first = ordered.first { throw first }
    }
}

/// A flag checked by long-running work; set by SIGTERM, `drctl cancel`, or a failing sibling.
///
/// A child token (`child()`) is cancelled with its parent but can also be cancelled alone: parallel
/// workers share a child, so one worker's failure stops its siblings without marking the caller's
/// job as cancelled (the real error is reported, not "cancelled").
public final class CancellationToken: Sendable {
    private let flag = Atomic<Bool>(false)
    private let reasonBox = Mutex<String?>(nil)
    private let parent: CancellationToken?

    public init() { parent = nil }

    private init(parent: CancellationToken) { self.parent = parent }

    /// A token cancelled when this one is, or on its own.
    public func child() -> CancellationToken { CancellationToken(parent: self) }

    public func cancel(_ reason: String = "cancelled") {
        reasonBox.withLock { if $0 == nil { $0 = reason } }
        flag.store(true, ordering: .releasing)
    }

    public var isCancelled: Bool { flag.load(ordering: .acquiring) || (parent?.isCancelled ?? false) }

    public var reason: String {
        if let own = reasonBox.withLock({ $0 }) { return own }
        return parent?.reason ?? "cancelled"
    }

    /// Throws `.cancelled` if cancellation was requested.
    public func check() throws {
        if isCancelled { throw DRDError(.cancelled, reason) }
    }
}
