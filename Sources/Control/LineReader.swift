#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// Splits a socket's byte stream into newline-terminated lines with a size limit.
///
/// Waits in short `poll` slices so the caller can stop (server shutdown) or give up (deadline)
/// without a blocked `recv`. A descriptor passed with the bytes of a line is returned with that line.
public final class LineReader {
    public enum Outcome {
        /// One line without its newline (a trailing `\r` is dropped too).
        case line(Data, passedFD: Int32?)
        /// The peer closed; `partial` is true when bytes without a newline were pending.
        case eof(partial: Bool)
        /// More than `maxLine` bytes arrived without a newline.
        case tooLong
        /// The deadline passed or `shouldStop` said so.
        case stopped
    }

    private let socket: UnixSocket
    private let maxLine: Int
    private var buffer = [UInt8]()
    /// Start of unconsumed bytes in `buffer` (consumed lines are dropped lazily, not per line).
    private var start = 0
    /// Bytes after `start` already searched for a newline.
    private var scanned = 0
    private var pendingFD: Int32?
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    public init(socket: UnixSocket, maxLine: Int) {
        self.socket = socket
        self.maxLine = maxLine
    }

    deinit {
        if let fd = pendingFD { _ = close(fd) }
    }

    /// Reads the next line. `deadline` bounds the wait for it; `shouldStop` is polled every
    /// `sliceMillis`. Throws on socket errors other than a reset (reported as `.eof`).
    public func next(deadline: ContinuousClock.Instant? = nil, sliceMillis: Int32 = 200,
                     shouldStop: () -> Bool = { false }) throws -> Outcome {
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 0x0a) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0d { end -= 1 }
                let line = Data(buffer[start..<end])
                start = newline + 1
                scanned = 0
                if start == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                }
                let fd = pendingFD
                pendingFD = nil
                return .line(line, passedFD: fd)
            }
            scanned = buffer.count - start
            if scanned > maxLine { return .tooLong }
            if shouldStop() { return .stopped }
            if let deadline, ContinuousClock.now >= deadline { return .stopped }
            guard socket.waitReadable(timeoutMillis: sliceMillis) else { continue }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let room = min(chunk.count, maxLine + 1 - buffer.count)
            let received: (count: Int, fd: Int32?)
            do {
                received = try chunk.withUnsafeMutableBytes {
                    try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<max(room, 1)]))
                }
            } catch let error as SocketError where error.isDisconnect {
                return .eof(partial: buffer.count > start)
            } catch let error as SocketError where error.isTimeout {
                continue
            } catch let error as SocketError {
                throw DRDError(.io, "unable to read from control socket: \(error)")
            }
            if let fd = received.fd {
                // One descriptor per request: a second one before the line ends is closed.
                if pendingFD == nil { pendingFD = fd } else { _ = close(fd) }
            }
            if received.count == 0 { return .eof(partial: buffer.count > start) }
            buffer.append(contentsOf: chunk[0..<received.count])
        }
    }
}
