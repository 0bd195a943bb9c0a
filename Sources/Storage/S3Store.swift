import Foundation
import Support

/// An S3 (or S3-compatible) store: `s3://bucket/prefix`, requests signed with SigV4 over libcurl.
///
/// Keys are relative to the prefix. Calls block; uploads use a few worker threads of their own.
public final class S3Store: ObjectStore {
    let client: S3Client
    public var config: S3Config { client.config }

    public init(config: S3Config) throws {
        client = S3Client(config: config)
    }

    public var displayURL: String { client.displayURL }

    func fullKey(_ key: String) throws -> String {
        guard !key.isEmpty, !key.hasPrefix("/") else {
            throw DRDError(.storage, "invalid key '\(key)' for store \(displayURL)", hint: "keys are relative paths")
        }
        return config.prefix + key
    }

    func relativeKey(_ full: String) -> String { Self.relative(full, prefix: config.prefix) }

    static func relative(_ full: String, prefix: String) -> String {
        full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
    }

    public func beginUpload(key: String) throws -> ObjectUpload {
        try beginUpload(key: key, sizeHint: nil)
    }

    public func beginUpload(key: String, sizeHint: Int64?) throws -> ObjectUpload {
        try S3Upload(client: client, key: fullKey(key), displayKey: key,
                     sizer: PartSizer(settings: config.settings, sizeHint: sizeHint))
    }

    public func putSmall(key: String, data: [UInt8], ifAbsent: Bool) throws {
        let full = try fullKey(key)
        if ifAbsent, try head(key: key) != nil {
            throw DRDError(.conflict, "object '\(key)' already exists in \(displayURL)")
        }
        var headers = [("Content-Type", "application/octet-stream"),
                       ("Content-MD5", Data(Digest.md5(data)).base64EncodedString())] + client.objectHeaders
        // S3 conditional write: 412 if someone created the key since the HEAD above.
        if ifAbsent { headers.append(("If-None-Match", "*")) }
        do {
            _ = try client.send(S3Operation(method: "PUT", key: full, headers: headers, body: data, what: "put of '\(key)'"))
        } catch let error as DRDError where error.code == .conflict {
            // A retry after a lost 200 reply meets our own first write: same bytes means it worked.
            if ifAbsent, holds(key: key, exactly: data) { return }
            throw DRDError(.conflict, "object '\(key)' already exists in \(displayURL)")
        }
    }

    /// True when `key` exists with exactly `data` (read back only when the size matches).
    /// Any failure to read counts as "no": the caller then reports the conflict.
    func holds(key: String, exactly data: [UInt8]) -> Bool {
        guard let info = try? head(key: key), info.size == Int64(data.count) else { return false }
        if data.isEmpty { return true }
        guard let bytes = try? get(key: key, range: nil).readAll(limit: data.count + 1) else { return false }
        return bytes == data
    }

    public func get(key: String, range: Range<Int64>?) throws -> ByteSource {
        let source = S3ObjectSource(client: client, key: try fullKey(key), displayKey: key,
                                    start: max(0, range?.lowerBound ?? 0), end: range?.upperBound,
                                    window: config.settings.readWindow)
        try source.prefetch()   // a missing key fails here, not at the first read
        return source
    }

    public func head(key: String) throws -> ObjectInfo? {
        let response = try client.send(S3Operation(method: "HEAD", key: try fullKey(key), what: "head of '\(key)'"),
                                       accept: { (200..<300).contains($0) || $0 == 404 })
        if response.status == 404 { return nil }
        guard let size = response.header("content-length").flatMap({ Int64($0) }) else {
            throw DRDError(.protocolError, "head of '\(key)' on \(displayURL): reply without content-length")
        }
        return ObjectInfo(key: key, size: size,
                          lastModified: S3Dates.parseHTTP(response.header("last-modified")) ?? Date(timeIntervalSince1970: 0),
                          etag: response.header("etag"))
    }

