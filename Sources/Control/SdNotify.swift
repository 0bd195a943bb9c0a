#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// The `sd_notify` protocol without libsystemd: datagrams of `KEY=VALUE` lines to `$NOTIFY_SOCKET`.
///
/// drd sends `READY=1` once it serves, `STATUS=…` as it works, `RELOADING=1` around a SIGHUP reload,
/// `STOPPING=1` on SIGTERM, and `WATCHDOG=1` at half the interval systemd asks for (`WatchdogSec=`).
public struct SdNotify: Sendable {
    /// The notify socket path; `@…` is the abstract namespace.
    public let socketPath: String
    /// The watchdog interval systemd expects pings within, when it asks for them.
    public let watchdogInterval: Duration?

    public init(socketPath: String, watchdogInterval: Duration? = nil) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    /// From `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID`; nil when not run by systemd
    /// with `Type=notify`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> SdNotify? {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        return SdNotify(socketPath: path, watchdogInterval: watchdogInterval(environment))
    }

    /// `WATCHDOG_USEC` when it is meant for this process (`WATCHDOG_PID` absent or ours).
    public static func watchdogInterval(_ environment: [String: String]) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], let owner = Int32(pid), owner != getpid() { return nil }
        return .microseconds(usec)
    }

    /// How often to send `WATCHDOG=1`: half the interval, as sd_watchdog_enabled(3) recommends.
    public var watchdogPingInterval: Duration? { watchdogInterval.map { $0 / 2 } }

    /// Sends one notification message (`READY=1\nSTATUS=…`).
    public func send(_ message: String) throws {
        let socket = try UnixSocket.make(type: Int32(SOCK_DGRAM.rawValue))
        defer { socket.close() }
        var (addr, length) = try UnixSocket.address(socketPath)
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &addr) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                sendto(socket.fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), address, length)
            }
        }
        guard sent == bytes.count else {
            throw DRDError.posix("unable to notify systemd at '\(socketPath)'", errno: errno)
        }
    }

    public func ready(status: String? = nil) throws {
        try send("READY=1" + (status.map { "\nSTATUS=\(Self.oneLine($0))" } ?? ""))
    }

    public func status(_ text: String) throws { try send("STATUS=\(Self.oneLine(text))") }

    /// Before a configuration reload; send `ready()` when done.
    public func reloading() throws {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
        try send("RELOADING=1\nMONOTONIC_USEC=\(usec)")
    }

    public func stopping(status: String? = nil) throws {
        try send("STOPPING=1" + (status.map { "\nSTATUS=\(Self.oneLine($0))" } ?? ""))
    }

    public func watchdog() throws { try send("WATCHDOG=1") }

    /// Pings the watchdog from a background thread every `watchdogPingInterval` while `healthy()`
    /// holds, until `token` is cancelled. Does nothing when systemd asked for no watchdog.
    /// Why a health check: a ping from a thread that runs regardless would hide a hung scheduler.
    public func startWatchdog(until token: CancellationToken, healthy: @escaping @Sendable () -> Bool = { true }) {
        guard let interval = watchdogPingInterval else { return }
        let notifier = self
        let thread = Thread {
            let step = Duration.milliseconds(100)
            var waited = Duration.zero
            while !token.isCancelled {
                if waited >= interval {
                    waited = .zero
                    if healthy() { try? notifier.watchdog() }
                }
                Thread.sleep(forTimeInterval: 0.1)
                waited += step
            }
        }
        thread.start()
    }

    /// STATUS= must stay on one line: newlines would start new assignments.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }
}
