import Foundation
import Support

/// Server-side encryption for S3 objects.
public enum ServerSideEncryption: Sendable, Equatable {
    case aes256
    /// `aws:kms`, with an optional key id (the bucket's default key when nil).
    case kms(keyID: String?)

    /// Parses `[store] sse` (`AES256`, `aws:kms`; `none`/empty → nil).
    public static func parse(_ text: String, kmsKeyID: String? = nil) throws -> ServerSideEncryption? {
        switch text.lowercased() {
        case "", "none", "off": return nil
        case "aes256": return .aes256
        case "aws:kms", "kms": return .kms(keyID: kmsKeyID.flatMap { $0.isEmpty ? nil : $0 })
        default:
            throw DRDError(.config, "invalid sse '\(text)' in [store]", hint: "use AES256 or aws:kms (with sse_kms_key_id)")
        }
    }
}

/// Retry behaviour for S3 requests: exponential backoff with full jitter.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in total (1 = no retry).
    public var maxAttempts: Int
    /// First backoff ceiling in seconds; doubles per attempt up to `maxDelay`.
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.25, maxDelay: Double = 20) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Delay before retry number `attempt` (1-based): random in [0, min(maxDelay, base·2^(attempt-1))].
    public func delay(beforeRetry attempt: Int) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        return Double.random(in: 0...max(0, ceiling))
    }
}

/// Network timeouts. A stalled reply fails once less than `lowSpeedLimit` bytes/s move for `lowSpeedTime`.
public struct Timeouts: Sendable, Equatable {
    public var connect: Int
    public var lowSpeedLimit: Int
    public var lowSpeedTime: Int
    public init(connect: Int = 10, lowSpeedLimit: Int = 1024, lowSpeedTime: Int = 30) {
        self.connect = connect
        self.lowSpeedLimit = lowSpeedLimit
        self.lowSpeedTime = lowSpeedTime
    }
}

/// Store settings from `drd.conf`'s `[store]` (all optional; the environment fills the gaps).
///
/// Keys: url, region, endpoint, path_style, sse, sse_kms_key_id, storage_class, profile,
/// access_key_id, secret_access_key, session_token, part_size, upload_concurrency, equal_parts.
public struct StoreSettings: Sendable, Equatable {
    public var region: String?
    /// `https://host[:port]` (or `http://` for local test servers).
    public var endpoint: String?
    public var pathStyle: Bool?
    public var sse: ServerSideEncryption?
    public var storageClass: String?
    public var profile: String?
    /// Explicit credentials (prefer `$CREDENTIALS_DIRECTORY` or the credentials file to a config file).
    public var credentials: AWSCredentials?
    /// First multipart part size in bytes (min 5 MiB).
    public var partSize: Int
    /// Parts uploaded at once; memory use is about (concurrency + 1) × part size.
    public var uploadConcurrency: Int
    /// Never grow the part size within an upload (Cloudflare R2 and some others demand equal parts).
    public var equalParts: Bool
    /// Objects up to this size go up in one PUT.
    public var singlePutLimit: Int
    public var retry: RetryPolicy
    public var timeouts: Timeouts
    /// Bytes per ranged GET when streaming an object down.
    public var readWindow: Int

    public init(region: String? = nil, endpoint: String? = nil, pathStyle: Bool? = nil,
                sse: ServerSideEncryption? = nil, storageClass: String? = nil, profile: String? = nil,
                credentials: AWSCredentials? = nil, partSize: Int = 8 << 20, uploadConcurrency: Int = 4,
                equalParts: Bool = false, singlePutLimit: Int? = nil, retry: RetryPolicy = RetryPolicy(),
                timeouts: Timeouts = Timeouts(), readWindow: Int = 8 << 20) {
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle
        self.sse = sse
        self.storageClass = storageClass
        self.profile = profile
        self.credentials = credentials
        self.partSize = partSize
        self.uploadConcurrency = max(1, uploadConcurrency)
        self.equalParts = equalParts
        self.singlePutLimit = singlePutLimit ?? partSize
        self.retry = retry
        self.timeouts = timeouts
        self.readWindow = max(64 << 10, readWindow)
    }

    /// Builds settings from `[store]` key/values (as read from drd.conf). Unknown keys are errors
    /// so typos do not pass silently; `url` is ignored here (the caller opens it).
    public static func fromConfig(_ values: [String: String]) throws -> StoreSettings {
        var s = StoreSettings()
        func bool(_ key: String, _ v: String) throws -> Bool {
            switch v.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw DRDError(.config, "invalid \(key) '\(v)' in [store]", hint: "use true or false")
            }
        }
        func int(_ key: String, _ v: String) throws -> Int {
            var text = v.lowercased(), scale = 1
            for (suffix, mult) in [("mib", 1 << 20), ("m", 1 << 20), ("kib", 1 << 10), ("k", 1 << 10)] where text.hasSuffix(suffix) {
                text.removeLast(suffix.count); scale = mult; break
            }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw DRDError(.config, "invalid \(key) '\(v)' in [store]", hint: "use a positive number such as 16MiB")
            }
            return n * scale
        }
        var access: String?, secret: String?, token: String?
        for (key, value) in values {
            switch key {
            case "url": break
            case "region": s.region = value
            case "endpoint": s.endpoint = value
            case "path_style": s.pathStyle = try bool(key, value)
            case "sse": s.sse = try ServerSideEncryption.parse(value, kmsKeyID: values["sse_kms_key_id"])
            case "sse_kms_key_id":
                if values["sse"] == nil { throw DRDError(.config, "sse_kms_key_id needs sse = aws:kms in [store]") }
            case "storage_class": s.storageClass = value.isEmpty ? nil : value
            case "profile": s.profile = value
            case "access_key_id": access = value
            case "secret_access_key": secret = value
            case "session_token": token = value
            case "part_size": s.partSize = try int(key, value)
            case "upload_concurrency": s.uploadConcurrency = try int(key, value)
            case "equal_parts": s.equalParts = try bool(key, value)
            default:
                throw DRDError(.config, "unknown key '\(key)' in [store]",
                               hint: "known keys: url, region, endpoint, path_style, sse, sse_kms_key_id, storage_class, profile, part_size, upload_concurrency, equal_parts")
            }
        }
        if s.partSize < 5 << 20 {
            throw DRDError(.config, "part_size \(s.partSize) in [store] is below S3's 5 MiB minimum")
        }
        s.singlePutLimit = s.partSize
        if access != nil || secret != nil {
            guard let access, let secret, !access.isEmpty, !secret.isEmpty else {
                throw DRDError(.config, "[store] sets only one of access_key_id and secret_access_key")
            }
            s.credentials = AWSCredentials(accessKeyID: access, secretAccessKey: secret, sessionToken: token, source: "drd.conf [store]")
        }
        return s
    }
}
