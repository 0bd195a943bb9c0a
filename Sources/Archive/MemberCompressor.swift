import CDeflate
import Support

/// Compresses everything written to it into ONE gzip member (level 0-9).
///
/// The member's uncompressed text is gathered in memory and compressed in one call with libdeflate
/// when the member is finished: libdeflate is a whole-buffer compressor, 2.6 times faster than zlib
/// at level 6 with 10 % smaller output on table data (docs/benchmarks.md). Members are bounded by
/// the caller's chunk size (about 8 MiB of SQL), and holding a finished member lets parallel
/// workers compress while one writer appends members in order. Not thread-safe: one compressor per
/// worker.
public final class MemberCompressor: ByteSink {
    private var input: [UInt8] = []
    private var finished = false
    private let level: Int
    private let section: Section
    private let schema: String?
    private let table: String?
    private let chunk: Int?

    /// Uncompressed bytes written so far.
    public var uncompressedCount: Int64 { Int64(input.count) }

    /// - Throws: `DRDError(.config)` when `level` is outside 0...9.
    public init(level: Int = 6, section: Section, schema: String? = nil, table: String? = nil,
                chunk: Int? = nil) throws {
        guard (0...9).contains(level) else {
            throw DRDError(.config, "compression level \(level) is out of range", hint: "use a level from 0 (none) to 9 (best)")
        }
        self.level = level
        self.section = section
        self.schema = schema
        self.table = table
        self.chunk = chunk
    }

    /// Adds `bytes` to the member.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw DRDError(.internal, "gzip member written after finish") }
        input.append(contentsOf: bytes)
    }

    /// Ends the member and returns it with its SHA-256; the compressor cannot be used afterwards.
    public func finish(rows: Int64?) throws -> CompressedMember {
        guard !finished else { throw DRDError(.internal, "gzip member finished twice") }
        finished = true
        let bytes = try Self.gzip(input, level: level)
        let length = Int64(input.count)
        input = []
        return CompressedMember(bytes: bytes, uncompressedLength: length, sha256: Digest.sha256Hex(bytes),
                                section: section, schema: schema, table: table, chunk: chunk, rows: rows)
    }

    /// One gzip member (RFC 1952 header, deflate data, CRC-32 and size trailer) of `input`.
    static func gzip(_ input: [UInt8], level: Int) throws -> [UInt8] {
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else {
            throw DRDError(.internal, "unable to allocate a gzip compressor (level \(level)): out of memory")
        }
        defer { libdeflate_free_compressor(compressor) }
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { inBuf in
            output.withUnsafeMutableBytes { outBuf in
                libdeflate_gzip_compress(compressor, inBuf.baseAddress, inBuf.count, outBuf.baseAddress, outBuf.count)
            }
        }
        guard written > 0 else { throw DRDError(.internal, "gzip compression of \(input.count) bytes failed") }
        output.removeSubrange(written...)
        return output
    }

    /// Compresses `bytes` into one member in a single call.
    public static func compress(_ bytes: [UInt8], level: Int = 6, section: Section, schema: String? = nil,
                                table: String? = nil, chunk: Int? = nil, rows: Int64? = nil) throws -> CompressedMember {
        let compressor = try MemberCompressor(level: level, section: section, schema: schema, table: table, chunk: chunk)
        try compressor.write(bytes)
        return try compressor.finish(rows: rows)
    }
}
