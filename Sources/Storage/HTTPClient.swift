import CCurl
import CShims
import Foundation
import Support
import Synchronization

/// One HTTP request as libcurl sends it. The body is held in memory (parts are bounded in size).
struct HTTPRequest: Sendable {
    var method: String
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]
}

/// Status, headers (names lowercased; repeated ones keep the last) and body of a reply.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// A transport failure (no complete HTTP reply): connection refused/reset, timeout, TLS.
struct TransportError: Error, Sendable {
    var curlCode: Int
    var message: String
    var isTimeout: Bool
}

/// Collects a reply as it arrives; kept by the caller so bytes received before a failure can be used
/// (ranged reads resume from there).
final class ResponseCollector {
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []

    func reset() {
        status = 0
        headers = [:]
        body.removeAll(keepingCapacity: true)
    }
}

/// Blocking HTTP over libcurl easy handles, pooled so connections (and TLS sessions) are reused.
final class HTTPClient: Sendable {
    private struct Handle: @unchecked Sendable { let raw: UnsafeMutableRawPointer }
    private let pool = Mutex<[Handle]>([])
    let timeouts: Timeouts

    private static let globalInit: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    init(timeouts: Timeouts) {
        _ = Self.globalInit
        self.timeouts = timeouts
    }

    deinit {
        for handle in pool.withLock({ $0 }) { curl_easy_cleanup(handle.raw) }
    }

    /// Sends `request` once; the reply lands in `collector`. Throws `TransportError` when no complete
    /// reply arrived (HTTP error statuses are not errors here).
    func perform(_ request: HTTPRequest, into collector: ResponseCollector) throws(TransportError) {
        collector.reset()
        guard let handle = pool.withLock({ $0.popLast() })?.raw ?? curl_easy_init() else {
            throw TransportError(curlCode: -1, message: "curl_easy_init failed", isTimeout: false)
        }
        var keep = true
        defer {
            if keep { pool.withLock { $0.append(Handle(raw: handle)) } } else { curl_easy_cleanup(handle) }
        }
        curl_easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // No "Expect: 100-continue" round trip; S3 replies to errors early anyway.
        headerList = curl_slist_append(headerList, "Expect:")
        if request.body.isEmpty && request.method != "POST" && request.method != "PUT" {
            headerList = curl_slist_append(headerList, "Content-Type:")
        }

        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = drd_curl_setopt_string(handle, CURLOPT_URL, request.url)
        _ = drd_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = drd_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = drd_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, timeouts.connect)
        _ = drd_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedLimit)
        _ = drd_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, timeouts.lowSpeedTime)
        _ = drd_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        // Explicit, although they are libcurl's defaults: TLS peers are verified against the system CAs.
        _ = drd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = drd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        _ = drd_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = drd_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList)
        _ = drd_curl_setopt_write_function(handle, writeCallback)
        _ = drd_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, UnsafeRawPointer(context))
        _ = drd_curl_setopt_header_function(handle, headerCallback)
        _ = drd_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, UnsafeRawPointer(context))

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = request.body.withUnsafeBytes { body in
            errorBuffer.withUnsafeMutableBufferPointer { errBuf in
                _ = drd_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, UnsafeRawPointer(errBuf.baseAddress))
                switch request.method {
                case "GET":
                    break
                case "HEAD":
                    _ = drd_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
                case "PUT", "POST":
                    // POSTFIELDS sends the in-memory body with a known length; CUSTOMREQUEST sets the verb.
                    _ = drd_curl_setopt_long(handle, CURLOPT_POST, 1)
                    _ = drd_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    _ = drd_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafeRawPointer(emptyBody))
                    _ = drd_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
                default:
                    _ = drd_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
                }
                return curl_easy_perform(handle)
            }
        }
        _ = drd_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
        var status = 0
        _ = drd_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        // Set even on failure: a reply that broke mid-body still tells what arrived (resumable reads).
        collector.status = status
        if code != CURLE_OK {
            keep = false   // the connection state is unknown: do not reuse this handle
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw TransportError(curlCode: Int(code.rawValue), message: text.lowercased(),
                                 isTimeout: code == CURLE_OPERATION_TIMEDOUT)
        }
    }
}

/// Non-null pointer for an empty POST body.
private nonisolated(unsafe) let emptyBody = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

private let writeCallback: drd_curl_data_cb = { ptr, size, count, userdata in
    guard let userdata else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    if collector.body.isEmpty, collector.body.capacity == 0,
       let length = collector.headers["content-length"].flatMap({ Int($0) }), length > 0, length <= 64 << 20 {
        collector.body.reserveCapacity(length)   // one allocation instead of repeated doubling
    }
    if let ptr, n > 0 {
        ptr.withMemoryRebound(to: UInt8.self, capacity: n) { collector.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
    }
    return n
}

private let headerCallback: drd_curl_data_cb = { ptr, size, count, userdata in
    guard let userdata else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    guard let ptr, n > 0 else { return n }
    let line = ptr.withMemoryRebound(to: UInt8.self, capacity: n) {
        String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
    }.trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        collector.headers = [:]   // a new reply (after 100 Continue or a redirect)
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        collector.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return n
}
