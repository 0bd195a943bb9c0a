import CShims
import CZlib
import Support

/// Compresses everything written to it into ONE gzip member (zlib deflate, gzip wrapper, level 0-9).
///
/// The compressed bytes are kept in memory until `finish`: a member is bounded by the caller's chunk
/// size, and holding it lets parallel workers compress while one writer appends members in order.
/// Not thread-safe: one compressor per worker.
public final class MemberCompressor: ByteSink {
    /// Input is fed to deflate in steps of this size, output drained in buffers of the same size.
    static let step = 64 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8] = []
    private var scratch: [UInt8]
    private var finished = false
    private let section: Section
    private let schema: String?
    private let table: String?
    private let chunk: Int?

    /// Uncompressed bytes written so far.
    public private(set) var uncompressedCount: Int64 = 0
    /// Compressed bytes produced so far (approximate until `finish`: deflate buffers internally).
    public var compressedCount: Int64 { Int64(output.count) }

    /// - Throws: `DRDError(.config)` when `level` is outside 0...9.
    public init(level: Int = 6, section: Section, schema: String? = nil, table: String? = nil,
                chunk: Int? = nil) throws {
        guard (0...9).contains(level) else {
            throw DRDError(.config, "compression level \(level) is out of range", hint: "use a level from 0 (none) to 9 (best)")
        }
        self.section = section
        self.schema = schema
        self.table = table
        self.chunk = chunk
        scratch = [UInt8](repeating: 0, count: Self.step)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = drd_deflate_init_gzip(stream, Int32(level))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DRDError(.internal, "unable to initialize gzip compression: zlib error \(rc)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `bytes` into the member.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw DRDError(.internal, "gzip member written after finish") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var position = 0
        while position < bytes.count {
            let n = min(Self.step, bytes.count - position)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + position).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(n)
            try pump(flush: Z_NO_FLUSH)
            position += n
        }
        uncompressedCount += Int64(bytes.count)
    }

    /// Ends the member and returns it with its SHA-256; the compressor cannot be used afterwards.
    public func finish(rows: Int64?) throws -> CompressedMember {
        guard !finished else { throw DRDError(.internal, "gzip member finished twice") }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try pump(flush: Z_FINISH)
        finished = true
        let bytes = output
        output = []
        return CompressedMember(bytes: bytes, uncompressedLength: uncompressedCount,
                                sha256: Digest.sha256Hex(bytes), section: section, schema: schema,
                                table: table, chunk: chunk, rows: rows)
    }

    /// Runs deflate until the pending input is consumed (and, for Z_FINISH, the stream has ended).
    private func pump(flush: Int32) throws {
        try scratch.withUnsafeMutableBytes { out in
            // The scratch buffer is never empty, so it always has a base address.
            let outBase = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            while true {
                stream.pointee.next_out = outBase
                stream.pointee.avail_out = uInt(out.count)
                let rc = deflate(stream, flush)
                let produced = out.count - Int(stream.pointee.avail_out)
                if produced > 0 { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: out[0..<produced])) }
                switch rc {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    // Done with this input when deflate left output space unused and has no input left.
                    if flush != Z_FINISH && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                    if rc == Z_BUF_ERROR && produced == 0 {
                        // No progress possible: fine mid-stream, a bug if the stream cannot be ended.
                        if flush != Z_FINISH { return }
                        throw DRDError(.internal, "gzip compression stalled while finishing a member")
                    }
                default:
                    throw DRDError(.internal, "gzip compression failed: zlib error \(rc)")
                }
            }
        }
    }

    /// Compresses `bytes` into one member in a single call.
    public static func compress(_ bytes: [UInt8], level: Int = 6, section: Section, schema: String? = nil,
                                table: String? = nil, chunk: Int? = nil, rows: Int64? = nil) throws -> CompressedMember {
        let compressor = try MemberCompressor(level: level, section: section, schema: schema, table: table, chunk: chunk)
        try compressor.write(bytes)
        return try compressor.finish(rows: rows)
    }
}
