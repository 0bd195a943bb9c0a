#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import Synchronization

/// Handles one authorized request: stream events and send exactly one final frame through the
/// writer (returning without one sends an internal error; throwing a `DRDError` sends it).
/// Runs on the connection's own thread, so blocking is fine; watch `request.cancellation`.
public typealias ControlHandler = @Sendable (Request, Peer, ResponseWriter) throws -> Void

/// Settings of the daemon's control socket.
public struct ControlServerOptions: Sendable {
    /// Socket path; `@name` binds in the abstract namespace (tests).
    public var path: String
    /// Group owning the socket file (`drd`); also the read-verb group when the authorizer has none.
    public var group: String?
    public var mode: mode_t = 0o660
    public var maxRequestBytes = ControlProtocol.maxRequestBytes
    /// Connections served at once; more get an error reply and are closed.
    public var maxClients = 64
    /// A connection with no complete request for this long is closed (seconds).
    public var idleTimeout: Double = 300
    /// A client that stops reading for this long is dropped and its request cancelled (seconds).
    public var sendTimeout: Double = 30
    /// Verbs this daemon serves; others get an "unknown verb" error.
    public var verbs: Set<Verb> = Verb.builtin

    public init(path: String, group: String? = nil) {
        self.path = path
        self.group = group
    }
}

/// The daemon side of the control socket: a listener thread plus one thread per client.
///
/// Malformed, oversized, unknown or unauthorized requests get an `error` frame and the server
/// carries on. A descriptor passed with a request (`SCM_RIGHTS`) is attached as
/// `request.passedFD` and closed after the handler returns.
public final class ControlServer: Sendable {
    public let options: ControlServerOptions
    private let handler: ControlHandler
    private let logger: Logger
    private let authorizerBox: Mutex<Authorizer>
    private let stopping = Atomic<Bool>(false)
    private let group = DispatchGroup()
    private struct State {
        var listener: UnixSocket?
        var inode: ino_t?
        var socketGID: gid_t?
        var clients = 0
        var running: [ObjectIdentifier: CancellationToken] = [:]
        var connections: [ObjectIdentifier: UnixSocket] = [:]
    }
    private let state = Mutex(State())

    public init(options: ControlServerOptions, authorizer: Authorizer, logger: Logger = Logger("control"),
                handler: @escaping ControlHandler) {
        self.options = options
        self.handler = handler
        self.logger = logger
        self.authorizerBox = Mutex(authorizer)
    }

    /// The rules in force; replaced on configuration reload.
    public var authorizer: Authorizer {
        get { authorizerBox.withLock { $0 } }
    }

    /// Replaces the rules (on `SIGHUP`); the socket's group stays the read group unless the new
    /// rules name one.
    public func updateAuthorizer(_ authorizer: Authorizer) {
        var rules = authorizer
        if rules.socketGroup == nil { rules.socketGroup = state.withLock { $0.socketGID } }
        authorizerBox.withLock { $0 = rules }
    }

    /// Binds the socket (removing a stale one nobody listens on), sets its group and mode, and starts
    /// accepting on a background thread.
    public func start() throws {
        let path = options.path
        let abstract = path.hasPrefix("@")
        let gid = try options.group.map { name -> gid_t in
            guard let gid = UserDatabase.groupID(name: name) else {
                throw DRDError(.config, "socket group '\(name)' is not a group on this host",
                               hint: "create it (systemd-sysusers installs 'drd') or change the group")
            }
            return gid
        }
        if let gid {
            state.withLock { $0.socketGID = gid }
            authorizerBox.withLock { if $0.socketGroup == nil { $0.socketGroup = gid } }
        }
        if !abstract { try removeStaleSocket(path) }
        let listener = try UnixSocket.make()
        // Born owner-only so it is never reachable with looser rights than `mode`, whatever the umask.
        _ = fchmod(listener.fd, 0o600)
        try listener.bind(to: path)
        var inode: ino_t? = nil
        if !abstract {
            // Skip chown when the group is already right (the unit's Group=drd): the unit's seccomp
            // filter denies @chown.
            var created = stat()
            let currentGroup = lstat(path, &created) == 0 ? created.st_gid : gid_t.max
            if let gid, gid != currentGroup, chown(path, uid_t.max, gid) != 0 {
                let err = errno
                unlink(path)
                throw DRDError.posix("unable to give control socket '\(path)' to group '\(options.group ?? "")'",
                                     errno: err, code: .permission)
            }
            if chmod(path, options.mode) != 0 {
                let err = errno
                unlink(path)
                throw DRDError.posix("unable to set mode of control socket '\(path)'", errno: err)
            }
            var st = stat()
            if lstat(path, &st) == 0 { inode = st.st_ino }
        }
        do { try listener.listen() } catch {
            if !abstract { unlink(path) }
            throw error
        }
        state.withLock {
            $0.listener = listener
            $0.inode = inode
        }
        group.enter()
        spawn { [self] in
            defer { group.leave() }
            acceptLoop(listener)
        }
        logger.info("control socket listening", [("path", path)])
    }

