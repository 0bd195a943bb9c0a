#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import Synchronization
import TestHelpers
import Testing
@testable import Control

@Suite(.serialized) struct ServerTests {
    func line(_ text: String) -> Data { Data((text + "\n").utf8) }

    @Test func roundTripCarriesPeerCredentials() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let status = try client.call(Request(verb: .status))
        #expect(status["uid"]?.intValue == Int64(getuid()))
        #expect(status["pid"]?.intValue == Int64(getpid()))
        #expect(status["gid"]?.intValue == Int64(getgid()))
        // A second request on the same connection.
        let echo = try client.call(Request(verb: .list, args: ["policy": "optim"]))
        #expect(echo == ["policy": "optim"])
    }

    @Test func eventsStreamBeforeTheResult() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        var events: [ProgressEvent] = []
        let request = Request(verb: .backup, args: ["events": 5])
        let result = try client.call(request) { events.append($0) }
        #expect(events.count == 5)
        #expect(events.map(\.tablesDone) == [0, 1, 2, 3, 4])
        #expect(events.last?.tablesTotal == 5)
        #expect(events.allSatisfy { $0.job == "j-\(request.id)" })
        #expect(result["committed"] == true)
    }

    @Test func concurrentClients() throws {
        let server = try TestServer()
        defer { server.stop() }
        let completed = Atomic<Int>(0)
        try Parallel.run(16) { worker in
            let client = try server.client()
            for round in 0..<5 {
                var events = 0
                let request = Request(id: "w\(worker)-\(round)", verb: .backup, args: ["events": 20])
                let result = try client.call(request) { _ in events += 1 }
                guard events == 20, result["id"] == .string(request.id) else {
                    throw DRDError(.internal, "worker \(worker) round \(round): \(events) events, \(result)")
                }
                completed.add(1, ordering: .relaxed)
            }
        }
        #expect(completed.load(ordering: .relaxed) == 80)
    }

    @Test func malformedRequestGetsAnErrorAndTheConnectionCarriesOn() throws {
        let server = try TestServer()
        defer { server.stop() }
        let good = Request(id: "ok1", verb: .status).json.jsonText()
        let replies = try server.raw(line("{this is not json") + line("") + line(good), lines: 2)
        #expect(replies.count == 2)
        guard case .error(let reply)? = replies.first?.body else { Issue.record("no error frame"); return }
        #expect(reply.code == .protocolError)
        #expect(reply.message.contains("malformed json"))
        #expect(replies.last?.id == "ok1")
        #expect(replies.last?.isFinal == true)
        // And a fresh client is served.
        _ = try server.client().call(Request(verb: .status))
    }

    @Test func unknownVerbIsRefusedByName() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        #expect { try client.call(Request(id: "u1", verb: "frobnicate")) } throws: { error in
            guard let error = error as? DRDError else { return false }
            return error.code == .protocolError && error.message.contains("unknown verb 'frobnicate'")
                && error.hint?.contains("policy-check") == true
        }
        _ = try client.call(Request(verb: .status))  // same connection still works
    }

    @Test func oversizedRequestGetsAnErrorThenClose() throws {
        let server = try TestServer()
        defer { server.stop() }
        var huge = Data(#"{"version":1,"id":"big","verb":"list","args":{"x":""#.utf8)
        huge.append(Data(repeating: UInt8(ascii: "a"), count: ControlProtocol.maxRequestBytes))
        huge.append(line(#""}}"#))
        let replies = try server.raw(huge, lines: 2)
        #expect(replies.count == 1)  // the error, then the server closed
        guard case .error(let reply)? = replies.first?.body else { Issue.record("no error frame"); return }
        #expect(reply.code == .protocolError)
        #expect(reply.message.contains("exceeds the limit of 1048576 bytes"))
        _ = try server.client().call(Request(verb: .status))
    }

    @Test func versionMismatchIsAnErrorNamingBothVersions() throws {
        let server = try TestServer()
        defer { server.stop() }
        let replies = try server.raw(line(#"{"version":2,"id":"v2","verb":"status","args":{}}"#))
        #expect(replies.first?.id == "v2")
        guard case .error(let reply)? = replies.first?.body else { Issue.record("no error frame"); return }
        #expect(reply.message.contains("version 2") && reply.message.contains("version 1"))
    }

    @Test func passesAnOpenFileDescriptor() throws {
        let server = try TestServer()
        defer { server.stop() }
        let file = server.directory + "/dump.sql"
        try Data("select 1;\n".utf8).write(to: URL(fileURLWithPath: file))
        // Owner-only and then unreadable by path: the daemon must use the descriptor, not the path.
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        chmod(file, 0)
        let client = try server.client()
        let result = try client.call(Request(verb: .restore, args: ["file": "dump.sql"]), passing: fd)
        #expect(result["content"] == "select 1;\n")
        // Without a descriptor the handler's own error comes back.
        #expect(throws: DRDError.self) { try client.call(Request(verb: .restore)) }
        #expect(fcntl(fd, F_GETFD) >= 0)  // the caller still owns its descriptor
        // A directory or a write-only file is refused by readablePassedFile().
        let dir = open(server.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(dir) }
        #expect { try client.call(Request(verb: .restore), passing: dir) } throws: {
            ($0 as? DRDError)?.message.contains("not a regular file or pipe") == true
        }
        let writeOnly = open(server.directory + "/out", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(writeOnly) }
        #expect { try client.call(Request(verb: .restore), passing: writeOnly) } throws: {
            ($0 as? DRDError)?.message.contains("not open for reading") == true
        }
        // A pipe works too (drctl restore - …).
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        _ = write(pipeFDs[1], "from a pipe", 11)
        close(pipeFDs[1])
        defer { close(pipeFDs[0]) }
        #expect(try client.call(Request(verb: .restore), passing: pipeFDs[0])["content"] == "from a pipe")
    }

    @Test func replyTimeoutFiresWhenTheDaemonIsSilent() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client(replyTimeout: 0.5)
        let started = ContinuousClock.now
        #expect { try client.call(Request(verb: .verify)) } throws: { ($0 as? DRDError)?.code == .timeout }
        #expect(ContinuousClock.now - started < .seconds(3))
        client.close()  // the server sees the hang-up and cancels the verify
    }

    @Test func notesAreEvents() throws {
        let line = Response(id: "n", .event(ProgressEvent(phase: "note", message: "mapped role"))).line()
        #expect(try Response.parse(line.dropLast()).body == .event(ProgressEvent(phase: "note", message: "mapped role")))
    }

    @Test func handlerErrorsAndMissingRepliesBecomeErrorFrames() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        #expect { try client.call(Request(verb: .drill)) } throws: { error in
            let e = error as? DRDError
            return e?.code == .notFound && e?.hint == "see drctl status"
        }
        #expect { try client.call(Request(verb: .prune)) } throws: { error in
            let e = error as? DRDError
            return e?.code == .internal && e?.message.contains("returned no reply") == true
        }
    }

    @Test func clientDisconnectCancelsTheRequest() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let request = Request(verb: .verify)
        try client.send(request)
        usleep(300_000)
        client.close()
        let reason = waitFor { TestServer.cancelled.withLock { $0[request.id] } }
        #expect(reason == "control client disconnected")
    }

    @Test func stopCancelsRunningRequestsAndRemovesTheSocket() throws {
        let server = try TestServer()
        let client = try server.client()
        let request = Request(verb: .verify)
        try client.send(request)
        usleep(300_000)
        #expect(server.server.stop(timeout: 5))
        #expect(TestServer.cancelled.withLock { $0[request.id] } == "drd is stopping")
        guard case .error(let reply) = try client.next().body else { Issue.record("no error frame"); return }
        #expect(reply.code == .cancelled)
        #expect(access(server.path, F_OK) != 0)
        #expect { try server.client() } throws: { error in
            let e = error as? DRDError
            return e?.code == .connection && e?.hint?.contains("drd is not running?") == true
        }
        server.stop()
    }

    @Test func staleSocketIsReplacedButALiveOneIsNot() throws {
        let server = try TestServer()
        defer { server.stop() }
        // Live: a second server on the same path must refuse.
        let second = ControlServer(options: ControlServerOptions(path: server.path), authorizer: Authorizer()) { _, _, w in
            w.result()
        }
        #expect { try second.start() } throws: { ($0 as? DRDError)?.code == .conflict }
        // Stale: a socket file nobody listens on.
        let stalePath = server.directory + "/stale.sock"
        let orphan = try UnixSocket.make()
        try orphan.bind(to: stalePath)
        orphan.close()
        let third = ControlServer(options: ControlServerOptions(path: stalePath), authorizer: Authorizer()) { _, _, w in
            w.result(["third": true])
        }
        try third.start()
        defer { third.stop(timeout: 2) }
        #expect(try ControlClient.connect(socketPath: stalePath).call(Request(verb: .status)) == ["third": true])
        // Not a socket: refused.
        let plain = server.directory + "/plain"
        _ = FileManager.default.createFile(atPath: plain, contents: Data())
        let fourth = ControlServer(options: ControlServerOptions(path: plain), authorizer: Authorizer()) { _, _, w in
            w.result()
        }
        #expect { try fourth.start() } throws: { ($0 as? DRDError)?.message.contains("is not a socket") == true }
    }

    @Test func socketModeAndGroup() throws {
        let group = UserDatabase.groupID(name: "daemon") != nil ? "daemon" : "root"
        let server = try TestServer { $0.group = group }
        defer { server.stop() }
        var st = stat()
        #expect(lstat(server.path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o660)
        #expect(st.st_gid == UserDatabase.groupID(name: group))
        #expect(server.server.authorizer.socketGroup == UserDatabase.groupID(name: group))
        // A reload without a socket group keeps the socket's group as the read group.
        server.server.updateAuthorizer(Authorizer(adminGroup: 4321))
        #expect(server.server.authorizer.socketGroup == UserDatabase.groupID(name: group))
        #expect(server.server.authorizer.adminGroup == 4321)
    }

    @Test func aClientThatStopsReadingIsDroppedAndItsRequestCancelled() throws {
        let server = try TestServer { $0.sendTimeout = 0.5 }
        defer { server.stop() }
        let socket = try UnixSocket.make()
        defer { socket.close() }
        try socket.connect(to: server.path)
        let request = Request(verb: .backup, args: ["events": 1_000_000])
        try socket.send(Data((request.json.jsonText() + "\n").utf8))
        // Never read: the socket buffers fill, the send times out, the request is cancelled.
        let reason = waitFor { TestServer.cancelled.withLock { $0[request.id] } }
        #expect(reason == "control client disconnected")
        // And the server hung up: draining the buffered frames ends in EOF.
        let reader = LineReader(socket: socket, maxLine: 1 << 20)
        var frames = 0
        while case .line = try reader.next(deadline: .now + .seconds(10)) { frames += 1 }
        #expect(frames > 0)
    }

    @Test func tooManyClientsGetAnErrorNotAHang() throws {
        let server = try TestServer { $0.maxClients = 1 }
        defer { server.stop() }
        let first = try server.client()
        _ = try first.call(Request(verb: .status))  // admitted and idle
        let second = try server.client()
        let reply = try second.next()
        guard case .error(let error) = reply.body else { Issue.record("second client served"); return }
        #expect(error.code == .conflict)
        #expect(error.message.contains("too many control clients"))
        first.close()
    }

    @Test func idleConnectionsAreClosed() throws {
        let server = try TestServer { $0.idleTimeout = 0.5 }
        defer { server.stop() }
        let client = try server.client()
        usleep(1_200_000)
        #expect { try client.call(Request(verb: .status)) } throws: { ($0 as? DRDError)?.code == .connection }
    }

    @Test func pipelinedLinesWithCRLFAreSplit() throws {
        let server = try TestServer()
        defer { server.stop() }
        var bytes = Data()
        for i in 0..<50 {
            bytes.append(Data((Request(id: "p\(i)", verb: .list, args: ["i": .int(Int64(i))]).json.jsonText() + "\r\n").utf8))
        }
        let replies = try server.raw(bytes, lines: 50)
        #expect(replies.map(\.id) == (0..<50).map { "p\($0)" })
        #expect(replies.last?.body == .result(["i": 49]))
    }

    @Test func connectErrorsSayWhatToDo() {
        let denied = ControlClient.connectError(SocketError(errno: EACCES), path: "/run/drd/drd.sock")
        #expect(denied.code == .permission)
        #expect(denied.hint?.contains("drd group") == true)
        let missing = ControlClient.connectError(SocketError(errno: ENOENT), path: "/run/drd/drd.sock")
        #expect(missing.message.contains("/run/drd/drd.sock"))
        #expect(missing.hint?.contains("drd is not running?") == true)
    }

    /// Polls `value` for up to 5 s.
    func waitFor<T>(_ value: () -> T?) -> T? {
        for _ in 0..<250 {
            if let v = value() { return v }
            usleep(20_000)
        }
        return nil
    }
}
