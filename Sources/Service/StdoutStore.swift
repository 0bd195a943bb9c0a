import Foundation
import Storage
import Support

/// `--output -`: the artifact streams to standard output like `pg_dump | gzip` would. There is no
/// store to hold a manifest, so the manifest is not written (the stream is a plain .sql.gz).
public final class StdoutStore: ObjectStore, @unchecked Sendable {
    public init() {}
    public var displayURL: String { "stdout" }

    public func beginUpload(key: String) throws -> ObjectUpload { StdoutUpload() }
    public func putSmall(key: String, data: [UInt8], ifAbsent: Bool) throws {}
    public func get(key: String, range: Range<Int64>?) throws -> ByteSource {
        throw DRDError(.usage, "cannot read back from standard output")
    }
    public func head(key: String) throws -> ObjectInfo? { nil }
    public func list(prefix: String) throws -> [ObjectInfo] { [] }
    public func delete(keys: [String]) throws -> [String: DRDError] { [:] }
    public func pendingUploads(prefix: String) throws -> [PendingUpload] { [] }
    public func abortUpload(_ upload: PendingUpload) throws {}
}

final class StdoutUpload: ObjectUpload {
    private(set) var bytesWritten: Int64 = 0

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(1, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw DRDError.posix("unable to write to standard output", errno: errno)
            }
            left -= n
            base += n
        }
        bytesWritten += Int64(bytes.count)
    }

    func commit() throws -> ObjectInfo { ObjectInfo(key: "-", size: bytesWritten, lastModified: Date()) }
    func abort() {}
}

#if canImport(Glibc)
import Glibc
#endif
