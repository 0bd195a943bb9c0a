#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Support

/// Reads a local file front to back (`drctl load FILE`); closed at the end or on `deinit`.
public final class FileSource: ByteSource {
    private var fd: Int32
    /// The path, for messages.
    public let path: String

    /// Bytes left to read when a range was given.
    private var remaining: Int64?

    /// Opens `path` for reading, or only `range` of it (half-open, in bytes; reads end early if the
    /// file is shorter). Throws `.notFound` / `.permission` / `.io` naming the path.
    public init(path: String, range: Range<Int64>? = nil) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let err = errno
            let code: DRDError.Code = err == ENOENT ? .notFound : err == EACCES ? .permission : .io
            throw DRDError.posix("unable to open '\(path)'", errno: err, code: code)
        }
        if let range {
            if lseek(fd, off_t(range.lowerBound), SEEK_SET) < 0 {
                let err = errno
                close()
                throw DRDError.posix("unable to seek to byte \(range.lowerBound) of '\(path)'", errno: err)
            }
            remaining = range.upperBound - range.lowerBound
        }
    }

    /// Reads an already-open descriptor (one passed over the control socket); takes ownership.
    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close() }

    /// Closes the file; further reads return 0.
    public func close() {
        if fd >= 0 { posixClose(fd) }
        fd = -1
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard fd >= 0, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var want = buffer.count
        if let remaining {
            guard remaining > 0 else { return 0 }
            want = Int(min(Int64(want), remaining))
        }
        while true {
            let n = posixRead(fd, base, want)
            if n >= 0 {
                remaining = remaining.map { $0 - Int64(n) }
                return n
            }
            if errno == EINTR { continue }
            throw DRDError.posix("unable to read '\(path)'", errno: errno)
        }
    }
}

// File-level wrappers: inside `FileSource`, `close`/`read` name the methods.
private func posixClose(_ fd: Int32) { _ = close(fd) }
private func posixRead(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, base, count) }
