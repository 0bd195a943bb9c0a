import Foundation
import Postgres
import Support
import Synchronization

/// Accumulates dump progress from several workers and reports it at most every 250 ms.
final class ProgressTracker: Sendable {
    private let state: Mutex<(progress: DumpProgress, lastReport: Date)>
    private let handler: DumpProgressHandler?

    init(startedAt: Date, handler: DumpProgressHandler?) {
        state = Mutex((DumpProgress(phase: .connecting, startedAt: startedAt), .distantPast))
        self.handler = handler
    }

    func update(_ change: (inout DumpProgress) -> Void) {
        let report: DumpProgress? = state.withLock { s in
            let phase = s.progress.phase
            change(&s.progress)
            let now = Date()
            guard s.progress.phase != phase || now.timeIntervalSince(s.lastReport) >= 0.25 else { return nil }
            s.lastReport = now
            return s.progress
        }
        if let report { handler?(report) }
    }

    var current: DumpProgress { state.withLock { $0.progress } }
}

/// Cancels the statement running on a connection when a token is cancelled (e.g. SIGTERM while a
/// large COPY is blocked on the server), by polling the token from a small thread.
final class CancelWatch: @unchecked Sendable {
    private let handle: CancelHandle
    private let token: CancellationToken
    private let done = Atomic<Bool>(false)

    init(connection: Connection, token: CancellationToken) throws {
        handle = try connection.cancelHandle()
        self.token = token
        let thread = Thread { [self] in
            while !done.load(ordering: .acquiring) {
                if token.isCancelled {
                    handle.requestCancel()
                    return
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        thread.start()
    }

    func stop() { done.store(true, ordering: .releasing) }
}
