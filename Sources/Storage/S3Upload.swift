import Foundation
import Support
import Synchronization

/// Multipart part sizes.
///
/// The rule: the first part size is `part_size` (default 8 MiB), raised when a size hint says the
/// object needs more than 9,000 parts. Every part has that size until part 5,000; only a stream
/// longer than 5,000 parts then doubles the size every 500 parts (capped at 5 GiB), so any
/// stream up to S3's 5 TiB object limit fits in 10,000 parts. With `equal_parts = true` (stores
/// such as Cloudflare R2 that demand equal parts) the size never changes and a stream that would
/// need part 10,001 fails with a hint to raise `part_size` or pass a size hint.
struct PartSizer: Sendable {
    static let minPart = 5 << 20
    static let maxPart = 5 << 30
    static let maxParts = 10_000
    static let growAfter = 5_000
    static let growEvery = 500

    var base: Int
    var equalParts: Bool
    /// The highest part number allowed: S3's 10,000 (lowered only by tests of the boundary).
    var partLimit = Self.maxParts

    init(base: Int, equalParts: Bool) {
        self.base = min(max(base, Self.minPart), Self.maxPart)
        self.equalParts = equalParts
    }

    init(settings: StoreSettings, sizeHint: Int64?) {
        var base = max(settings.partSize, Self.minPart)
        if let hint = sizeHint, hint > 0 {
            // 10% headroom under the part limit, rounded up to whole MiB.
            let needed = Int((hint + 8_999) / 9_000)
            let mib = 1 << 20
            base = max(base, (needed + mib - 1) / mib * mib)
        }
        self.init(base: base, equalParts: settings.equalParts)
    }

    /// `10000` as `10,000`, for messages.
    static func grouped(_ n: Int) -> String {
        var digits = String(n), out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return digits + out
    }

    /// Size of part `number` (1-based), or nil past the 10,000-part limit.
    func size(ofPart number: Int) -> Int? {
        guard number >= 1, number <= partLimit else { return nil }
        if equalParts || number <= Self.growAfter { return base }
        let doublings = (number - Self.growAfter - 1) / Self.growEvery + 1
        return min(base << min(doublings, 20), Self.maxPart)
    }
}

/// Results of parts uploaded on worker threads.
private final class PartResults: Sendable {
    let state = Mutex<(etags: [Int: String], error: DRDError?)>(([:], nil))
    let cancel = CancellationToken()
}

/// A streamed S3 upload: one PUT when it ends up smaller than a part, else a multipart upload
/// with up to `upload_concurrency` parts in flight (memory ≈ (concurrency + 1) × part size).
/// Any failure aborts the multipart upload so nothing is left behind.
final class S3Upload: ObjectUpload {
    let client: S3Client
    let key: String
    let displayKey: String
    let sizer: PartSizer
    private var buffer: [UInt8] = []
    private var partSize: Int
    private var partNumber = 0
    private var uploadID: String?
    private let results = PartResults()
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private(set) var bytesWritten: Int64 = 0
    private var finished = false
    /// Why the upload stopped, repeated to callers that keep writing after a failure.
    private var failure: Error?

    init(client: S3Client, key: String, displayKey: String, sizer: PartSizer) throws {
        self.client = client
        self.key = key
        self.displayKey = displayKey
        self.sizer = sizer
        partSize = sizer.base
        slots = DispatchSemaphore(value: client.config.settings.uploadConcurrency)
    }

