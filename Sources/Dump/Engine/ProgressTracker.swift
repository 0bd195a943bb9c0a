import Foundation
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
