import Foundation
import Support
import Synchronization

/// Streams an object with ranged GETs of `window` bytes, one window read ahead on a helper thread
/// so the network overlaps the consumer (decompression, COPY). Memory: two windows.
///
/// A connection that breaks mid-window keeps the bytes that arrived and the next request resumes
/// from the first missing byte, pinned to the first reply's ETag with `If-Match`, so a replaced
/// object fails instead of mixing versions.
final class S3ObjectSource: ByteSource {
    /// One fetched window and what it taught about the object.
    struct Window: Sendable {
        var bytes: [UInt8]
        /// Exclusive end of the object or requested range, once known.
        var end: Int64?
        var etag: String?
    }

    let client: S3Client
    let key: String
    let displayKey: String
    private let windowSize: Int
    private var position: Int64
    private var end: Int64?
    private var etag: String?
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    private var ahead: ReadAhead?

    init(client: S3Client, key: String, displayKey: String, start: Int64, end: Int64?, window: Int) {
        self.client = client
        self.key = key
        self.displayKey = displayKey
        position = start
        self.end = end
        windowSize = window
    }

    deinit { ahead?.wait() }

    /// Fetches the first window now, so a missing object fails at `get`.
    func prefetch() throws {
        try advance()
    }

    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = target.baseAddress, target.count > 0 else { return 0 }
        if bufferOffset >= buffer.count {
            try advance()
            if bufferOffset >= buffer.count { return 0 }
        }
        let n = min(target.count, buffer.count - bufferOffset)
        buffer.withUnsafeBytes { src in
            base.copyMemory(from: src.baseAddress! + bufferOffset, byteCount: n)
        }
        bufferOffset += n
        return n
    }

    /// Makes the next window current (from the read-ahead when there is one) and starts the one after.
    private func advance() throws {
        let window: Window
        if let pending = ahead {
            ahead = nil
            window = try pending.result()
        } else if let end, position >= end {
            window = Window(bytes: [], end: end, etag: etag)
        } else {
            window = try Self.fetch(client: client, key: key, displayKey: displayKey, from: position,
                                    end: end, etag: etag, size: windowSize)
        }
        buffer = window.bytes
        bufferOffset = 0
        position += Int64(window.bytes.count)
        end = window.end ?? end
        etag = window.etag ?? etag
        if window.bytes.isEmpty {
            end = position   // nothing more: an empty window means the end
            return
        }
        if let end, position >= end { return }
        let (client, key, displayKey, from, limit, tag, size) = (self.client, self.key, self.displayKey, position, end, etag, windowSize)
        ahead = ReadAhead {
            try Self.fetch(client: client, key: key, displayKey: displayKey, from: from, end: limit, etag: tag, size: size)
        }
    }

    /// GETs `[from, min(from + size, end))`, retrying with backoff and resuming after partial replies.
    /// Returns fewer bytes only at the object's end (an empty window past it).
    static func fetch(client: S3Client, key: String, displayKey: String, from: Int64, end: Int64?,
                      etag: String?, size: Int) throws -> Window {
        var window = Window(bytes: [], end: end, etag: etag)
        let policy = client.config.settings.retry
        let collector = ResponseCollector()
        var failures = 0
        while true {
            let position = from + Int64(window.bytes.count)
            let last = min(from + Int64(size), window.end ?? Int64.max) - 1
            if position > last { return window }
            var headers = [("Range", "bytes=\(position)-\(last)")]
            if let etag = window.etag { headers.append(("If-Match", etag)) }
            let op = S3Operation(method: "GET", key: key, headers: headers, what: "download of '\(displayKey)'")
            var failure: DRDError
            do {
                try client.sendOnce(op, into: collector)
                switch collector.status {
                case 206:
                    try take(collector, into: &window, at: position, displayKey: displayKey)
                    continue   // complete unless the server sent a short range; loop checks
                case 200:
                    // The server ignored Range: take our slice of the whole object.
                    let total = Int64(collector.body.count)
                    let upper = min(last + 1, total)
                    if position < upper { window.bytes += collector.body[Int(position)..<Int(upper)] }
                    window.end = min(window.end ?? total, total)
                    if window.etag == nil { window.etag = collector.headers["etag"] }
                    return window
                case 416:
                    // Past the end (or an empty object).
                    window.end = position
                    return window
                default:
                    let reply = S3ErrorReply(status: collector.status, body: collector.body, headers: collector.headers)
                    if collector.status == 404 || reply.code == "NoSuchKey" {
                        throw DRDError(.notFound, "object '\(displayKey)' not found in \(client.displayURL)")
                    }
                    if collector.status == 412 {
                        throw DRDError(.conflict, "'\(displayKey)' on \(client.displayURL) changed while it was being read")
                    }
                    failure = reply.error(operation: "download of '\(displayKey)' on \(client.displayURL)")
                    guard S3Client.isRetryable(reply) else { throw failure }
                }
            } catch let error as TransportError {
                // Keep what arrived before the break; the next request resumes after it.
                if collector.status == 206, !collector.body.isEmpty {
                    try take(collector, into: &window, at: position, displayKey: displayKey)
                    failures = 0
                    continue
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

    /// Appends a 206 reply's bytes after checking `Content-Range` starts where we asked.
    private static func take(_ collector: ResponseCollector, into window: inout Window, at position: Int64,
                             displayKey: String) throws {
        if let range = collector.headers["content-range"], let parsed = parseContentRange(range) {
            guard parsed.start == position else {
                throw DRDError(.protocolError, "download of '\(displayKey)': asked for byte \(position), got \(range)")
            }
            if let total = parsed.total { window.end = min(window.end ?? total, total) }
        }
        if window.etag == nil { window.etag = collector.headers["etag"] }
        if collector.body.isEmpty {
            // A 206 without bytes cannot make progress; treat it as the end.
            window.end = position
        }
        if window.bytes.isEmpty {
            swap(&window.bytes, &collector.body)   // no copy for the common, unbroken reply
        } else {
            window.bytes += collector.body
        }
    }

    /// `bytes 0-99/1234` → (0, 1234); total nil for `*`.
    static func parseContentRange(_ text: String) -> (start: Int64, total: Int64?)? {
        let parts = text.replacingOccurrences(of: "bytes ", with: "").split(separator: "/")
        guard parts.count == 2, let dash = parts[0].firstIndex(of: "-"), let start = Int64(parts[0][..<dash]) else { return nil }
        return (start, Int64(parts[1]))
    }
}

/// Runs one fetch on its own thread; `result()` waits for it.
private final class ReadAhead: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<S3ObjectSource.Window, Error>?>(nil)
    private let waited = Atomic<Bool>(false)

    init(_ work: @escaping @Sendable () throws -> S3ObjectSource.Window) {
        let thread = Thread { [self] in
            let result = Result { try work() }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func wait() {
        if !waited.exchange(true, ordering: .acquiringAndReleasing) { done.wait() }
    }

    func result() throws -> S3ObjectSource.Window {
        wait()
        return try outcome.withLock { $0 ?? .failure(DRDError(.internal, "read-ahead finished without a result")) }.get()
    }
}
