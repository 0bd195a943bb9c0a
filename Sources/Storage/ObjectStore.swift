import Foundation
import Support

/// What a store knows about one object.
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var lastModified: Date
    public var etag: String?

    public init(key: String, size: Int64, lastModified: Date, etag: String? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
    }
}

/// A multipart (or temp-file) upload in progress, abandoned and older than some age.
public struct PendingUpload: Sendable, Equatable {
    public var key: String
    public var uploadID: String
    public var initiated: Date
    public init(key: String, uploadID: String, initiated: Date) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// One storage interface; drivers (`FileStore`, `S3Store`) fill it.
///
/// Keys are relative to the store's root (`s3://bucket/prefix` or `file:///path`) and use `/`.
/// Every call is synchronous and may block: call from a dedicated thread (see `Parallel`).
public protocol ObjectStore: Sendable {
    /// The store's URL for messages, without credentials.
    var displayURL: String { get }

    /// Starts a streamed upload of unknown length. Nothing is visible under `key` until
    /// `commit()` returns; `abort()` (or a failed commit) leaves nothing behind.
    func beginUpload(key: String) throws -> ObjectUpload

    /// Writes a small object in one request. With `ifAbsent`, fails with `.conflict` when the key
    /// already exists (conditional create).
    func putSmall(key: String, data: [UInt8], ifAbsent: Bool) throws

    /// Streams an object's bytes, or `range` of them (half-open, in bytes).
    func get(key: String, range: Range<Int64>?) throws -> ByteSource

    /// Metadata for `key`, or nil when it does not exist.
    func head(key: String) throws -> ObjectInfo?

    /// Every object whose key starts with `prefix`, in key order (pages followed internally).
    func list(prefix: String) throws -> [ObjectInfo]

    /// Deletes keys (batched internally). Returns the keys that could not be deleted with why;
    /// a key that did not exist counts as deleted.
    func delete(keys: [String]) throws -> [String: DRDError]

    /// Uploads started but neither committed nor aborted (multipart uploads, temp files).
    func pendingUploads(prefix: String) throws -> [PendingUpload]

    /// Aborts one pending upload.
    func abortUpload(_ upload: PendingUpload) throws
}

/// A streamed upload: write bytes, then commit or abort.
public protocol ObjectUpload: ByteSink {
    /// Bytes written so far.
    var bytesWritten: Int64 { get }
    /// Completes the upload, verifies the stored size, and makes the object visible.
    @discardableResult func commit() throws -> ObjectInfo
    /// Discards everything written; safe to call more than once and after a failed commit.
    func abort()
}

extension ObjectStore {
    public func get(key: String) throws -> ByteSource { try get(key: key, range: nil) }

    /// Reads a whole small object (manifests, records).
    public func getAll(key: String, limit: Int = 64 << 20) throws -> [UInt8] {
        try get(key: key, range: nil).readAll(limit: limit)
    }

    /// Starts an upload knowing roughly how big it will be (S3 raises its part size so the hint fits
    /// in 9,000 parts; a hint that turns out too small is safe). Drivers without use for it ignore it.
    public func beginUpload(key: String, sizeHint: Int64?) throws -> ObjectUpload {
        if let s3 = self as? S3Store { return try s3.beginUpload(key: key, sizeHint: sizeHint) }
        return try beginUpload(key: key)
    }
}
