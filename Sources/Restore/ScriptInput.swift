import Support

/// A refillable window over a `ByteSource` for the script lexer: byte-wise peeking with
/// lookahead, line counting, and bulk line reads for COPY data. Memory stays at one buffer
/// (grown only when a single lookahead needs more, which is bounded by a dollar-quote tag).
final class ScriptInput {
    private let source: ByteSource
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    /// Bytes consumed so far (for progress).
    private(set) var bytesRead: Int64 = 0
    /// 1-based line number of the next byte.
    private(set) var line = 1

    init(_ source: ByteSource, bufferSize: Int = 256 * 1024) {
        self.source = source
        buffer = [UInt8](repeating: 0, count: max(bufferSize, 1024))
    }

    /// Makes at least `n` unread bytes available unless the input ends first; returns how many are.
    @discardableResult
    func ensure(_ n: Int) throws -> Int {
        if end - start >= n || eof { return end - start }
        if start > 0 {
            // Compact: move the unread tail to the front.
            let count = end - start
            buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                memmove(base, base + start, count)
            }
            start = 0
            end = count
        }
        if buffer.count < n { buffer.append(contentsOf: [UInt8](repeating: 0, count: n - buffer.count)) }
        while end - start < n && !eof {
            let got = try buffer.withUnsafeMutableBytes { raw -> Int in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
            if got == 0 { eof = true } else { end += got }
        }
        return end - start
    }

    /// The byte `offset` positions ahead without consuming it, or nil at the end of input.
    @inline(__always)
    func peek(_ offset: Int = 0) throws -> UInt8? {
        if end - start > offset { return buffer[start + offset] }
        return try ensure(offset + 1) > offset ? buffer[start + offset] : nil
    }

    /// Consumes one byte (which must be available after `peek`), counting lines.
    @inline(__always)
    func advance() -> UInt8 {
        let byte = buffer[start]
        start += 1
        bytesRead += 1
        if byte == 0x0A { line += 1 }
        return byte
    }

    /// Consumes the next byte, or nil at the end of input.
    @inline(__always)
    func next() throws -> UInt8? {
        if start == end { if try ensure(1) == 0 { return nil } }
        return advance()
    }

    /// Appends unread bytes to `out` up to (not including) the first one `stop` accepts, which is
    /// left unread and returned; nil when the input ends first. The fast path for string bodies,
    /// comments and identifiers: one tight loop over the buffer instead of a call per byte.
    func take(into out: inout [UInt8], until stop: (UInt8) -> Bool) throws -> UInt8? {
        while true {
            if start == end, try ensure(1) == 0 { return nil }
            let (stopAt, newlines) = buffer.withUnsafeBufferPointer { buf -> (Int, Int) in
                var i = start
                var lines = 0
                while i < end {
                    let b = buf[i]
                    if stop(b) { break }
                    if b == 0x0A { lines += 1 }
                    i += 1
                }
                return (i, lines)
            }
            if stopAt > start {
                out.append(contentsOf: buffer[start..<stopAt])
                bytesRead += Int64(stopAt - start)
                line += newlines
                start = stopAt
            }
            if stopAt < end { return buffer[stopAt] }
        }
    }

    /// Reads the rest of the current line (without its newline, which is consumed).
    func restOfLine() throws -> [UInt8] {
        var out: [UInt8] = []
        if try take(into: &out, until: { $0 == 0x0A }) != nil { _ = advance() }
        if out.last == 0x0D { out.removeLast() }
        return out
    }

    /// Streams COPY text data to `sink` up to the `\.` terminator line, which is consumed and not
    /// sent (as psql does). Whole buffers of complete lines are handed over at once.
    /// Returns the number of data lines. Throws `.corrupt` when the input ends first.
    func copyData(startLine: Int, table: String,
                  sink: (UnsafeRawBufferPointer) throws -> Void,
                  checkpoint: (Int64) throws -> Void) throws -> Int64 {
        var rows: Int64 = 0
        while true {
            // Need at least one complete line in the buffer (or the end of input).
            if try ensure(1) == 0 { break }
            var lineEnd = indexOfNewline(from: start)
            if lineEnd == nil {
                // Grow the window until a newline shows up or input ends.
                var want = (end - start) + 64 * 1024
                while lineEnd == nil {
                    let have = try ensure(want)
                    lineEnd = indexOfNewline(from: start)
                    if lineEnd == nil && have < want { break }  // input ended mid-line
                    want += 64 * 1024
                }
                if lineEnd == nil {
                    // A terminator on the last line without a newline still ends the data.
                    if isTerminator(at: start, length: end - start) {
                        _ = try restOfLine()
                        return rows
                    }
                    break
                }
            }
            // Send every complete line in the window up to (not including) a terminator line.
            var cursor = start
            var terminated = false
            var batchRows: Int64 = 0
            var newlines = 0
            while cursor < end, let nl = indexOfNewline(from: cursor) {
                let length = nl - cursor
                if isTerminator(at: cursor, length: length) {
                    terminated = true
                    break
                }
                batchRows += 1
                newlines += 1
                cursor = nl + 1
            }
            if cursor > start {
                let count = cursor - start
                try buffer.withUnsafeBytes { raw in
                    try sink(UnsafeRawBufferPointer(rebasing: raw[start..<cursor]))
                }
                start = cursor
                bytesRead += Int64(count)
                line += newlines
                rows += batchRows
                try checkpoint(rows)
            }
            if terminated {
                _ = try restOfLine()
                return rows
            }
        }
        throw DRDError(.corrupt, "COPY data for \(table) starting at line \(startLine) ends without its \\. terminator line",
                       hint: "the script is truncated; restore from a complete copy")
    }

    private func indexOfNewline(from index: Int) -> Int? {
        buffer.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress, index < end else { return nil }
            guard let hit = memchr(base + index, 0x0A, end - index) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
    }

    /// `\.` alone on a line (optionally with `\r`).
    private func isTerminator(at index: Int, length: Int) -> Bool {
        guard length == 2 || length == 3 else { return false }
        guard buffer[index] == 0x5C, buffer[index + 1] == 0x2E else { return false }
        return length == 2 || buffer[index + 2] == 0x0D
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
