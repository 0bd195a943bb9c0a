#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

extension Request {
    /// The descriptor passed with this request, checked to be something a restore may read: a regular
    /// file or a pipe (`drctl restore - …` streaming stdin), open for reading.
    ///
    /// Why check: the descriptor comes from the client, so it may be anything it can open (a
    /// directory, a socket, a write-only file); failing here gives a clear error instead of an odd
    /// one deep in the restore. Still owned by the server (closed after the handler returns).
    public func readablePassedFile(purpose: String = "the input file") throws -> Int32 {
        guard let fd = passedFD else {
            throw DRDError(.usage, "'\(verb)' needs \(purpose) passed as a descriptor",
                           hint: "drctl opens local files itself; pass a path, not a daemon-side name")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw DRDError.posix("unable to inspect \(purpose) passed with '\(verb)'", errno: errno)
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFIFO else {
            throw DRDError(.usage, "\(purpose) passed with '\(verb)' is not a regular file or pipe")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, flags & O_ACCMODE != O_WRONLY else {
            throw DRDError(.usage, "\(purpose) passed with '\(verb)' is not open for reading")
        }
        return fd
    }
}
