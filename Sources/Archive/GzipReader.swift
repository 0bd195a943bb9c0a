import Foundation
import CShims
import CZlib
import Support

/// Decompresses a stream of one or more concatenated gzip members, streaming with bounded memory
/// (one 256 KiB input buffer; output goes straight into the caller's buffer).
///
/// With `allowPlain`, a stream that does not start with the gzip magic bytes is passed through
/// unchanged (plain `.sql` files). Errors are `DRDError(.corrupt)`:
/// `'<name>' is not a valid gzip file: <zlib msg> at compressed byte N` for damaged data (N is where
/// zlib detected the damage, e.g. 2 for a bad magic number) and
/// `'<name>' is truncated: gzip member ends early at compressed byte N` when the stream stops mid-member.
public final class GzipReader: ByteSource {
    static let bufferSize = 256 * 1024

    private enum Mode { case detecting, gzip, plain, done }

    private let source: ByteSource
    private let name: String
    private let allowPlain: Bool
    private let stream: UnsafeMutablePointer<z_stream>
    private var input: [UInt8]
    private var inputStart = 0          // next unconsumed byte in `input`
    private var inputEnd = 0            // end of valid bytes in `input`
    private var sourceEnded = false
    private var mode = Mode.detecting
    private var inMember = false        // inside a gzip member (header seen, end not yet reached)
    private var streamInitialized = false

    /// Compressed bytes consumed by the decompressor so far (for error positions).
    public private(set) var compressedOffset: Int64 = 0
    /// Complete gzip members decompressed so far.
    public private(set) var membersRead = 0

    public init(_ source: ByteSource, name: String, allowPlain: Bool = false) {
        self.source = source
        self.name = name
        self.allowPlain = allowPlain
        input = [UInt8](repeating: 0, count: Self.bufferSize)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if streamInitialized { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// True once a non-gzip stream was detected and passed through (`allowPlain`).
    public private(set) var isPlain = false

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            switch mode {
            case .done:
                return 0
            case .detecting:
                try detect()
            case .plain:
                return try readPlain(into: buffer)
            case .gzip:
                let n = try inflateSome(into: buffer)
                if n > 0 || mode == .done { return n }
            }
        }
    }

    /// Looks at the first two bytes to choose gzip or plain.
    private func detect() throws {
        while inputEnd - inputStart < 2 && !sourceEnded { try refill() }
        let available = inputEnd - inputStart
        let isGzip = available >= 2 && input[inputStart] == 0x1f && input[inputStart + 1] == 0x8b
        if isGzip || !allowPlain {
            if available == 0 {
                throw DRDError(.corrupt, "'\(name)' is not a valid gzip file: it is empty")
            }
            let rc = drd_inflate_init_gzip(stream)
            guard rc == Z_OK else { throw DRDError(.internal, "unable to initialize gzip decompression: zlib error \(rc)") }
            streamInitialized = true
            mode = .gzip
        } else {
            mode = .plain
            isPlain = true
        }
    }

    private func readPlain(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if inputStart < inputEnd {
            let n = min(buffer.count, inputEnd - inputStart)
            input.withUnsafeBytes { src in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[inputStart..<(inputStart + n)]))
            }
            inputStart += n
            return n
        }
        if sourceEnded { mode = .done; return 0 }
        let n = try source.read(into: buffer)
        if n == 0 { sourceEnded = true; mode = .done }
        return n
    }

    /// Reads more compressed input into the buffer, compacting it first.
    private func refill() throws {
        if inputStart > 0 {
            if inputStart < inputEnd {
                input.withUnsafeMutableBytes { raw in
                    // The buffer is never empty, so it has a base address.
                    let base = raw.baseAddress!
                    memmove(base, base + inputStart, inputEnd - inputStart)
                }
            }
            inputEnd -= inputStart
            inputStart = 0
        }
        guard inputEnd < input.count else { return }
        let n = try input.withUnsafeMutableBytes { raw in
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[inputEnd...]))
        }
        if n == 0 { sourceEnded = true } else { inputEnd += n }
    }

    /// Inflates into `buffer`; returns the bytes produced (0 with `mode == .done` at the end).
    private func inflateSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if inputStart == inputEnd {
                if !sourceEnded { try refill() }
                if inputStart == inputEnd {
                    // End of input: fine between members, truncation inside one.
                    if inMember {
                        throw DRDError(.corrupt, "'\(name)' is truncated: gzip member ends early at compressed byte \(compressedOffset)",
                                       hint: "the object was cut short; re-download it or use another backup")
                    }
                    mode = .done
                    return 0
                }
            }
            let available = inputEnd - inputStart
            let outCount = min(buffer.count, Int(UInt32.max))
            let (rc, consumed, produced) = input.withUnsafeMutableBytes { raw -> (Int32, Int, Int) in
                let inBase = raw.baseAddress!.assumingMemoryBound(to: Bytef.self) + inputStart
                stream.pointee.next_in = inBase
                stream.pointee.avail_in = uInt(available)
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(outCount)
                let rc = inflate(stream, Z_NO_FLUSH)
                return (rc, available - Int(stream.pointee.avail_in), outCount - Int(stream.pointee.avail_out))
            }
            inputStart += consumed
            compressedOffset += Int64(consumed)
            if consumed > 0 || produced > 0 { inMember = true }
            switch rc {
            case Z_STREAM_END:
                membersRead += 1
                inMember = false
                inflateReset(stream)
                if produced > 0 { return produced }
            case Z_OK:
                if produced > 0 { return produced }
            case Z_BUF_ERROR:
                // No progress: needs more input (handled at the top of the loop on the next pass).
                if produced > 0 { return produced }
                if inputStart < inputEnd {
                    throw DRDError(.internal, "gzip decompression of '\(name)' made no progress at compressed byte \(compressedOffset)")
                }
            case Z_MEM_ERROR:
                throw DRDError(.internal, "out of memory decompressing '\(name)'")
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                throw DRDError(.corrupt, "'\(name)' is not a valid gzip file: \(message) at compressed byte \(compressedOffset)",
                               hint: "the object is damaged; verify it against its manifest or use another backup")
            }
        }
    }
}
