import Foundation
import Storage
import Support
#if canImport(Glibc)
import Glibc
#endif

/// A read-only, one-object store over a file descriptor that `drctl` opened and passed over the
/// socket (SCM_RIGHTS): the daemon never opens a path on a client's behalf. Ranged reads use
/// `pread`, so parallel members can be read at once.
public final class DescriptorStore: ObjectStore, @unchecked Sendable {
    private let fd: Int32
    private let name: String
    private let size: Int64
    private let manifest: [UInt8]?

    /// The key the passed file is served under; its manifest (if the client sent one) is beside it.
    public static let objectKey = "backup.sql.gz"
    public static let manifestKey = "backup.manifest.json"

    /// Works on its own duplicate of `fd` (the control server closes the received descriptor when
    /// the request ends). `manifest` is the sidecar's bytes, read by the client.
    public init(fd: Int32, name: String, manifest: [UInt8]? = nil) throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw DRDError.posix("unable to stat the passed file '\(name)'", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw DRDError(.usage, "'\(name)' is not a regular file", hint: "restores read members by offset: pass a file, not a pipe")
        }
        let own = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard own >= 0 else { throw DRDError.posix("unable to duplicate the passed file '\(name)'", errno: errno) }
        self.fd = own
        self.name = name
        self.size = Int64(st.st_size)
        self.manifest = manifest
    }

    deinit { Glibc.close(fd) }

    public var displayURL: String { name }

    public func beginUpload(key: String) throws -> ObjectUpload { throw readOnly() }
    public func putSmall(key: String, data: [UInt8], ifAbsent: Bool) throws { throw readOnly() }
    public func delete(keys: [String]) throws -> [String: DRDError] { throw readOnly() }
    public func pendingUploads(prefix: String) throws -> [PendingUpload] { [] }
    public func abortUpload(_ upload: PendingUpload) throws {}

    public func head(key: String) throws -> ObjectInfo? {
        if key == Self.objectKey { return ObjectInfo(key: key, size: size, lastModified: Date()) }
        if key == Self.manifestKey, let manifest { return ObjectInfo(key: key, size: Int64(manifest.count), lastModified: Date()) }
        return nil
    }

    public func list(prefix: String) throws -> [ObjectInfo] {
        try [Self.objectKey, Self.manifestKey].compactMap { try head(key: $0) }
    }

    public func get(key: String, range: Range<Int64>?) throws -> ByteSource {
        if key == Self.manifestKey, let manifest { return MemorySource(manifest) }
        guard key == Self.objectKey else { throw DRDError(.notFound, "no object '\(key)' in the passed file") }
        let r = range ?? 0..<size
        return PreadSource(fd: fd, range: r, name: name)
    }

    private func readOnly() -> DRDError { DRDError(.internal, "the passed file '\(name)' is read-only") }
}

final class PreadSource: ByteSource {
    let fd: Int32
    var offset: Int64
    let end: Int64
    let name: String

    init(fd: Int32, range: Range<Int64>, name: String) {
        self.fd = fd
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.name = name
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let want = Int(min(Int64(buffer.count), end - offset))
        guard want > 0, let base = buffer.baseAddress else { return 0 }
        while true {
            let n = pread(fd, base, want, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw DRDError.posix("unable to read '\(name)'", errno: errno)
            }
            offset += Int64(n)
            return n
        }
    }
}
