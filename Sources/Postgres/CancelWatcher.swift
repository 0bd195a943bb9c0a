import Foundation
import Support
import Synchronization

/// Turns a `CancellationToken` into a server-side cancel of whatever statement is running.
///
/// Why: dump and restore check the token only between rows, statements or COPY batches, and one
/// statement (a `CREATE INDEX` in post-data, a COPY blocked on the server) can run for hours. A small thread polls the token and sends
/// `PQcancel` while the run is still active; `stop()` ends it before the connection is reused, so
/// a late cancel never hits the next script's statements.
public final class CancelWatcher: Sendable {
    private let state = Mutex<(active: Bool, sent: Bool)>((true, false))

    /// Starts watching; returns nil when there is nothing to watch.
    public static func start(token: CancellationToken?, connection: Connection, interval: TimeInterval = 0.1) -> CancelWatcher? {
        guard let token, let handle = try? connection.cancelHandle() else { return nil }
        let watcher = CancelWatcher()
        let thread = Thread {
            while true {
                let keepGoing = watcher.state.withLock { state -> Bool in
                    guard state.active else { return false }
                    if token.isCancelled && !state.sent {
                        handle.requestCancel()
                        state.sent = true
                    }
                    return !state.sent
                }
                if !keepGoing { return }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.start()
        return watcher
    }

    /// Stops the watcher; no cancel is sent after this returns.
    public func stop() {
        state.withLock { $0.active = false }
    }
}
