import Foundation
import Support

/// Streams an object with ranged GETs of `window` bytes.
///
/// Each window is one GET; a connection that breaks mid-window keeps the bytes that arrived and
/// the next request resumes from the first missing byte (pinned to the first reply's ETag with
/// `If-Match`, so a replaced object fails instead of mixing versions). Memory use is one window.
final class S3ObjectSource: ByteSource {
    let client: S3Client
    let key: String
    let displayKey: String
    private var position: Int64
    /// Exclusive end; learned from `Content-Range` when the caller gave none.
    private var end: Int64?
    private let window: Int
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    private var etag: String?
    private var atEnd = false

    init(client: S3Client, key: String, displayKey: String, start: Int64, end: Int64?, window: Int) {
        self.client = client
        self.key = key
        self.displayKey = displayKey
        position = start
        self.end = end
        self.window = window
    }

    /// Fetches the first window (so a missing object fails at `get`).
    func prefetch() throws {
        if buffer.isEmpty { try fill() }
    }

    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = target.baseAddress, target.count > 0 else { return 0 }
        if bufferOffset >= buffer.count {
            try fill()
            if bufferOffset >= buffer.count { return 0 }
        }
        let n = min(target.count, buffer.count - bufferOffset)
        buffer.withUnsafeBytes { src in
            base.copyMemory(from: src.baseAddress! + bufferOffset, byteCount: n)
        }
        bufferOffset += n
        return n
    }

    /// Loads the next window into `buffer`, retrying and resuming on transport failures.
    private func fill() throws {
        buffer.removeAll(keepingCapacity: true)
        bufferOffset = 0
        if atEnd { return }
        if let end, position >= end { atEnd = true; return }
        let policy = client.config.settings.retry
        let collector = ResponseCollector()
        var failures = 0
        while true {
            let last = min(position + Int64(window), end ?? Int64.max) - 1
            var headers = [("Range", "bytes=\(position)-\(last)")]
            if let etag { headers.append(("If-Match", etag)) }
            let op = S3Operation(method: "GET", key: key, headers: headers, what: "download of '\(displayKey)'")
            var failure: DRDError
            do {
                try client.sendOnce(op, into: collector)
                switch collector.status {
                case 206:
                    try accept(collector, partial: false)
                    return
                case 200:
                    // The server ignored Range: take our slice of the whole object.
                    let total = Int64(collector.body.count)
                    let upper = min(last + 1, total)
                    if position < upper { buffer = Array(collector.body[Int(position)..<Int(upper)]) }
                    end = min(end ?? total, total)
                    position += Int64(buffer.count)
                    if buffer.isEmpty { atEnd = true }
                    if etag == nil { etag = collector.headers["etag"] }
                    return
                case 416:
                    // Past the end (or an empty object): nothing more to read.
                    atEnd = true
                    return
                default:
                    let reply = S3ErrorReply(status: collector.status, body: collector.body, headers: collector.headers)
                    failure = reply.error(operation: "download of '\(displayKey)' on \(client.displayURL)")
                    if collector.status == 404 || reply.code == "NoSuchKey" {
                        throw DRDError(.notFound, "object '\(displayKey)' not found in \(client.displayURL)")
                    }
                    if collector.status == 412 {
                        throw DRDError(.conflict, "'\(displayKey)' on \(client.displayURL) changed while it was being read")
                    }
                    guard S3Client.isRetryable(reply) else { throw failure }
                }
            } catch let error as TransportError {
                // Keep what arrived before the break and resume after it.
                if collector.status == 206, !collector.body.isEmpty {
                    try accept(collector, partial: true)
                    return
                }
                failure = client.transportFailure(error, what: "download of '\(displayKey)'", attempts: failures + 1)
                guard S3Client.isRetryable(error) else { throw failure }
            }
            failures += 1
            guard failures < policy.maxAttempts else { throw failure.context("after \(failures) attempts") }
            client.logger.warning("retrying download", [("key", displayKey), ("offset", "\(position)"), ("error", failure.message)])
            Thread.sleep(forTimeInterval: policy.delay(beforeRetry: failures))
        }
    }

    /// Takes a 206 reply's bytes; checks `Content-Range` starts where we asked.
    private func accept(_ collector: ResponseCollector, partial: Bool) throws {
        if let range = collector.headers["content-range"], let parsed = Self.parseContentRange(range) {
            guard parsed.start == position else {
                throw DRDError(.protocolError, "download of '\(displayKey)': asked for byte \(position), got \(range)")
            }
            if let total = parsed.total { end = min(end ?? total, total) }
        }
        if etag == nil { etag = collector.headers["etag"] }
        buffer = collector.body
        position += Int64(buffer.count)
        if !partial, let end, position >= end { atEnd = true }
    }

    /// `bytes 0-99/1234` → (0, 1234); total nil for `*`.
    static func parseContentRange(_ text: String) -> (start: Int64, total: Int64?)? {
        let parts = text.replacingOccurrences(of: "bytes ", with: "").split(separator: "/")
        guard parts.count == 2, let dash = parts[0].firstIndex(of: "-"), let start = Int64(parts[0][..<dash]) else { return nil }
        return (start, Int64(parts[1]))
    }
}
