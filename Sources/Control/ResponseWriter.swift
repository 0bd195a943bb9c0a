#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import Synchronization

/// Sends a request's response frames: any number of `event`s, then one `result` or `error`.
///
/// Thread-safe (a handler may report progress from worker threads). Sending never throws: when the
/// client is gone the request's cancellation token is cancelled and later frames are dropped, so a
/// handler only needs to check its token. Frames after the final one are ignored.
public final class ResponseWriter: Sendable {
    public let requestID: String
    private let socket: UnixSocket
    private let token: CancellationToken
    private struct State { var finished = false; var broken = false }
    private let state = Mutex(State())

    init(requestID: String, socket: UnixSocket, token: CancellationToken) {
        self.requestID = requestID
        self.socket = socket
        self.token = token
    }

    /// True once a `result` or `error` frame was sent (or attempted).
    public var isFinished: Bool { state.withLock { $0.finished } }

    /// False once a write failed (the client disconnected or stopped reading).
    public var isConnected: Bool { state.withLock { !$0.broken } }

    /// Streams a progress event. Returns false when it could not be delivered.
    @discardableResult
    public func event(_ progress: ProgressEvent) -> Bool {
        send(.event(progress), final: false)
    }

    /// A free-text event (`phase: "note"`), e.g. "role app_rw missing on target; mapped to owner".
    @discardableResult
    public func note(_ message: String, job: String? = nil) -> Bool {
        event(ProgressEvent(phase: "note", job: job, message: message))
    }

    /// Sends the final successful frame with a payload.
    @discardableResult
    public func result(_ payload: JSONValue = .emptyObject) -> Bool {
        send(.result(payload), final: true)
    }

    /// Sends the final successful frame from any Encodable payload (a per-verb result struct).
    @discardableResult
    public func result<T: Encodable>(encoding payload: T) -> Bool {
        do {
            return result(try JSONValue(encoding: payload))
        } catch let error as DRDError {
            return self.error(error)
        } catch {
            return self.error(DRDError(.internal, "unable to encode result: \(error)"))
        }
    }

    /// Sends the final error frame.
    @discardableResult
    public func error(_ error: DRDError) -> Bool {
        send(.error(ErrorReply(error)), final: true)
    }

    private func send(_ body: Response.Body, final: Bool) -> Bool {
        let line = Response(id: requestID, body).line()
        // Hold the lock across the write so frames from several threads never interleave.
        return state.withLock { state -> Bool in
            if state.finished || state.broken { return false }
            if final { state.finished = true }
            do {
                try socket.send(line)
                return true
            } catch {
                state.broken = true
                token.cancel("control client disconnected")
                return false
            }
        }
    }
}
