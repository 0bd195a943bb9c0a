#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// drctl's side of the control socket: one connection, requests answered in order.
///
///     let client = try ControlClient.connect(socketPath: ControlClient.socketPath(flag: options.socket))
///     let status = try client.call(Request(verb: .status)) { progress in … }
public final class ControlClient {
    /// Where the daemon listens: `--socket`, else `$DRD_SOCKET`, else `/run/drd/drd.sock`.
    public static func socketPath(flag: String?,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let env = environment["DRD_SOCKET"], !env.isEmpty { return env }
        return ControlProtocol.defaultSocketPath
    }

    public let socketPath: String
    private let socket: UnixSocket
    private let reader: LineReader
    /// Longest wait for any one frame (seconds); nil waits as long as the daemon works.
    public var replyTimeout: Double?

    private init(socketPath: String, socket: UnixSocket, replyTimeout: Double?) {
        self.socketPath = socketPath
        self.socket = socket
        self.reader = LineReader(socket: socket, maxLine: ControlProtocol.maxResponseBytes)
        self.replyTimeout = replyTimeout
    }

    /// Connects, translating the usual failures into errors that say what to do.
    public static func connect(socketPath: String, connectTimeout: Double = 5,
                               replyTimeout: Double? = nil) throws -> ControlClient {
        let socket = try UnixSocket.make()
        // SO_SNDTIMEO bounds a blocking connect on a Unix socket whose backlog is full.
        socket.setTimeouts(send: connectTimeout)
        do {
            try socket.connect(to: socketPath)
        } catch let error as SocketError {
            throw connectError(error, path: socketPath)
        }
        socket.setTimeouts(send: 30)
        return ControlClient(socketPath: socketPath, socket: socket, replyTimeout: replyTimeout)
    }

    static func connectError(_ error: SocketError, path: String) -> DRDError {
        let running = "drd is not running? start it (systemctl start drd), or pass --socket PATH / set DRD_SOCKET"
        switch error.errno {
        case ENOENT:
            return DRDError(.connection, "no drd control socket at '\(path)'", hint: running)
        case ECONNREFUSED:
            return DRDError(.connection, "nothing is listening on drd control socket '\(path)'", hint: running)
        case EACCES, EPERM:
            return DRDError(.permission, "permission denied on drd control socket '\(path)'",
                            hint: "add your user to the drd group (usermod -aG drd $USER, then log in again) or run as root")
        case ENOTDIR:
            return DRDError(.connection, "'\(path)' is not a drd control socket path", hint: running)
        case EAGAIN, ETIMEDOUT:
            return DRDError(.timeout, "timed out connecting to drd control socket '\(path)'",
                            hint: "drd is overloaded or stuck; check its log (journalctl -u drd)")
        default:
            return DRDError(.connection, "unable to connect to drd control socket '\(path)': \(error)")
        }
    }

    public func close() { socket.close() }

    deinit { socket.close() }

    /// Sends a request, optionally passing an open descriptor (e.g. the local file of a restore;
    /// the daemon receives its own copy, the caller still owns `fd`). Read the reply with `next()`.
    public func send(_ request: Request, passing fd: Int32? = nil) throws {
        let line = Data((request.json.jsonText() + "\n").utf8)
        guard line.count <= ControlProtocol.maxRequestBytes else {
            throw DRDError(.usage, "request '\(request.verb)' is \(line.count) bytes, over the limit of \(ControlProtocol.maxRequestBytes)")
        }
        do {
            try socket.send(line, passing: fd)
        } catch let error as SocketError {
            if error.isTimeout {
                throw DRDError(.timeout, "timed out sending '\(request.verb)' to drd at '\(socketPath)'")
            }
            throw DRDError(.connection, "drd closed the control connection at '\(socketPath)': \(error)",
                           hint: "check drd's log (journalctl -u drd)")
        }
    }

    /// The next response frame; throws `.timeout` after `replyTimeout` seconds without one and
    /// `.connection` when the daemon hangs up before the final frame.
    public func next() throws -> Response {
        let deadline = replyTimeout.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        switch try reader.next(deadline: deadline) {
        case .line(let line, let fd):
            if let fd { _ = Glibc.close(fd) }  // drd never passes descriptors back
            return try Response.parse(line)
        case .eof:
            throw DRDError(.connection, "drd closed the control connection at '\(socketPath)' before replying",
                           hint: "drd may have stopped or restarted; check its log (journalctl -u drd)")
        case .tooLong:
            throw DRDError(.protocolError, "reply from drd exceeds \(ControlProtocol.maxResponseBytes) bytes")
        case .stopped:
            throw DRDError(.timeout, "no reply from drd at '\(socketPath)' within \(Int(replyTimeout ?? 0))s",
                           hint: "drd may be busy; retry, or check its log (journalctl -u drd)")
        }
    }

    /// Sends `request`, hands every event to `onEvent`, and returns the result payload; an `error`
    /// frame is thrown as its `DRDError`.
    @discardableResult
    public func call(_ request: Request, passing fd: Int32? = nil,
                     onEvent: (ProgressEvent) throws -> Void = { _ in }) throws -> JSONValue {
        try send(request, passing: fd)
        while true {
            let response = try next()
            guard response.id == request.id || response.id.isEmpty else {
                throw DRDError(.protocolError, "reply for request '\(response.id)' while waiting for '\(request.id)'")
            }
            switch response.body {
            case .event(let progress): try onEvent(progress)
            case .result(let payload): return payload
            case .error(let reply): throw reply.error
            }
        }
    }

    /// `call` decoding the result into a per-verb Decodable type.
    public func call<T: Decodable>(_ request: Request, as type: T.Type, passing fd: Int32? = nil,
                                   onEvent: (ProgressEvent) throws -> Void = { _ in }) throws -> T {
        try call(request, passing: fd, onEvent: onEvent).decode(T.self)
    }
}