    public func list(prefix: String) throws -> [ObjectInfo] {
        var out: [ObjectInfo] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", config.prefix + prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try client.send(S3Operation(method: "GET", key: nil, query: query,
                                                       what: "listing of '\(prefix)'"))
            guard let xml = XMLElement.parse(response.body), xml.name == "ListBucketResult" else {
                throw DRDError(.protocolError, "listing of '\(prefix)' on \(displayURL): unreadable ListObjectsV2 reply")
            }
            for item in xml.all("Contents") {
                guard let key = item.text("Key") else { continue }
                out.append(ObjectInfo(key: relativeKey(key), size: Int64(item.text("Size") ?? "") ?? 0,
                                      lastModified: S3Dates.parseISO(item.text("LastModified")) ?? Date(timeIntervalSince1970: 0),
                                      etag: item.text("ETag")))
            }
            token = xml.text("IsTruncated") == "true" ? xml.text("NextContinuationToken") : nil
            if xml.text("IsTruncated") == "true" && token == nil {
                throw DRDError(.protocolError, "listing of '\(prefix)' on \(displayURL): truncated reply without continuation token")
            }
        } while token != nil
        return out.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    public func delete(keys: [String]) throws -> [String: DRDError] {
        var failed: [String: DRDError] = [:]
        var start = 0
        while start < keys.count {
            let batch = Array(keys[start..<min(keys.count, start + 1000)])
            start += batch.count
            var body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            for key in batch { body += "<Object><Key>\(XMLElement.escape(try fullKey(key)))</Key></Object>" }
            body += "</Delete>"
            let bytes = Array(body.utf8)
            let response = try client.send(S3Operation(
                method: "POST", key: nil, query: [("delete", "")],
                headers: [("Content-Type", "application/xml"), ("Content-MD5", Data(Digest.md5(bytes)).base64EncodedString())],
                body: bytes, what: "delete of \(batch.count) objects"))
            guard let xml = XMLElement.parse(response.body) else {
                if response.body.isEmpty { continue }
                throw DRDError(.protocolError, "delete on \(displayURL): unreadable DeleteObjects reply")
            }
            for error in xml.all("Error") {
                let key = relativeKey(error.text("Key") ?? "")
                let code = error.text("Code") ?? "Error"
                if code == "NoSuchKey" { continue }
                failed[key] = DRDError(.storage, "delete of '\(key)' on \(displayURL) failed: \(code) (\(error.text("Message") ?? ""))",
                                       hint: code == "AccessDenied" ? "grant s3:DeleteObject (see docs/storage.md)" : nil)
            }
        }
        return failed
    }

    public func pendingUploads(prefix: String) throws -> [PendingUpload] {
        var out: [PendingUpload] = []
        var keyMarker: String?, idMarker: String?
        while true {
            var query = [("uploads", ""), ("prefix", config.prefix + prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let idMarker { query.append(("upload-id-marker", idMarker)) }
            let response = try client.send(S3Operation(method: "GET", key: nil, query: query,
                                                       what: "listing of multipart uploads under '\(prefix)'"))
            guard let xml = XMLElement.parse(response.body) else {
                throw DRDError(.protocolError, "listing multipart uploads on \(displayURL): unreadable reply")
            }
            for upload in xml.all("Upload") {
                guard let key = upload.text("Key"), let id = upload.text("UploadId") else { continue }
                out.append(PendingUpload(key: relativeKey(key), uploadID: id,
                                         initiated: S3Dates.parseISO(upload.text("Initiated")) ?? Date(timeIntervalSince1970: 0)))
            }
            guard xml.text("IsTruncated") == "true" else { break }
            keyMarker = xml.text("NextKeyMarker")
            idMarker = xml.text("NextUploadIdMarker")
            if keyMarker == nil && idMarker == nil { break }
        }
        return out
    }

    public func abortUpload(_ upload: PendingUpload) throws {
        _ = try client.send(S3Operation(method: "DELETE", key: try fullKey(upload.key), query: [("uploadId", upload.uploadID)],
                                        what: "abort of upload of '\(upload.key)'"),
                            accept: { (200..<300).contains($0) || $0 == 404 })
    }
}

extension S3Store {
    /// Creates the bucket (setup scripts and tests); an existing bucket we own is fine.
    public func createBucket() throws {
        var body: [UInt8] = []
        if config.region != "us-east-1" {
            body = Array(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(config.region)</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        do {
            _ = try client.send(S3Operation(method: "PUT", key: nil, headers: [("Content-Type", "application/xml")],
                                            body: body, what: "creation of bucket '\(config.bucket)'"))
        } catch let error as DRDError where error.message.contains("BucketAlreadyOwnedByYou") {
            return
        }
    }

    /// Deletes the (empty) bucket.
    public func deleteBucket() throws {
        _ = try client.send(S3Operation(method: "DELETE", key: nil, what: "deletion of bucket '\(config.bucket)'"))
    }
}
