#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// A store on the local filesystem (`file:///path`).
///
/// Writes are atomic: bytes go to a hidden temp file beside the target
/// (`.<name>.upload-<random>`), which is fsynced, renamed into place, and the directory fsynced,
/// so a crash leaves either the old state or the complete object. Stale temp files are the
/// "pending uploads" of this driver.
public struct FileStore: ObjectStore {
    public let root: String

    /// Marks temp files; `list` skips them and `pendingUploads` reports them.
    static let uploadMarker = ".upload-"

    /// Opens (and creates when missing) the directory `root`.
    public init(root: String) throws {
        self.root = root
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw DRDError(.storage, "unable to create store directory '\(root)': \(error.localizedDescription)")
        }
    }

    public var displayURL: String { "file://\(root)" }

    /// The absolute path for `key`, refusing keys that escape the root.
    func path(for key: String) throws -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !key.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
              !key.contains("\0") else {
            throw DRDError(.storage, "invalid key '\(key)' for store \(displayURL)",
                           hint: "keys are relative paths without empty, '.' or '..' segments")
        }
        return (root == "/" ? "" : root) + "/" + key
    }

    public func beginUpload(key: String) throws -> ObjectUpload {
        try FileUpload(store: self, key: key, finalPath: path(for: key))
    }

    public func putSmall(key: String, data: [UInt8], ifAbsent: Bool) throws {
        let upload = try FileUpload(store: self, key: key, finalPath: path(for: key))
        do {
            try upload.write(data)
            try upload.commit(exclusive: ifAbsent)
        } catch {
            upload.abort()
            throw error
        }
    }

    public func get(key: String, range: Range<Int64>?) throws -> ByteSource {
        let p = try path(for: key)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = errno
            if err == ENOENT { throw DRDError(.notFound, "object '\(key)' not found in \(displayURL)") }
            throw DRDError.posix("unable to open '\(p)'", errno: err, code: .storage)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let err = errno
            close(fd)
            throw DRDError.posix("unable to stat '\(p)'", errno: err, code: .storage)
        }
        let size = Int64(st.st_size)
        var start: Int64 = 0, end = size
        if let range {
            start = min(max(0, range.lowerBound), size)
            end = min(max(start, range.upperBound), size)
        }
        return FileSource(fd: fd, path: p, offset: start, remaining: end - start)
    }

    public func head(key: String) throws -> ObjectInfo? {
        let p = try path(for: key)
        var st = stat()
        if stat(p, &st) != 0 {
            let err = errno
            if err == ENOENT || err == ENOTDIR { return nil }
            throw DRDError.posix("unable to stat '\(p)'", errno: err, code: .storage)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return ObjectInfo(key: key, size: Int64(st.st_size), lastModified: Self.mtime(st))
    }

    public func list(prefix: String) throws -> [ObjectInfo] {
        // Walk only the deepest directory the prefix names.
        let dirPart = prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        var out: [ObjectInfo] = []
        try walk(relative: dirPart) { key, st, isTemp in
            if !isTemp && key.hasPrefix(prefix) {
                out.append(ObjectInfo(key: key, size: Int64(st.st_size), lastModified: Self.mtime(st)))
            }
        }
        return out.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    public func delete(keys: [String]) throws -> [String: DRDError] {
        var failed: [String: DRDError] = [:]
        var dirs = Set<String>()
        for key in keys {
            do {
                let p = try path(for: key)
                if unlink(p) != 0 && errno != ENOENT {
                    failed[key] = DRDError.posix("unable to delete '\(p)'", errno: errno, code: .storage)
                } else {
                    dirs.insert((p as NSString).deletingLastPathComponent)
                }
            } catch let error as DRDError {
                failed[key] = error
            }
        }
        for dir in dirs { try? Self.fsyncDirectory(dir) }
        return failed
    }

    public func pendingUploads(prefix: String) throws -> [PendingUpload] {
        var out: [PendingUpload] = []
        try walk(relative: "") { relative, st, isTemp in
            guard isTemp else { return }
            let dir = (relative as NSString).deletingLastPathComponent
            let name = (relative as NSString).lastPathComponent
            guard let marker = name.range(of: Self.uploadMarker, options: .backwards) else { return }
            let objectName = String(name[name.index(after: name.startIndex)..<marker.lowerBound])
            let key = dir.isEmpty ? objectName : dir + "/" + objectName
            if key.hasPrefix(prefix) {
                out.append(PendingUpload(key: key, uploadID: relative, initiated: Self.mtime(st)))
            }
        }
        return out.sorted { $0.key == $1.key ? $0.uploadID < $1.uploadID : $0.key < $1.key }
    }

    public func abortUpload(_ upload: PendingUpload) throws {
        let p = try path(for: upload.uploadID)
        guard (p as NSString).lastPathComponent.contains(Self.uploadMarker) else {
            throw DRDError(.storage, "'\(upload.uploadID)' is not a pending upload in \(displayURL)")
        }
        if unlink(p) != 0 && errno != ENOENT {
            throw DRDError.posix("unable to remove stale upload '\(p)'", errno: errno, code: .storage)
        }
    }

    // MARK: helpers

    /// Calls `visit(key, stat, isTempFile)` for every regular file under `relative` (recursively).
    func walk(relative: String, _ visit: (String, stat, Bool) throws -> Void) throws {
        let dir = relative.isEmpty ? root : (root == "/" ? "" : root) + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir)
        } catch {
            var st = stat()
            if stat(dir, &st) != 0 { return }   // the prefix's directory does not exist: nothing to list
            throw DRDError(.storage, "unable to list '\(dir)': \(error.localizedDescription)")
        }
        for name in names {
            let key = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(dir + "/" + name, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: try walk(relative: key, visit)
            case S_IFREG: try visit(key, st, name.hasPrefix(".") && name.contains(Self.uploadMarker))
            default: continue
            }
        }
    }

    static func mtime(_ st: stat) -> Date {
        Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }

    static func fsyncDirectory(_ dir: String) throws {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DRDError.posix("unable to open directory '\(dir)'", errno: errno, code: .storage) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw DRDError.posix("unable to fsync directory '\(dir)'", errno: errno, code: .storage) }
    }
}

