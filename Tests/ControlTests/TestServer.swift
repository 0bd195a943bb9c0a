#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import Synchronization
@testable import Control

/// A real ControlServer on a temp socket with a handler that exercises the protocol:
/// status → peer identity, backup → `events` progress frames then a result, restore → the content
/// of the passed descriptor, verify → blocks until cancelled, drill → throws, prune → no reply.
final class TestServer: Sendable {
    let directory: String
    let path: String
    let server: ControlServer
    init(authorizer: Authorizer = Authorizer(), configure: (inout ControlServerOptions) -> Void = { _ in }) throws {
        // Short path under /tmp: sun_path holds 107 bytes; 0755 so a `nobody` client can reach it.
        directory = "/tmp/drdctl-\(UUID().uuidString.prefix(8).lowercased())"
        guard mkdir(directory, 0o755) == 0 else { throw DRDError.posix("mkdir \(directory)", errno: errno) }
        chmod(directory, 0o755)
        path = directory + "/drd.sock"
        var options = ControlServerOptions(path: path)
        options.idleTimeout = 10
        configure(&options)
        server = ControlServer(options: options, authorizer: authorizer, handler: TestServer.handle)
        try server.start()
    }

    @Sendable static func handle(_ request: Request, _ peer: Peer, _ writer: ResponseWriter) throws {
        switch request.verb {
        case .status:
            writer.result(["uid": .int(Int64(peer.uid)), "pid": .int(Int64(peer.pid)), "gid": .int(Int64(peer.gid)),
                           "groups": .array(peer.groups.sorted().map { .int(Int64($0)) })])
        case .backup:
            let count = try request.int("events") ?? 3
            for i in 0..<count {
                if request.cancellation.isCancelled {
                    cancelled.withLock { $0[request.id] = request.cancellation.reason }
                    return
                }
                writer.event(ProgressEvent(phase: "dump", job: "j-\(request.id)", bytes: i * 100, rows: i, tablesDone: Int(i),
                                      tablesTotal: Int(count)))
            }
            writer.result(["committed": true, "id": .string(request.id)])
        case .restore:
            let fd = try request.readablePassedFile()
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
            }
            writer.result(["content": .string(String(decoding: data, as: UTF8.self))])
        case .verify:
            let deadline = Date().addingTimeInterval(15)
            while !request.cancellation.isCancelled && Date() < deadline { usleep(20_000) }
            let reason = request.cancellation.isCancelled ? request.cancellation.reason : "timeout"
            cancelled.withLock { $0[request.id] = reason }
        case .drill:
            throw DRDError(.notFound, "policy 'nope' not found", hint: "see drctl status")
        case .prune:
            return
        default:
            writer.result(.object(request.args))
        }
    }

    /// Cancellation reason seen by each `verify` handler, by request id (shared by all test servers).
    static let cancelled = Mutex<[String: String]>([:])

    func client(replyTimeout: Double? = 10) throws -> ControlClient {
        try ControlClient.connect(socketPath: path, replyTimeout: replyTimeout)
    }

    /// Sends raw bytes on a fresh connection and returns the reply lines until the server closes
    /// or `lines` frames arrived.
    func raw(_ bytes: Data, lines: Int = 1) throws -> [Response] {
        let socket = try UnixSocket.make()
        try socket.connect(to: path)
        try socket.send(bytes)
        let reader = LineReader(socket: socket, maxLine: 1 << 20)
        var out: [Response] = []
        while out.count < lines {
            guard case .line(let line, _) = try reader.next(deadline: .now + .seconds(10)) else { break }
            out.append(try Response.parse(line))
        }
        socket.close()
        return out
    }

    func stop() {
        server.stop(timeout: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
