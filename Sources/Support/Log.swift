#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One line per event on stderr: `2026-11-21T03:00:00Z info backup: committed ... policy=x`.
///
/// Callers pass values, never secrets; `Redact` is applied to the whole line as a last guard.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var name: String { ["debug", "info", "warning", "error"][rawValue] }
    }

    public let component: String
    public let minimum: Level

    public init(_ component: String, minimum: Level = .info) {
        self.component = component
        if let env = ProcessInfo.processInfo.environment["DRD_LOG_LEVEL"],
           let level = ["debug": Level.debug, "info": .info, "warning": .warning, "error": .error][env] {
            self.minimum = level
        } else {
            self.minimum = minimum
        }
    }

    public func log(_ level: Level, _ message: String, _ fields: [(String, String)] = []) {
        guard level >= minimum else { return }
        var line = "\(Timestamp.iso8601(Date())) \(level.name) \(component): \(message)"
        for (key, value) in fields {
            let needsQuote = value.contains(" ") || value.isEmpty
            line += " \(key)=" + (needsQuote ? "\"\(value)\"" : value)
        }
        line = Redact.keyValues(line) + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func debug(_ m: String, _ f: [(String, String)] = []) { log(.debug, m, f) }
    public func info(_ m: String, _ f: [(String, String)] = []) { log(.info, m, f) }
    public func warning(_ m: String, _ f: [(String, String)] = []) { log(.warning, m, f) }
    public func error(_ m: String, _ f: [(String, String)] = []) { log(.error, m, f) }
}
