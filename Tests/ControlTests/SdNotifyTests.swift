#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import Testing
@testable import Control

@Suite struct SdNotifyTests {
    /// Binds a datagram socket at `path` (`@…` abstract) and returns it.
    func listen(_ path: String) throws -> UnixSocket {
        let socket = try UnixSocket.make(type: Int32(SOCK_DGRAM.rawValue))
        try socket.bind(to: path)
        return socket
    }

    func receive(_ socket: UnixSocket) throws -> String {
        guard socket.waitReadable(timeoutMillis: 2000) else { return "" }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let (n, _) = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    @Test func sendsToAPathSocket() throws {
        let dir = "/tmp/drdnotify-\(UUID().uuidString.prefix(8))"
        mkdir(dir, 0o700)
        defer { rmdir(dir) }
        let path = dir + "/notify"
        let socket = try listen(path)
        defer { socket.close(); unlink(path) }
        let notify = try #require(SdNotify.fromEnvironment(["NOTIFY_SOCKET": path]))
        try notify.ready(status: "serving\n3 policies")
        #expect(try receive(socket) == "READY=1\nSTATUS=serving 3 policies")
        try notify.status("backup optim: 40%")
        #expect(try receive(socket) == "STATUS=backup optim: 40%")
        try notify.reloading()
        #expect(try receive(socket).hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        try notify.stopping()
        #expect(try receive(socket) == "STOPPING=1")
        try notify.watchdog()
        #expect(try receive(socket) == "WATCHDOG=1")
    }

    @Test func sendsToAnAbstractSocket() throws {
        let name = "@drdtest-notify-\(UUID().uuidString.prefix(8))"
        let socket = try listen(name)
        defer { socket.close() }
        try SdNotify(socketPath: name).ready()
        #expect(try receive(socket) == "READY=1")
    }

    @Test func watchdogIntervalFromEnvironment() {
        #expect(SdNotify.fromEnvironment([:]) == nil)
        let env = ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000"]
        #expect(SdNotify.fromEnvironment(env)?.watchdogInterval == .seconds(30))
        #expect(SdNotify.fromEnvironment(env)?.watchdogPingInterval == .seconds(15))
        var other = env
        other["WATCHDOG_PID"] = "1"  // meant for another process
        #expect(SdNotify.fromEnvironment(other)?.watchdogInterval == nil)
        other["WATCHDOG_PID"] = "\(getpid())"
        #expect(SdNotify.fromEnvironment(other)?.watchdogInterval == .seconds(30))
    }

    @Test func watchdogThreadPingsUntilCancelled() throws {
        let name = "@drdtest-wd-\(UUID().uuidString.prefix(8))"
        let socket = try listen(name)
        defer { socket.close() }
        let token = CancellationToken()
        SdNotify(socketPath: name, watchdogInterval: .milliseconds(400)).startWatchdog(until: token)
        #expect(try receive(socket) == "WATCHDOG=1")
        token.cancel()
    }

    @Test func failsClearlyWithoutAListener() {
        #expect { try SdNotify(socketPath: "/tmp/drd-no-such-notify-socket").ready() } throws: { error in
            (error as? DRDError)?.message.contains("unable to notify systemd at") == true
        }
    }
}
