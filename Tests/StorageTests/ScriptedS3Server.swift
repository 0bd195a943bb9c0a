#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import Synchronization

/// A tiny S3-ish HTTP server on 127.0.0.1 for fault injection, on its own threads.
///
/// By default it answers like S3 (create/upload part/complete/abort multipart, PUT, HEAD, ranged
/// GET, list uploads) from memory; a script of rules overrides the answer for matching requests:
/// a status with an S3 error body, a connection reset part-way through the request or reply, or
/// a stall. Every request is logged so tests can check retries and the final abort.
final class ScriptedS3Server: @unchecked Sendable {
    enum Kind: Equatable {
        case createUpload, part(Int), complete, abort, put, head, get, listUploads, other
    }

    enum Action {
        /// Replies with `status` and an S3 error document for `code`.
        case error(status: Int, code: String)
        /// Replies 200 with an S3 error document (what CompleteMultipartUpload can do).
        case okWithError(code: String)
        /// Reads `bodyBytes` of the request body, then resets the connection (RST).
        case resetDuringRequest(bodyBytes: Int)
        /// Sends the headers and `bodyBytes` of the normal reply, then resets.
        case resetDuringReply(bodyBytes: Int)
        /// Reads the request and says nothing for `seconds`.
        case stall(seconds: Double)
        /// Handles the request normally (a PUT stores its object), then resets without a reply:
        /// the request worked but the client never hears so.
        case dropReply
    }

    struct Logged: Sendable {
        var method: String
        var target: String
        var kind: Kind
        var headers: [String: String]
        var bodyCount: Int
    }

    private struct Rule {
        var kind: Kind
        var times: Int
        var action: Action
    }

    private struct State {
        var rules: [Rule] = []
        var log: [Logged] = []
        var openUploads: Set<String> = []
        var parts: [Int: [UInt8]] = [:]
        var object: [UInt8] = []
        var nextUpload = 1
    }

    private let state = Mutex<State>(State())
    private let listener: Int32
    let port: Int
    private let stopped = Atomic<Bool>(false)

