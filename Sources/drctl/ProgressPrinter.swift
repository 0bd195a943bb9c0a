import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Shows progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise
/// (so logs and CI output stay readable).
final class ProgressPrinter: @unchecked Sendable {
    private let isTerminal = isatty(2) == 1
    private let lock = NSLock()
    private var lastPlain = Date()  // first plain line after 5 s: short runs stay quiet
    private var drewBar = false
    let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    /// `fraction` nil draws no bar; `detail` is the rest of the line.
    func show(phase: String, fraction: Double?, detail: String) {
        guard !quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        if isTerminal {
            var line = "\(phase.padding(toLength: 10, withPad: " ", startingAt: 0))"
            if let fraction {
                let width = 24
                let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
                line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
                line += String(format: "%3d%% ", Int(fraction * 100))
            }
            line += detail
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            drewBar = true
        } else if Date().timeIntervalSince(lastPlain) >= 5 {
            lastPlain = Date()
            FileHandle.standardError.write(Data("\(phase): \(detail)\n".utf8))
        }
    }

    /// Ends the bar line and prints a final message.
    func finish(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        if drewBar { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drewBar = false
        if !message.isEmpty { FileHandle.standardError.write(Data("\(message)\n".utf8)) }
    }
}

enum Format {
    static func rate(_ count: Int64, since start: Date) -> String {
        let seconds = max(Date().timeIntervalSince(start), 0.001)
        return ByteCount.format(Int64(Double(count) / seconds)) + "/s"
    }
}

/// Cancels a token on SIGINT/SIGTERM so the engine can abort uploads and leave nothing behind.
/// Keep the returned sources alive for as long as the handlers should stay installed.
enum SignalCancellation {
    static func install(_ token: CancellationToken) -> [DispatchSourceSignal] {
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { token.cancel(sig == SIGINT ? "interrupted" : "terminated") }
            source.resume()
            sources.append(source)
        }
        return sources
    }
}
