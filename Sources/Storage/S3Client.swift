import Foundation
import Support

/// One S3 API call before signing.
struct S3Operation: Sendable {
    var method: String
    /// Full object key (store prefix included); nil for bucket-level calls.
    var key: String?
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// Hex SHA-256 of `body`; computed when nil.
    var payloadHash: String?
    /// For messages: `put of 'dir/x.sql.gz'`.
    var what: String
}

/// Signs and sends S3 operations with retries (exponential backoff, full jitter).
///
/// Retried: transport failures (connect errors, resets, timeouts), HTTP 5xx and 429, and the error
/// codes `SlowDown`, `RequestTimeout`, `Throttling`, `InternalError`. Not retried: other 4xx
/// (403 AccessDenied, SignatureDoesNotMatch, NoSuchKey…), which would fail the same way again.
final class S3Client: Sendable {
    let config: S3Config
    let http: HTTPClient
    let signer: SigV4Signer
    let logger = Logger("storage")

    init(config: S3Config) {
        self.config = config
        http = HTTPClient(timeouts: config.settings.timeouts)
        signer = SigV4Signer(credentials: config.credentials, region: config.region)
    }

    /// `s3://bucket/prefix` without a trailing slash, so `displayURL + "/" + key` reads well.
    var displayURL: String {
        config.prefix.isEmpty ? "s3://\(config.bucket)" : "s3://\(config.bucket)/\(config.prefix.dropLast())"
    }

    /// The decoded path to sign and the URL to send.
    func target(key: String?, query: [(String, String)]) -> (path: String, url: String) {
        var path: String
        if config.pathStyle {
            path = "/" + config.bucket
            if let key { path += "/" + key }
        } else {
            path = "/" + (key ?? "")
        }
        var url = "\(config.scheme)://\(config.hostHeader)" + SigV4Signer.encode(path, keepSlash: true)
        if !query.isEmpty {
            url += "?" + query.map { name, value in
                value.isEmpty ? SigV4Signer.encode(name, keepSlash: false)
                    : SigV4Signer.encode(name, keepSlash: false) + "=" + SigV4Signer.encode(value, keepSlash: false)
            }.joined(separator: "&")
        }
        return (path, url)
    }

    /// Signs `op` now (a retry gets a fresh date) and builds the request.
    func request(_ op: S3Operation) -> HTTPRequest {
        let (path, url) = target(key: op.key, query: op.query)
        let headers = [("Host", config.hostHeader)] + op.headers
        let hash = op.payloadHash ?? Digest.sha256Hex(op.body)
        let signed = signer.sign(SigV4Request(method: op.method, path: path, query: op.query, headers: headers),
                                 date: Date(), payloadHash: hash)
        // curl sets Host itself from the URL; sending ours too would duplicate it.
        return HTTPRequest(method: op.method, url: url, headers: op.headers + signed.headers, body: op.body)
    }

    /// Sends once into `collector`.
    func sendOnce(_ op: S3Operation, into collector: ResponseCollector) throws(TransportError) {
        try http.perform(request(op), into: collector)
    }

    /// Sends with retries until a status `accept` takes; other statuses become S3 errors.
    func send(_ op: S3Operation, cancel: CancellationToken? = nil,
              accept: (Int) -> Bool = { (200..<300).contains($0) }) throws -> HTTPResponse {
        let policy = config.settings.retry
        let collector = ResponseCollector()
        var attempt = 0
        while true {
            attempt += 1
            var failure: DRDError
            var retryable: Bool
            do {
                try sendOnce(op, into: collector)
                if accept(collector.status) {
                    return HTTPResponse(status: collector.status, headers: collector.headers, body: collector.body)
                }
                var reply = S3ErrorReply(status: collector.status, body: op.method == "HEAD" ? [] : collector.body,
                                         headers: collector.headers)
                if op.method == "HEAD" && reply.status == 403 {
                    // HEAD replies have no body, so a bad signature looks like any other denial.
                    reply.message = "no details in a HEAD reply"
                }
                failure = reply.error(operation: "\(op.what) on \(displayURL)")
                failure.hint = hint(for: reply, default: failure.hint)
                retryable = Self.isRetryable(reply)
            } catch {
                failure = transportFailure(error, what: op.what, attempts: attempt)
                retryable = Self.isRetryable(error)
            }
            guard retryable, attempt < policy.maxAttempts else {
                if retryable && attempt > 1 { failure = failure.context("after \(attempt) attempts") }
                throw failure
            }
            if let cancel, cancel.isCancelled { throw failure }
            let delay = policy.delay(beforeRetry: attempt)
            logger.warning("retrying \(op.what) on \(displayURL)", [("attempt", "\(attempt + 1)"), ("error", failure.message)])
            Thread.sleep(forTimeInterval: delay)
        }
    }

    /// Hints that name the credentials in use (id and source, never the secret).
    func hint(for reply: S3ErrorReply, default fallback: String?) -> String? {
        let creds = config.credentials.description
        switch reply.code {
        case "SignatureDoesNotMatch":
            return "check the secret access key that belongs to \(creds), and the region (\(config.region))"
        case "InvalidAccessKeyId":
            return "\(creds) is unknown to \(config.scheme)://\(config.hostHeader); check the key and the endpoint"
        case "AccessDenied" where reply.message == "no details in a HEAD reply":
            return "check the credentials (\(creds)) and the IAM permissions: s3:GetObject, s3:ListBucket (see docs/storage.md)"
        default:
            return fallback
        }
    }

    func transportFailure(_ error: TransportError, what: String, attempts: Int) -> DRDError {
        if error.isTimeout {
            return DRDError(.timeout, "\(what) on \(displayURL) timed out: \(error.message)",
                            hint: "the store stopped answering; check the network and the endpoint")
        }
        return DRDError(.storage, "\(what) on \(displayURL) failed: \(error.message)",
                        hint: "check the endpoint (\(config.scheme)://\(config.hostHeader)) and the network")
    }

    static func isRetryable(_ reply: S3ErrorReply) -> Bool {
        if reply.status >= 500 || reply.status == 429 { return true }
        return ["SlowDown", "RequestTimeout", "Throttling", "ThrottlingException", "InternalError",
                "ServiceUnavailable"].contains(reply.code)
    }

    static func isRetryable(_ error: TransportError) -> Bool {
        // couldn't resolve/connect, partial file, got nothing, send/recv error (reset), timeout,
        // TLS handshake, HTTP/2 stream errors.
        [6, 7, 16, 18, 28, 35, 52, 55, 56, 92].contains(error.curlCode)
    }

    /// Headers for new objects: SSE and storage class.
    var objectHeaders: [(String, String)] {
        var headers: [(String, String)] = []
        switch config.settings.sse {
        case .aes256?: headers.append(("x-amz-server-side-encryption", "AES256"))
        case .kms(let keyID)?:
            headers.append(("x-amz-server-side-encryption", "aws:kms"))
            if let keyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyID)) }
        case nil: break
        }
        if let storageClass = config.settings.storageClass { headers.append(("x-amz-storage-class", storageClass)) }
        return headers
    }
}

/// HTTP dates (`Last-Modified`) and ISO 8601 (XML `LastModified`, `Initiated`).
enum S3Dates {
    static func parseHTTP(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    static func parseISO(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