    /// Stops accepting, cancels in-flight requests ("drd is stopping"), closes idle connections and
    /// waits up to `timeout` seconds for handlers to return. Removes the socket file. Returns false
    /// when some handler was still running at the timeout.
    @discardableResult
    public func stop(timeout: Double = 10) -> Bool {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return true }
        let running = state.withLock { Array($0.running.values) }
        running.forEach { $0.cancel("drd is stopping") }
        let finished = group.wait(timeout: .now() + timeout) == .success
        let (listener, inode) = state.withLock { ($0.listener, $0.inode) }
        listener?.close()
        if !finished {
            // Unblock stragglers; their handlers see a broken writer and a cancelled token.
            state.withLock { $0.connections.values.forEach { $0.shutdown() } }
        }
        if let inode, !options.path.hasPrefix("@") {
            var st = stat()
            // Only our own socket: a new drd may already have bound the path.
            if lstat(options.path, &st) == 0, st.st_ino == inode { unlink(options.path) }
        }
        logger.info("control socket closed", [("path", options.path)])
        return finished
    }

    // MARK: accepting

    private func acceptLoop(_ listener: UnixSocket) {
        while !stopping.load(ordering: .acquiring) {
            guard let client = listener.accept(timeoutMillis: 200) else { continue }
            let admitted = state.withLock { state -> Bool in
                guard state.clients < options.maxClients else { return false }
                state.clients += 1
                state.connections[ObjectIdentifier(client)] = client
                return true
            }
            guard admitted else {
                client.setTimeouts(send: 1)
                try? client.send(Response(id: "", .error(ErrorReply(DRDError(
                    .conflict, "too many control clients (\(options.maxClients)) connected to drd",
                    hint: "retry in a moment")))).line())
                client.close()
                continue
            }
            group.enter()
            spawn { [self] in
                defer {
                    state.withLock {
                        $0.clients -= 1
                        $0.connections[ObjectIdentifier(client)] = nil
                    }
                    client.close()
                    group.leave()
                }
                serve(client)
            }
        }
    }

    private func removeStaleSocket(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard st.st_mode & S_IFMT == S_IFSOCK else {
            throw DRDError(.conflict, "control socket path '\(path)' exists and is not a socket",
                           hint: "remove it or choose another [daemon] socket path")
        }
        let probe = try UnixSocket.make()
        defer { probe.close() }
        do {
            try probe.connect(to: path)
            throw DRDError(.conflict, "another drd is already listening on control socket '\(path)'",
                           hint: "stop it first (systemctl stop drd) or choose another socket path")
        } catch let error as SocketError where error.errno == ECONNREFUSED {
            // Nobody listening: left over by a crashed drd.
            if unlink(path) != 0 { throw DRDError.posix("unable to remove stale control socket '\(path)'", errno: errno) }
            logger.info("removed stale control socket", [("path", path)])
        } catch let error as SocketError {
            throw DRDError(.io, "unable to probe existing control socket '\(path)': \(error)")
        }
    }

    // MARK: serving one connection

    private func serve(_ socket: UnixSocket) {
        let peer: Peer
        do { peer = try Peer.of(socket) } catch {
            logger.warning("control connection dropped", [("reason", "\(error)")])
            return
        }
        socket.setTimeouts(send: options.sendTimeout)
        let reader = LineReader(socket: socket, maxLine: options.maxRequestBytes)
        while !stopping.load(ordering: .acquiring) {
            let outcome: LineReader.Outcome
            do {
                outcome = try reader.next(deadline: .now + .milliseconds(Int(options.idleTimeout * 1000))) {
                    stopping.load(ordering: .relaxed)
                }
            } catch {
                logger.warning("control connection failed", [("peer", "\(peer)"), ("reason", "\(error)")])
                return
            }
            switch outcome {
            case .eof, .stopped:
                return
            case .tooLong:
                logger.warning("oversized control request", [("peer", "\(peer)")])
                reply(socket, id: "", DRDError(.protocolError,
                    "request exceeds the limit of \(options.maxRequestBytes) bytes; closing the connection",
                    hint: "pass large inputs as files, not inline"))
                return
            case .line(let line, let fd):
                defer { if let fd { _ = close(fd) } }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }  // blank keep-alive line
                // A failed write may have left half a frame on the stream: drop the connection.
                guard dispatch(line, passedFD: fd, peer: peer, socket: socket) else { return }
            }
        }
    }

    /// Validates, authorizes and runs one request; false when the connection is no longer usable.
    private func dispatch(_ line: Data, passedFD: Int32?, peer: Peer, socket: UnixSocket) -> Bool {
        var request: Request
        do {
            request = try Request.parse(line)
            guard options.verbs.contains(request.verb) else {
                throw DRDError(.protocolError, "unknown verb '\(request.verb)' in request '\(request.id)'",
                               hint: "known verbs: " + options.verbs.map(\.rawValue).sorted().joined(separator: ", "))
            }
            try authorizer.check(.verb(request.verb), peer: peer)
        } catch let error as DRDError {
            if error.code == .permission {
                logger.warning("control request refused", [("peer", "\(peer)"), ("reason", error.message)])
            } else {
                logger.info("bad control request", [("peer", "\(peer)"), ("reason", error.message)])
            }
            return reply(socket, id: Request.bestEffortID(line), error)
        } catch {
            return reply(socket, id: Request.bestEffortID(line), DRDError(.internal, "\(error)"))
        }
        request.passedFD = passedFD
        return run(request, peer: peer, socket: socket)
    }

    private func run(_ request: Request, peer: Peer, socket: UnixSocket) -> Bool {
        let token = request.cancellation
        let key = ObjectIdentifier(token)
        state.withLock { $0.running[key] = token }
        if stopping.load(ordering: .acquiring) { token.cancel("drd is stopping") }
        let writer = ResponseWriter(requestID: request.id, socket: socket, token: token)
        // Watches for the client hanging up while the handler works, so long work stops promptly.
        // The pipe wakes the watcher as soon as the handler is done (the next request waits for it).
        var wake: [Int32] = [-1, -1]
        let watching = pipe(&wake) == 0
        if watching { wake.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) } }
        let watcherExited = DispatchSemaphore(value: 0)
        if watching {
            let (wakeRead, socketFD) = (wake[0], socket.fd)
            spawn(stackSize: 256 << 10) {
                defer { watcherExited.signal() }
                var fds = [pollfd(fd: socketFD, events: 0, revents: 0),
                           pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
                while true {
                    let rc = poll(&fds, 2, -1)
                    if rc < 0 && errno == EINTR { continue }
                    if rc <= 0 || fds[1].revents != 0 { return }
                    if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                        token.cancel("control client disconnected")
                        return
                    }
                }
            }
        }
        logger.debug("control request", [("verb", request.verb.rawValue), ("id", request.id), ("peer", "\(peer)")])
        do {
            try handler(request, peer, writer)
        } catch let error as DRDError {
            writer.error(error)
        } catch {
            writer.error(DRDError(.internal, "verb '\(request.verb)' failed: \(error)"))
        }
        if !writer.isFinished {
            writer.error(token.isCancelled
                ? DRDError(.cancelled, token.reason)
                : DRDError(.internal, "verb '\(request.verb)' returned no reply"))
        }
        if watching {
            var byte: UInt8 = 1
            _ = write(wake[1], &byte, 1)
            watcherExited.wait()
            close(wake[0])
            close(wake[1])
        }
        state.withLock { $0.running[key] = nil }
        return writer.isConnected
    }

    @discardableResult
    private func reply(_ socket: UnixSocket, id: String, _ error: DRDError) -> Bool {
        (try? socket.send(Response(id: id, .error(ErrorReply(error))).line())) != nil
    }

    /// Handlers run on connection threads and may call deep engine code: 8 MiB like `Parallel.run`.
    private func spawn(stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = stackSize
        thread.start()
    }
}
