import Support

/// Appends gzip members to a sink (the upload), tracking offsets, the whole-object SHA-256 and sizes.
///
/// Members must be appended in script order (globals, pre-data, data, post-data); the returned entries
/// become the manifest's member index.
public final class ArtifactWriter {
    private let sink: ByteSink
    private let hasher = SHA256Hasher()
    private var digest: String?

    public private(set) var members: [MemberEntry] = []
    /// Bytes appended so far (the object's size once finished).
    public private(set) var compressedSize: Int64 = 0
    /// Sum of the members' uncompressed lengths (the SQL script's size).
    public private(set) var uncompressedSize: Int64 = 0

    public init(sink: ByteSink) {
        self.sink = sink
    }

    /// Writes `member` to the sink and records its entry.
    @discardableResult
    public func append(_ member: CompressedMember) throws -> MemberEntry {
        guard digest == nil else { throw DRDError(.internal, "artifact member appended after finish") }
        try member.bytes.withUnsafeBytes { raw in
            try sink.write(raw)
            hasher.update(raw)
        }
        let entry = MemberEntry(offset: compressedSize, compressedLength: Int64(member.bytes.count),
                                uncompressedLength: member.uncompressedLength, section: member.section,
                                schema: member.schema, table: member.table, chunk: member.chunk,
                                rows: member.rows, sha256: member.sha256)
        members.append(entry)
        compressedSize += entry.compressedLength
        uncompressedSize += entry.uncompressedLength
        return entry
    }

    /// Hex SHA-256 of every byte appended. Idempotent; no appends afterwards.
    public func finish() -> String {
        if let digest { return digest }
        let hex = hasher.finalizeHex()
        digest = hex
        return hex
    }
}

/// A sink that hashes (SHA-256) and counts what passes through, forwarding to `downstream` if any.
public final class HashingSink: ByteSink {
    private let downstream: ByteSink?
    private let hasher = SHA256Hasher()
    private var digest: String?
    public private(set) var count: Int64 = 0

    public init(_ downstream: ByteSink? = nil) {
        self.downstream = downstream
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard digest == nil else { throw DRDError(.internal, "hashing sink written after finish") }
        try downstream?.write(bytes)
        hasher.update(bytes)
        count += Int64(bytes.count)
    }

    /// Hex SHA-256 of everything written. Idempotent.
    public func finish() -> String {
        if let digest { return digest }
        let hex = hasher.finalizeHex()
        digest = hex
        return hex
    }
}

/// A source that hashes (SHA-256) and counts what is read through it.
public final class HashingSource: ByteSource {
    private let upstream: ByteSource
    private let hasher = SHA256Hasher()
    private var digest: String?
    public private(set) var count: Int64 = 0

    public init(_ upstream: ByteSource) {
        self.upstream = upstream
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try upstream.read(into: buffer)
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            count += Int64(n)
        }
        return n
    }

    /// Hex SHA-256 of everything read so far; no reads afterwards. Idempotent.
    public func finish() -> String {
        if let digest { return digest }
        let hex = hasher.finalizeHex()
        digest = hex
        return hex
    }
}

/// Reads `length` bytes of another source starting `offset` bytes in (skipping by reading, for
/// sources that cannot seek; use ranged GETs on stores that can). Ends early if the source does.
public final class RangeSource: ByteSource {
    private let upstream: ByteSource
    private var toSkip: Int64
    private var remaining: Int64

    public init(_ upstream: ByteSource, offset: Int64, length: Int64) {
        self.upstream = upstream
        toSkip = max(0, offset)
        remaining = max(0, length)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if toSkip > 0 {
            var discard = [UInt8](repeating: 0, count: 64 * 1024)
            while toSkip > 0 {
                let want = Int(min(Int64(discard.count), toSkip))
                let n = try discard.withUnsafeMutableBytes { try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
                if n == 0 { toSkip = 0; remaining = 0; return 0 }
                toSkip -= Int64(n)
            }
        }
        guard remaining > 0, buffer.count > 0 else { return 0 }
        let want = Int(min(Int64(buffer.count), remaining))
        let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
        remaining -= Int64(n)
        if n == 0 { remaining = 0 }
        return n
    }
}