    var endpoint: String { "http://127.0.0.1:\(port)" }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, len) == 0 && listen(listener, 64) == 0 && getsockname(listener, $0, &len) == 0
            }
        }
        guard ok else { close(listener); throw DRDError(.io, "scripted server: bind failed") }
        port = Int(UInt16(bigEndian: addr.sin_port))
        start()
    }

    private func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    func stop() {
        if stopped.exchange(true, ordering: .acquiringAndReleasing) { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Overrides the next `times` requests of `kind`.
    func script(_ kind: Kind, times: Int = 1, _ action: Action) {
        state.withLock { $0.rules.append(Rule(kind: kind, times: times, action: action)) }
    }

    var log: [Logged] { state.withLock { $0.log } }
    var openUploads: Set<String> { state.withLock { $0.openUploads } }
    var object: [UInt8] { state.withLock { $0.object } }
    func setObject(_ bytes: [UInt8]) { state.withLock { $0.object = bytes } }
    func count(_ kind: Kind) -> Int { log.filter { $0.kind == kind }.count }

    // MARK: serving

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var pending: [UInt8] = []
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 256 << 10)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return false }
            pending.append(contentsOf: chunk[0..<n])
            return true
        }
        while true {
            // Headers.
            var headerEnd: Int?
            while headerEnd == nil {
                if let r = Self.find(Array("\r\n\r\n".utf8), in: pending) { headerEnd = r; break }
                if !fill() { return }
            }
            guard let end = headerEnd else { return }
            let head = String(decoding: pending[0..<end], as: UTF8.self)
            pending.removeFirst(end + 4)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count >= 2 else { return }
            let method = String(requestLine[0]), target = String(requestLine[1])
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let kind = Self.kind(method: method, target: target)
            let action = state.withLock { s -> Action? in
                guard let index = s.rules.firstIndex(where: { $0.kind == kind && $0.times > 0 }) else { return nil }
                s.rules[index].times -= 1
                return s.rules[index].action
            }
            if case .resetDuringRequest(let bytes)? = action {
                while pending.count < min(bytes, length) { if !fill() { break } }
                log(method, target, kind, headers, pending.count)
                reset(fd)
                return
            }
            while pending.count < length { if !fill() { return } }
            let body = Array(pending[0..<length])
            pending.removeFirst(length)
            log(method, target, kind, headers, body.count)

            var reply: (status: Int, headers: [(String, String)], body: [UInt8])
            switch action {
            case .error(let status, let code)?:
                reply = (status, [], Self.errorXML(code))
            case .okWithError(let code)?:
                reply = (200, [], Self.errorXML(code))
            case .stall(let seconds)?:
                Thread.sleep(forTimeInterval: seconds)
                return
            case .dropReply?:
                _ = respond(method: method, target: target, kind: kind, headers: headers, body: body)
                reset(fd)
                return
            default:
                reply = respond(method: method, target: target, kind: kind, headers: headers, body: body)
            }
            var text = "HTTP/1.1 \(reply.status) X\r\n"
            let declared = method == "HEAD" ? reply.headers.first { $0.0 == "Content-Length" }?.1 ?? "0" : "\(reply.body.count)"
            text += "Content-Length: \(declared)\r\n"
            for (k, v) in reply.headers where k != "Content-Length" { text += "\(k): \(v)\r\n" }
            text += "x-amz-request-id: req-\(log.count)\r\n\r\n"
            var out = Array(text.utf8)
            if method != "HEAD" {
                if case .resetDuringReply(let n)? = action {
                    out += reply.body.prefix(n)
                    sendAll(fd, out)
                    Thread.sleep(forTimeInterval: 0.05)
                    reset(fd)
                    return
                }
                out += reply.body
            }
            if !sendAll(fd, out) { return }
        }
    }

    private func log(_ method: String, _ target: String, _ kind: Kind, _ headers: [String: String], _ count: Int) {
        state.withLock { $0.log.append(Logged(method: method, target: target, kind: kind, headers: headers, bodyCount: count)) }
    }

    /// The default, S3-like answer.
    private func respond(method: String, target: String, kind: Kind, headers: [String: String],
                         body: [UInt8]) -> (Int, [(String, String)], [UInt8]) {
        let query = Self.query(target)
        return state.withLock { s -> (Int, [(String, String)], [UInt8]) in
            switch kind {
            case .createUpload:
                let id = "upload-\(s.nextUpload)"
                s.nextUpload += 1
                s.openUploads.insert(id)
                s.parts = [:]
                return (200, [], Array("<InitiateMultipartUploadResult><UploadId>\(id)</UploadId></InitiateMultipartUploadResult>".utf8))
            case .part(let n):
                guard s.openUploads.contains(query["uploadId"] ?? "") else { return (404, [], Self.errorXML("NoSuchUpload")) }
                s.parts[n] = body
                return (200, [("ETag", "\"etag-\(n)\"")], [])
            case .complete:
                guard let id = query["uploadId"], s.openUploads.contains(id) else { return (404, [], Self.errorXML("NoSuchUpload")) }
                s.openUploads.remove(id)
                s.object = s.parts.keys.sorted().flatMap { s.parts[$0] ?? [] }
                return (200, [], Array("<CompleteMultipartUploadResult><ETag>\"x-\(s.parts.count)\"</ETag></CompleteMultipartUploadResult>".utf8))
            case .abort:
                s.openUploads.remove(query["uploadId"] ?? "")
                return (204, [], [])
            case .put:
                s.object = body
                return (200, [("ETag", "\"put\"")], [])
            case .head:
                return (200, [("Content-Length", "\(s.object.count)"), ("ETag", "\"obj\""),
                              ("Last-Modified", "Sat, 21 Nov 2026 05:00:00 GMT")], [])
            case .get:
                let total = s.object.count
                guard let range = headers["range"], range.hasPrefix("bytes=") else { return (200, [], s.object) }
                let parts = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
                let start = Int(parts[0]) ?? 0
                let last = min(Int(parts.count > 1 ? parts[1] : "") ?? total - 1, total - 1)
                guard start < total else { return (416, [], Self.errorXML("InvalidRange")) }
                return (206, [("Content-Range", "bytes \(start)-\(last)/\(total)"), ("ETag", "\"obj\"")],
                        Array(s.object[start...last]))
            case .listUploads:
                let items = s.openUploads.sorted().map {
                    "<Upload><Key>k</Key><UploadId>\($0)</UploadId><Initiated>2026-11-21T05:00:00.000Z</Initiated></Upload>"
                }.joined()
                return (200, [], Array("<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\(items)</ListMultipartUploadsResult>".utf8))
            case .other:
                return (400, [], Self.errorXML("NotImplemented"))
            }
        }
    }

    private func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    @discardableResult
    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    static func errorXML(_ code: String) -> [UInt8] {
        Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>scripted \(code)</Message><RequestId>scripted-1</RequestId></Error>".utf8)
    }

    static func query(_ target: String) -> [String: String] {
        guard let q = target.firstIndex(of: "?") else { return [:] }
        var out: [String: String] = [:]
        for item in target[target.index(after: q)...].split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            out[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return out
    }

    static func kind(method: String, target: String) -> Kind {
        let q = query(target)
        switch method {
        case "POST" where q["uploads"] != nil: return .createUpload
        case "POST" where q["uploadId"] != nil: return .complete
        case "PUT" where q["partNumber"] != nil: return .part(Int(q["partNumber"] ?? "") ?? 0)
        case "PUT": return .put
        case "DELETE" where q["uploadId"] != nil: return .abort
        case "HEAD": return .head
        case "GET" where q["uploads"] != nil: return .listUploads
        case "GET": return .get
        default: return .other
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
