#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import Synchronization

/// A Unix stream socket descriptor with the few operations the control protocol needs.
///
/// `SCM_RIGHTS` and `SO_PEERCRED` are done here in Swift (the control-message layout is computed
/// from `cmsghdr`, as the CMSG_* macros do) because the Control target links Support only.
/// Closing is idempotent and thread-safe so a watcher thread may close a connection that a
/// handler is still writing to.
public final class UnixSocket: Sendable {
    private let descriptor: Atomic<Int32>

    /// The raw descriptor, or -1 once closed.
    public var fd: Int32 { descriptor.load(ordering: .acquiring) }

    public init(adopting fd: Int32) { descriptor = Atomic(fd) }

    deinit { close() }

    /// A new `AF_UNIX` socket (`SOCK_CLOEXEC`).
    public static func make(type: Int32 = Int32(SOCK_STREAM.rawValue)) throws -> UnixSocket {
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DRDError.posix("unable to create a unix socket", errno: errno) }
        return UnixSocket(adopting: fd)
    }

    public func close() {
        let old = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if old >= 0 { _ = Glibc.close(old) }
    }

    /// Shuts both directions down, waking a thread blocked in recv/poll on this socket.
    public func shutdown() {
        let fd = self.fd
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    // MARK: addresses

    /// `sockaddr_un` for a path; a leading `@` means Linux's abstract namespace (as systemd writes it).
    public static func address(_ path: String) throws -> (sockaddr_un, socklen_t) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw DRDError(.usage, "socket path '\(path)' is empty or longer than \(capacity - 1) bytes",
                           hint: "use a shorter path (e.g. under /run)")
        }
        guard abstract || !bytes.contains(0) else {
            throw DRDError(.usage, "socket path '\(path)' contains a nul byte")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        // Abstract names are exactly `bytes.count` long; file paths include their terminating nul.
        let length = pathOffset + bytes.count + (abstract ? 0 : 1)
        return (addr, socklen_t(length))
    }

    public func connect(to path: String) throws {
        var (addr, length) = try Self.address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        if rc != 0 { throw SocketError(errno: errno) }
    }

    public func bind(to path: String) throws {
        var (addr, length) = try Self.address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        if rc != 0 { throw DRDError.posix("unable to bind control socket '\(path)'", errno: errno) }
    }

    public func listen(backlog: Int32 = 64) throws {
        if Glibc.listen(fd, backlog) != 0 { throw DRDError.posix("unable to listen on control socket", errno: errno) }
    }

    /// Waits up to `timeoutMillis` for a connection; nil on timeout or a transient failure.
    public func accept(timeoutMillis: Int32) -> UnixSocket? {
        guard waitReadable(timeoutMillis: timeoutMillis) else { return nil }
        // accept4 is hidden behind _GNU_SOURCE; set close-on-exec right after instead.
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else { return nil }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return UnixSocket(adopting: client)
    }

    /// True when the socket is readable (data, EOF or error) within the timeout.
    public func waitReadable(timeoutMillis: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&pfd, 1, timeoutMillis)
        return rc > 0
    }

    /// True when the peer has closed its end completely. `POLLHUP` (not `POLLRDHUP`), so a client
    /// that only shut down its write half after sending is not taken for gone.
    public func peerHungUp() -> Bool {
        var pfd = pollfd(fd: fd, events: 0, revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return false }
        return pfd.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    // MARK: options

    /// `SO_SNDTIMEO` / `SO_RCVTIMEO`; nil leaves the option unchanged, 0 means no timeout.
    public func setTimeouts(send: Double? = nil, receive: Double? = nil) {
        func set(_ option: Int32, _ seconds: Double) {
            var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
            _ = setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        if let send { set(SO_SNDTIMEO, send) }
        if let receive { set(SO_RCVTIMEO, receive) }
    }

    /// The connected peer's pid, uid and gid (`SO_PEERCRED`, taken by the kernel at connect time).
    public func peerCredentials() throws -> (pid: pid_t, uid: uid_t, gid: gid_t) {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — Glibc hides it behind _GNU_SOURCE.
        var raw: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &raw, &length) == 0 else {
            throw DRDError.posix("unable to read peer credentials of control connection", errno: errno)
        }
        return (raw.0, raw.1, raw.2)
    }

    // MARK: I/O

    /// Sends all of `data`; the first `sendmsg` carries `passing` as `SCM_RIGHTS` when given.
    /// `MSG_NOSIGNAL`: a gone peer is an error, never SIGPIPE.
    public func send(_ data: Data, passing passFD: Int32? = nil) throws {
        var bytes = [UInt8](data)
        if bytes.isEmpty, passFD != nil { bytes = [0x0a] }  // ancillary data needs at least one byte
        var offset = 0
        var pending = passFD
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw -> Int in
                let base = raw.baseAddress.map { $0 + offset }
                return sendChunk(base, raw.count - offset, fd: pending)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketError(errno: errno)
            }
            pending = nil
            offset += n
        }
    }

    private func sendChunk(_ base: UnsafeMutableRawPointer?, _ count: Int, fd passFD: Int32?) -> Int {
        guard let passFD else { return Glibc.send(fd, base, count, Int32(MSG_NOSIGNAL)) }
        var iov = iovec(iov_base: base, iov_len: count)
        let header = MemoryLayout<cmsghdr>.size
        let space = header + Self.align(MemoryLayout<Int32>.size)
        // UInt64 storage keeps the control buffer aligned for cmsghdr.
        var control = [UInt64](repeating: 0, count: (space + 7) / 8)
        return control.withUnsafeMutableBytes { ctl -> Int in
            ctl.storeBytes(of: header + MemoryLayout<Int32>.size, toByteOffset: 0, as: Int.self)  // cmsg_len
            ctl.storeBytes(of: SOL_SOCKET, toByteOffset: MemoryLayout<Int>.size, as: Int32.self)
            ctl.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
            ctl.storeBytes(of: passFD, toByteOffset: header, as: Int32.self)
            return withUnsafeMutablePointer(to: &iov) { iovPointer in
                var message = msghdr()
                message.msg_iov = iovPointer
                message.msg_iovlen = 1
                message.msg_control = ctl.baseAddress
                message.msg_controllen = space
                return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// Receives up to `count` bytes into `buffer`; returns the byte count (0 at EOF) and a descriptor
    /// passed with them (`SCM_RIGHTS`), if any. Extra descriptors are closed.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> (count: Int, fd: Int32?) {
        var iov = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var control = [UInt64](repeating: 0, count: 16)  // 128 bytes: room for a few descriptors
        var received: Int32? = nil
        let n = control.withUnsafeMutableBytes { ctl -> Int in
            let n = withUnsafeMutablePointer(to: &iov) { iovPointer -> Int in
                var message = msghdr()
                message.msg_iov = iovPointer
                message.msg_iovlen = 1
                message.msg_control = ctl.baseAddress
                message.msg_controllen = ctl.count
                var n: Int
                repeat { n = recvmsg(fd, &message, Int32(MSG_CMSG_CLOEXEC)) } while n < 0 && errno == EINTR
                if n >= 0 { received = Self.takeDescriptors(ctl, length: Int(message.msg_controllen)) }
                return n
            }
            return n
        }
        if n < 0 { throw SocketError(errno: errno) }
        return (n, received)
    }

    /// Walks the control messages (CMSG_FIRSTHDR/CMSG_NXTHDR by hand) and keeps the first descriptor.
    private static func takeDescriptors(_ ctl: UnsafeMutableRawBufferPointer, length: Int) -> Int32? {
        let header = MemoryLayout<cmsghdr>.size
        var offset = 0
        var kept: Int32? = nil
        while offset + header <= min(length, ctl.count) {
            let cmsgLen = ctl.load(fromByteOffset: offset, as: Int.self)
            let level = ctl.load(fromByteOffset: offset + MemoryLayout<Int>.size, as: Int32.self)
            let type = ctl.load(fromByteOffset: offset + MemoryLayout<Int>.size + 4, as: Int32.self)
            guard cmsgLen >= header, offset + cmsgLen <= ctl.count else { break }
            if level == SOL_SOCKET && type == Int32(SCM_RIGHTS) {
                let count = (cmsgLen - header) / MemoryLayout<Int32>.size
                for i in 0..<count {
                    let fd = ctl.load(fromByteOffset: offset + header + i * 4, as: Int32.self)
                    if kept == nil { kept = fd } else { _ = Glibc.close(fd) }
                }
            }
            offset += align(cmsgLen)
        }
        return kept
    }

    private static func align(_ n: Int) -> Int {
        let word = MemoryLayout<Int>.size
        return (n + word - 1) & ~(word - 1)
    }
}

/// A socket call's errno, kept so callers can word their own message (the client's hints).
public struct SocketError: Error, Sendable, CustomStringConvertible {
    public let errno: Int32
    public init(errno: Int32) { self.errno = errno }
    public var description: String { errnoText(errno) }

    public var isTimeout: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
    public var isDisconnect: Bool { errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN }
}
