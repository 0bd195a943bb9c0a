import Foundation
import Support

/// AWS credentials used to sign requests. `description` never shows the secret.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Where the credentials came from (`environment`, `credentials file profile default`, …) for messages.
    public var source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "settings") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }

    public var description: String { "access key \(accessKeyID) (from \(source))" }
}

/// One HTTP request to sign: method, path, query and headers as they go on the wire.
public struct SigV4Request: Sendable {
    public var method: String
    /// The path, not percent-encoded (S3 mode: the decoded object path, e.g. `/bucket/a b.txt`).
    /// In generic mode: the path as it appears in the request line (it is encoded once more).
    public var path: String
    /// Query parameters, not percent-encoded; a parameter without value (`?uploads`) has value "".
    public var query: [(String, String)]
    /// Headers as sent; names are case-insensitive. Must include `host`.
    public var headers: [(String, String)]

    public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }
}

/// The outcome of signing: headers to add and the intermediate texts (for tests and debugging).
public struct SigV4Signature: Sendable {
    /// Headers to add to the request (`x-amz-date`, `x-amz-content-sha256`, token, `Authorization`).
    public var headers: [(String, String)]
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String
    public var authorization: String
}

/// AWS Signature Version 4 (header signing).
///
/// S3 mode (default): the path is encoded once (every byte but `A-Za-z0-9-._~` and `/`), never
/// normalised, and `x-amz-content-sha256` is always sent and signed. Generic mode (other AWS
/// services, and the official test suite): the request-line path is encoded again and optionally
/// normalised (dot segments and repeated slashes removed).
public struct SigV4Signer: Sendable {
    public enum Mode: Sendable, Equatable {
        case s3
        case generic(normalizePath: Bool)
    }

    /// Payload hash for bodies not hashed (streamed, or over TLS when hashing costs too much).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty string.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    public var mode: Mode

    public init(credentials: AWSCredentials, region: String, service: String = "s3", mode: Mode = .s3) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.mode = mode
    }

    /// Signs `request` at `date`.
    ///
    /// - Parameters:
    ///   - payloadHash: lowercase hex SHA-256 of the body, or `unsignedPayload`.
    ///   - sendPayloadHash: add `x-amz-content-sha256` (always true for S3).
    ///   - signSessionToken: false adds the token after signing (services that expect it unsigned).
    public func sign(_ request: SigV4Request, date: Date, payloadHash: String = SigV4Signer.emptyPayloadHash,
                     sendPayloadHash: Bool? = nil, signSessionToken: Bool = true) -> SigV4Signature {
        let amzDate = SigV4Signer.amzDate(date)
        let day = String(amzDate.prefix(8))
        var added: [(String, String)] = [("X-Amz-Date", amzDate)]
        let addHash = sendPayloadHash ?? (mode == .s3)
        if addHash { added.append(("X-Amz-Content-Sha256", payloadHash)) }
        if let token = credentials.sessionToken, signSessionToken { added.append(("X-Amz-Security-Token", token)) }

        let all = request.headers + added
        // Group by lowercase name; repeated headers join with "," in order; values trimmed with
        // inner whitespace runs collapsed to one space.
        var grouped: [String: [String]] = [:]
        for (name, value) in all {
            grouped[name.lowercased(), default: []].append(SigV4Signer.trimValue(value))
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            request.method,
            canonicalPath(request.path),
            SigV4Signer.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Digest.sha256Hex(canonicalRequest)]
            .joined(separator: "\n")
        let key = signingKey(day: day)
        let signature = Hex.encode(Digest.hmacSHA256(key: key, data: Array(stringToSign.utf8)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        var headers = added
        if let token = credentials.sessionToken, !signSessionToken { headers.append(("X-Amz-Security-Token", token)) }
        headers.append(("Authorization", authorization))
        return SigV4Signature(headers: headers, canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                              signature: signature, authorization: authorization)
    }

    /// HMAC chain: date → region → service → "aws4_request".
    func signingKey(day: String) -> [UInt8] {
        var key = Digest.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), data: Array(day.utf8))
        for part in [region, service, "aws4_request"] {
            key = Digest.hmacSHA256(key: key, data: Array(part.utf8))
        }
        return key
    }

    func canonicalPath(_ path: String) -> String {
        var path = path.isEmpty ? "/" : path
        switch mode {
        case .s3:
            return SigV4Signer.encode(path, keepSlash: true)
        case .generic(let normalize):
            if normalize { path = SigV4Signer.normalize(path) }
            return SigV4Signer.encode(path, keepSlash: true)
        }
    }

    /// Removes `.`/`..` segments and empty segments, keeping a trailing slash (RFC 3986 style).
    static func normalize(_ path: String) -> String {
        var out: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for segment in segments {
            if segment == "." { continue }
            if segment == ".." { if !out.isEmpty { out.removeLast() }; continue }
            out.append(segment)
        }
        var result = "/" + out.joined(separator: "/")
        let last = path.split(separator: "/", omittingEmptySubsequences: false).last
        let trailing = path.hasSuffix("/") || last == "." || last == ".."
        if trailing && !result.hasSuffix("/") { result += "/" }
        return result
    }

    /// Sorted by encoded name, then encoded value.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        var pairs: [(String, String)] = []
        for (name, value) in query {
            pairs.append((encode(name, keepSlash: false), encode(value, keepSlash: false)))
        }
        pairs.sort { (a: (String, String), b: (String, String)) -> Bool in
            a.0 == b.0 ? a.1 < b.1 : a.0 < b.0
        }
        var parts: [String] = []
        for (name, value) in pairs { parts.append(name + "=" + value) }
        return parts.joined(separator: "&")
    }

    private static let unreserved: [Bool] = (0..<256).map { i in
        let c = UInt8(i)
        if c >= 0x41 && c <= 0x5A { return true }
        if c >= 0x61 && c <= 0x7A { return true }
        if c >= 0x30 && c <= 0x39 { return true }
        return c == 0x2D || c == 0x2E || c == 0x5F || c == 0x7E
    }

    /// Percent-encodes every byte except `A-Za-z0-9-._~` (and `/` when `keepSlash`), uppercase hex.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            if unreserved[Int(b)] || (keepSlash && b == 0x2F) {
                out.append(b)
            } else {
                out.append(0x25)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes (and nothing else); invalid escapes stay as they are.
    public static func decode(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out = [UInt8]()
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let v = Hex.decode(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self)) {
                out.append(contentsOf: v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func trimValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .joined(separator: " ")
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func amzDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }
}