    deinit { if !finished { abort() } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else {
            throw failure ?? DRDError(.storage, "upload of '\(displayKey)' to \(client.displayURL) already finished")
        }
        var offset = 0
        while offset < bytes.count {
            // Send a full part only when more bytes follow, so a stream of exactly one part is one PUT.
            if buffer.count == partSize {
                do { try submitPart(last: false) } catch { failure = error; abort(); throw error }
            }
            let n = min(partSize - buffer.count, bytes.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
            bytesWritten += Int64(n)
        }
    }

    @discardableResult func commit() throws -> ObjectInfo {
        guard !finished else {
            throw failure ?? DRDError(.storage, "upload of '\(displayKey)' to \(client.displayURL) already finished")
        }
        do {
            if uploadID == nil {
                let headers = [("Content-Type", "application/octet-stream"),
                               ("Content-MD5", Data(Digest.md5(buffer)).base64EncodedString())] + client.objectHeaders
                _ = try client.send(S3Operation(method: "PUT", key: key, headers: headers, body: buffer,
                                                what: "put of '\(displayKey)'"))
                buffer = []
            } else {
                if !buffer.isEmpty { try submitPart(last: true) }
                group.wait()
                try results.state.withLock { if let error = $0.error { throw error } }
                try complete()
            }
        } catch {
            failure = error
            abort()
            throw error
        }
        finished = true
        // Verify what the store holds; a mismatch must not survive as a valid-looking object.
        let store = try S3Store(config: client.config)
        let relative = store.relativeKey(key)
        guard let info = try store.head(key: relative) else {
            throw DRDError(.storage, "'\(displayKey)' is missing from \(client.displayURL) right after its upload")
        }
        guard info.size == bytesWritten else {
            _ = try? store.delete(keys: [relative])
            throw DRDError(.corrupt, "'\(displayKey)' on \(client.displayURL) holds \(info.size) bytes, \(bytesWritten) were sent; deleted it")
        }
        return ObjectInfo(key: displayKey, size: info.size, lastModified: info.lastModified, etag: info.etag)
    }

    /// Stops workers, waits for them, and aborts the multipart upload (best effort, retried).
    func abort() {
        guard !finished else { return }
        finished = true
        results.cancel.cancel("upload aborted")
        group.wait()
        buffer = []
        guard let uploadID else { return }
        do {
            _ = try client.send(S3Operation(method: "DELETE", key: key, query: [("uploadId", uploadID)],
                                            what: "abort of upload of '\(displayKey)'"),
                                accept: { (200..<300).contains($0) || $0 == 404 })
        } catch {
            client.logger.error("could not abort multipart upload; it will be removed by the stale-upload cleanup",
                                [("key", displayKey), ("upload_id", uploadID), ("error", "\(error)")])
        }
    }

    private func createUpload() throws -> String {
        let response = try client.send(S3Operation(method: "POST", key: key, query: [("uploads", "")],
                                                   headers: [("Content-Type", "application/octet-stream")] + client.objectHeaders,
                                                   what: "start of multipart upload of '\(displayKey)'"))
        guard let id = XMLElement.parse(response.body)?.text("UploadId"), !id.isEmpty else {
            throw DRDError(.protocolError, "start of multipart upload of '\(displayKey)' on \(client.displayURL): reply without UploadId")
        }
        return id
    }

    /// Hands the buffer to a worker thread once a slot is free. `last` is the final part of the
    /// stream: it may be part 10,000 itself; any other part needs a next part number to exist.
    private func submitPart(last: Bool) throws {
        if uploadID == nil { uploadID = try createUpload() }
        guard let uploadID else { return }
        slots.wait()
        if let error = results.state.withLock({ $0.error }) {
            slots.signal()
            throw error
        }
        let number = partNumber + 1
        let next = last ? sizer.size(ofPart: number) : sizer.size(ofPart: number + 1)
        guard let next else {
            slots.signal()
            throw DRDError(.storage, "upload of '\(displayKey)' needs more than \(PartSizer.grouped(sizer.partLimit)) parts of \(partSize >> 20) MiB",
                           hint: "raise [store] part_size, pass a size hint, or set equal_parts = false")
        }
        partNumber = number
        let data = buffer
        partSize = next
        buffer = []
        buffer.reserveCapacity(partSize)
        let client = self.client, key = self.key, what = "upload of part \(number) of '\(displayKey)'"
        let results = self.results, slots = self.slots, group = self.group
        group.enter()
        let thread = Thread {
            defer { slots.signal(); group.leave() }
            do {
                let op = S3Operation(method: "PUT", key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)],
                                     headers: [("Content-Type", "application/octet-stream"),
                                               ("Content-MD5", Data(Digest.md5(data)).base64EncodedString())],
                                     body: data, what: what)
                let response = try client.send(op, cancel: results.cancel)
                guard let etag = response.header("etag") else {
                    throw DRDError(.protocolError, "\(what) on \(client.displayURL): reply without ETag")
                }
                results.state.withLock { $0.etags[number] = etag }
            } catch {
                let failure = error as? DRDError ?? DRDError(.storage, "\(what): \(error)")
                results.state.withLock { if $0.error == nil { $0.error = failure } }
                results.cancel.cancel(failure.message)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// CompleteMultipartUpload; S3 may answer 200 with an error in the body, which is retried too.
    private func complete() throws {
        guard let uploadID else { return }
        let etags = results.state.withLock { $0.etags }
        guard etags.count == partNumber else {
            throw DRDError(.internal, "upload of '\(displayKey)': \(etags.count) of \(partNumber) parts confirmed")
        }
        var body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for number in 1...partNumber {
            body += "<Part><PartNumber>\(number)</PartNumber><ETag>\(XMLElement.escape(etags[number] ?? ""))</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        let op = S3Operation(method: "POST", key: key, query: [("uploadId", uploadID)],
                             headers: [("Content-Type", "application/xml")], body: Array(body.utf8),
                             what: "completion of multipart upload of '\(displayKey)'")
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPResponse
            do {
                response = try client.send(op)
            } catch let error as DRDError where error.code == .notFound {
                // A retried completion finds no upload when the first one worked but its reply was
                // lost: the object being there with the full size settles it.
                if let info = try S3Store(config: client.config).head(key: S3Store.relative(key, prefix: client.config.prefix)),
                   info.size == bytesWritten {
                    return
                }
                throw error
            }
            guard let xml = XMLElement.parse(response.body), xml.name == "Error" else { return }
            let reply = S3ErrorReply(status: 200, body: response.body, headers: response.headers)
            if attempt < client.config.settings.retry.maxAttempts,
               ["InternalError", "SlowDown", "ServiceUnavailable"].contains(reply.code) {
                Thread.sleep(forTimeInterval: client.config.settings.retry.delay(beforeRetry: attempt))
                continue
            }
            throw reply.error(operation: "completion of multipart upload of '\(displayKey)' on \(client.displayURL)")
        }
    }
}
