import Foundation
import Storage
import Support
import TestHelpers

/// Stores for the tests: a temp-dir FileStore and an S3Store on a fresh moto bucket.
enum TestStores {
    static let motoCredentials = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                                  "AWS_REGION": "us-east-1"]

    /// Drivers to run the shared behavioural suite against.
    static var drivers: [String] { TestEnv.hasS3 ? ["file", "s3"] : ["file"] }

    /// Small parts and fast retries so multipart paths run on small data.
    static var smallParts: StoreSettings {
        StoreSettings(partSize: 5 << 20, uploadConcurrency: 3, retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 0.05),
                      timeouts: Timeouts(connect: 5, lowSpeedLimit: 1, lowSpeedTime: 5), readWindow: 1 << 20)
    }

    /// A store plus its cleanup.
    static func make(_ driver: String, settings: StoreSettings = smallParts, endpoint: String? = nil,
                     environment: [String: String] = motoCredentials) throws -> (store: any ObjectStore, cleanup: () -> Void) {
        switch driver {
        case "file":
            let dir = try TestEnv.tempDirectory("filestore")
            let store = try Store.open(url: "file://" + dir.path, settings: settings, environment: [:])
            return (store, { try? FileManager.default.removeItem(at: dir) })
        default:
            let bucket = TestEnv.uniqueName("drd").replacingOccurrences(of: "_", with: "-")
            var env = environment
            env["AWS_ENDPOINT_URL"] = endpoint ?? TestEnv.s3Endpoint ?? "http://127.0.0.1:54330"
            let store = try Store.open(url: "s3://\(bucket)/some/prefix", settings: settings, environment: env)
            guard let s3 = store as? S3Store else { throw DRDError(.internal, "not an S3Store") }
            try s3.createBucket()
            return (store, { emptyAndDrop(s3) })
        }
    }

    static func emptyAndDrop(_ s3: S3Store) {
        if let uploads = try? s3.pendingUploads(prefix: "") { for u in uploads { try? s3.abortUpload(u) } }
        // Listing the whole bucket (outside the prefix too) through a root store.
        if let root = try? S3Store(config: S3Config(bucket: s3.config.bucket, prefix: "", region: s3.config.region,
                                                    endpoint: "\(s3.config.scheme)://\(s3.config.host):\(s3.config.port ?? 80)",
                                                    pathStyle: true, credentials: s3.config.credentials, settings: s3.config.settings)) {
            if let all = try? root.list(prefix: "") { _ = try? root.delete(keys: all.map(\.key)) }
            try? root.deleteBucket()
        }
    }

    /// Deterministic pseudo-random bytes (xorshift), fast enough for tens of MiB.
    static func bytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var x = seed | 1
        out.withUnsafeMutableBytes { buf in
            var i = 0
            while i + 8 <= count {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17
                buf.storeBytes(of: x, toByteOffset: i, as: UInt64.self)
                i += 8
            }
            while i < count { x ^= x << 13; x ^= x >> 7; x ^= x << 17; buf[i] = UInt8(truncatingIfNeeded: x); i += 1 }
        }
        return out
    }

    /// Writes `data` to an upload in uneven chunks.
    static func upload(_ store: any ObjectStore, key: String, data: [UInt8], chunk: Int = 300_007) throws -> ObjectInfo {
        let upload = try store.beginUpload(key: key)
        var offset = 0
        while offset < data.count {
            let n = min(chunk, data.count - offset)
            try data[offset..<(offset + n)].withUnsafeBytes { try upload.write($0) }
            offset += n
        }
        return try upload.commit()
    }

    /// Reads a source to the end in odd-sized reads.
    static func readAll(_ source: ByteSource) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 77_777)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}
