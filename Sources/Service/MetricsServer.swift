import Foundation
import Support
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.0 endpoint serving `GET /metrics` (Prometheus text format) when
/// `metrics_listen = host:port` is set. One short-lived connection at a time is enough for a
/// scraper; requests are read with a size limit and a timeout.
final class MetricsServer: Sendable {
    private let fd: Int32
    private let render: @Sendable () -> String
    private let stopped = Atomic<Bool>(false)
    let address: String

    init(host: String, port: Int, render: @escaping @Sendable () -> String) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var info: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &info)
        guard rc == 0, let first = info else {
            throw DRDError(.config, "invalid metrics_listen '\(host):\(port)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(info) }
        let sock = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { throw DRDError.posix("unable to create the metrics socket", errno: errno) }
        var yes: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(sock, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, listen(sock, 16) == 0 else {
            let err = errno
            close(sock)
            throw DRDError.posix("unable to listen for metrics on \(host):\(port)", errno: err, code: .config)
        }
        fd = sock
        address = "\(host):\(port)"
        self.render = render
    }

    func start() {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                serve(client)
                close(client)
            }
        }
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            request.append(contentsOf: buffer[0..<n])
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let (status, type, body): (String, String, String)
        if parts.count >= 2, parts[0] == "GET", parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") {
            (status, type, body) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", render())
        } else if parts.count >= 2, parts[0] == "GET", parts[1] == "/" {
            (status, type, body) = ("200 OK", "text/plain; charset=utf-8", "drd: metrics at /metrics\n")
        } else {
            (status, type, body) = ("404 Not Found", "text/plain; charset=utf-8", "not found\n")
        }
        let response = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        var bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
    }
}