/// A temp-file upload: write, then fsync + rename (or link for if-absent) + fsync the directory.
final class FileUpload: ObjectUpload {
    let store: FileStore
    let key: String
    let finalPath: String
    let tempPath: String
    private var fd: Int32
    private(set) var bytesWritten: Int64 = 0
    private var finished = false

    init(store: FileStore, key: String, finalPath: String) throws {
        self.store = store
        self.key = key
        self.finalPath = finalPath
        let dir = (finalPath as NSString).deletingLastPathComponent
        let name = (finalPath as NSString).lastPathComponent
        tempPath = dir + "/." + name + FileStore.uploadMarker + Hex.encode(Digest.randomBytes(6))
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw DRDError(.storage, "unable to create directory '\(dir)': \(error.localizedDescription)")
        }
        fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DRDError.posix("unable to create '\(tempPath)'", errno: errno, code: .storage) }
    }

    deinit { if !finished { abort() } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished, fd >= 0 else { throw DRDError(.storage, "upload of '\(finalPath)' already finished") }
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw DRDError.posix("unable to write '\(tempPath)'", errno: errno, code: .storage)
            }
            left -= n
            base += n
            bytesWritten += Int64(n)
        }
    }

    @discardableResult func commit() throws -> ObjectInfo { try commit(exclusive: false) }

    /// With `exclusive`, fails with `.conflict` if the target exists (link(2) never replaces).
    @discardableResult func commit(exclusive: Bool) throws -> ObjectInfo {
        guard !finished else { throw DRDError(.storage, "upload of '\(finalPath)' already finished") }
        do {
            if fsync(fd) != 0 { throw DRDError.posix("unable to fsync '\(tempPath)'", errno: errno, code: .storage) }
            close(fd)
            fd = -1
            if exclusive {
                if link(tempPath, finalPath) != 0 {
                    let err = errno
                    if err == EEXIST {
                        throw DRDError(.conflict, "object '\(key)' already exists in \(store.displayURL)")
                    }
                    throw DRDError.posix("unable to link '\(finalPath)'", errno: err, code: .storage)
                }
                unlink(tempPath)
            } else if rename(tempPath, finalPath) != 0 {
                throw DRDError.posix("unable to rename '\(tempPath)' to '\(finalPath)'", errno: errno, code: .storage)
            }
            finished = true
            try FileStore.fsyncDirectory((finalPath as NSString).deletingLastPathComponent)
        } catch {
            abort()
            throw error
        }
        let st = try Self.verifySize(path: finalPath, expected: bytesWritten)
        return ObjectInfo(key: key, size: bytesWritten, lastModified: FileStore.mtime(st))
    }

    /// Stats the committed object at `path`; when it does not hold `expected` bytes it is removed
    /// (as the S3 path deletes a wrong-sized object) so nothing wrong-sized stays visible.
    static func verifySize(path: String, expected: Int64) throws -> stat {
        var st = stat()
        guard stat(path, &st) == 0 else { throw DRDError.posix("unable to stat '\(path)'", errno: errno, code: .storage) }
        guard Int64(st.st_size) == expected else {
            let failed = unlink(path) == 0 ? 0 : errno
            let removed = failed == 0 || failed == ENOENT
            if removed { try? FileStore.fsyncDirectory((path as NSString).deletingLastPathComponent) }
            throw DRDError(.corrupt, "'\(path)' holds \(st.st_size) bytes after writing \(expected); "
                           + (removed ? "deleted it" : "could not delete it (\(String(cString: strerror(failed))))"))
        }
        return st
    }

    func abort() {
        if fd >= 0 { close(fd); fd = -1 }
        if !finished { unlink(tempPath) }
        finished = true
    }
}

/// Reads `remaining` bytes of a file from `offset` with pread.
final class FileSource: ByteSource {
    private var fd: Int32
    private let path: String
    private var offset: Int64
    private var remaining: Int64

    init(fd: Int32, path: String, offset: Int64, remaining: Int64) {
        self.fd = fd
        self.path = path
        self.offset = offset
        self.remaining = remaining
    }

    deinit { if fd >= 0 { close(fd) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let want = Int(min(Int64(buffer.count), remaining))
        while true {
            let n = pread(fd, base, want, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw DRDError.posix("unable to read '\(path)'", errno: errno, code: .storage)
            }
            if n == 0 { throw DRDError(.corrupt, "'\(path)' ended early: \(remaining) bytes missing") }
            offset += Int64(n)
            remaining -= Int64(n)
            return n
        }
    }
}
