import CShims
import CZlib
import Support

/// What a successful verification covered.
public struct VerifyReport: Sendable, Equatable {
    /// Compressed bytes read (the object's size).
    public var bytes: Int64
    public var members: Int
    /// Bytes the members decompressed to (the SQL script's size).
    public var uncompressedBytes: Int64

    public init(bytes: Int64, members: Int, uncompressedBytes: Int64) {
        self.bytes = bytes
        self.members = members
        self.uncompressedBytes = uncompressedBytes
    }
}

/// Verifies an artifact stream against its manifest without trusting the store.
///
/// Streams every byte once and checks the total size, the whole-object SHA-256, every member's
/// offset, length and SHA-256, and that each member is exactly one gzip member decompressing to its
/// recorded uncompressed length. Memory stays bounded (256 KiB buffers).
public enum ArtifactVerifier {
    static let bufferSize = 256 * 1024

    /// - Throws: `DRDError(.corrupt, …)` naming the first bad member (index, section, table, chunk,
    ///   offset), or the whole-object size/SHA-256 mismatch.
    public static func verify(_ source: ByteSource, manifest: Manifest, name: String) throws -> VerifyReport {
        if let problem = manifest.inconsistency() {
            throw DRDError(.corrupt, "invalid manifest for '\(name)': \(problem)")
        }
        let whole = SHA256Hasher()
        var total: Int64 = 0
        var uncompressedTotal: Int64 = 0
        var index = 0
        var checker: MemberChecker?
        var buffer = [UInt8](repeating: 0, count: bufferSize)

        func fail(_ what: String) -> DRDError {
            let member = index < manifest.members.count ? manifest.members[index].describe(index: index) + " " : ""
            return DRDError(.corrupt, "'\(name)' failed verification: \(member)\(what)",
                            hint: "the stored object is damaged; use another backup")
        }

        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                whole.update(chunk)
                var position = 0
                while position < n {
                    guard index < manifest.members.count else {
                        throw DRDError(.corrupt, "'\(name)' failed verification: object is longer than the \(manifest.compressedSize) bytes its manifest records",
                                       hint: "the stored object does not match its manifest; use another backup")
                    }
                    let entry = manifest.members[index]
                    let current: MemberChecker
                    if let existing = checker { current = existing } else {
                        current = try MemberChecker()
                        checker = current
                    }
                    let remainingInMember = Int(min(Int64(n - position), entry.compressedLength - current.compressedCount))
                    let slice = UnsafeRawBufferPointer(rebasing: chunk[position..<(position + remainingInMember)])
                    do { try current.feed(slice) } catch let problem as MemberProblem { throw fail(problem.text) }
                    position += remainingInMember
                    if current.compressedCount == entry.compressedLength {
                        let result: (sha256: String, uncompressed: Int64)
                        do { result = try current.finish() } catch let problem as MemberProblem { throw fail(problem.text) }
                        if result.sha256 != entry.sha256 {
                            throw fail("has SHA-256 \(result.sha256), manifest says \(entry.sha256)")
                        }
                        if result.uncompressed != entry.uncompressedLength {
                            throw fail("decompresses to \(result.uncompressed) bytes, manifest says \(entry.uncompressedLength)")
                        }
                        uncompressedTotal += result.uncompressed
                        index += 1
                        checker = nil
                    }
                }
            }
            total += Int64(n)
        }
        if total != manifest.compressedSize {
            let partial = index < manifest.members.count ? "; \(manifest.members[index].describe(index: index)) is incomplete" : ""
            throw DRDError(.corrupt, "'\(name)' is truncated: \(total) bytes, manifest says \(manifest.compressedSize)\(partial)",
                           hint: "the stored object is incomplete; use another backup")
        }
        let digest = whole.finalizeHex()
        if digest != manifest.sha256 {
            throw DRDError(.corrupt, "'\(name)' failed verification: object SHA-256 is \(digest), manifest says \(manifest.sha256)",
                           hint: "the stored object does not match its manifest; use another backup")
        }
        return VerifyReport(bytes: total, members: manifest.members.count, uncompressedBytes: uncompressedTotal)
    }
}

/// Why one member failed (wrapped with the member's description by the verifier).
struct MemberProblem: Error { var text: String }

/// Hashes and inflates one member's compressed bytes as they stream past, discarding the output.
final class MemberChecker {
    private let stream: UnsafeMutablePointer<z_stream>
    private let hasher = SHA256Hasher()
    private var output = [UInt8](repeating: 0, count: ArtifactVerifier.bufferSize)
    private var ended = false
    private(set) var compressedCount: Int64 = 0
    private(set) var uncompressedCount: Int64 = 0

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = drd_inflate_init_gzip(stream)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DRDError(.internal, "unable to initialize gzip decompression: zlib error \(rc)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        hasher.update(bytes)
        let offsetBefore = compressedCount
        compressedCount += Int64(bytes.count)
        if ended {
            throw MemberProblem(text: "has bytes after its gzip end at member byte \(offsetBefore)")
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        try output.withUnsafeMutableBytes { out in
            let outBase = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            while true {
                stream.pointee.next_out = outBase
                stream.pointee.avail_out = uInt(out.count)
                let rc = inflate(stream, Z_NO_FLUSH)
                uncompressedCount += Int64(out.count - Int(stream.pointee.avail_out))
                let at = offsetBefore + Int64(bytes.count) - Int64(stream.pointee.avail_in)
                switch rc {
                case Z_STREAM_END:
                    ended = true
                    if stream.pointee.avail_in > 0 {
                        throw MemberProblem(text: "has bytes after its gzip end at member byte \(at)")
                    }
                    return
                case Z_OK, Z_BUF_ERROR:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                    if rc == Z_BUF_ERROR && stream.pointee.avail_out > 0 { return }
                case Z_MEM_ERROR:
                    throw DRDError(.internal, "out of memory verifying a gzip member")
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw MemberProblem(text: "is not valid gzip: \(message) at member byte \(at)")
                }
            }
        }
    }

    /// The member's SHA-256 and uncompressed size; throws if the gzip member did not end exactly here.
    func finish() throws -> (sha256: String, uncompressed: Int64) {
        guard ended else { throw MemberProblem(text: "ends before its gzip data does (\(compressedCount) bytes)") }
        return (hasher.finalizeHex(), uncompressedCount)
    }
}
