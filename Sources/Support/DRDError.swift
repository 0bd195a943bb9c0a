/// The one error type every drd module throws.
///
/// A stable `code` for programs (exit codes, JSON replies) and one lowercase message for people that
/// names the object and place (`unable to open '/x': permission denied`), plus a hint when the fix is
/// known. Messages must never contain secrets (passwords, secret keys, tokens): build them from
/// redacted values (see `Redact`).
public struct DRDError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Stable machine-readable category; also drives `drctl`'s exit code.
    public enum Code: String, Sendable, Codable, CaseIterable {
        case usage            // bad command line
        case config           // invalid configuration or policy
        case connection       // cannot reach or authenticate to PostgreSQL
        case query            // a statement failed on the server
        case permission       // not allowed (database privilege, socket peer, file mode)
        case lockTimeout      // a lock could not be taken in time
        case io               // local file or socket I/O
        case storage          // object store failure (S3, file store)
        case notFound         // a named thing does not exist
        case corrupt          // input is damaged (bad gzip, checksum mismatch, truncated)
        case cancelled        // stopped on request
        case timeout          // an operation took too long
        case conflict         // something already exists / is running
        case protocolError    // malformed request or reply
        case notCompliant     // RPO/RTO verdict (exit 3)
        case `internal`       // a bug
    }

    public var code: Code
    public var message: String
    public var hint: String?

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String {
        guard let hint else { return message }
        return "\(message)\nhint: \(hint)"
    }

    /// `drctl` exit code for this error: 2 usage/config, 3 not compliant, 1 everything else.
    public var exitCode: Int32 {
        switch code {
        case .usage, .config: return 2
        case .notCompliant: return 3
        default: return 1
        }
    }

    /// Prefixes the message with context, keeping code and hint: `dumping table "a"."b": <message>`.
    public func context(_ prefix: String) -> DRDError {
        DRDError(code, "\(prefix): \(message)", hint: hint)
    }
}

extension DRDError {
    /// An error from a failed system call, reading errno's text.
    public static func posix(_ what: String, errno err: Int32, code: Code = .io) -> DRDError {
        DRDError(code, "\(what): \(errnoText(err))")
    }
}

/// strerror text, lowercased first letter to match drd's message style.
public func errnoText(_ err: Int32) -> String {
    let text = String(cString: strerror(err))
    guard let first = text.first else { return "error \(err)" }
    return first.lowercased() + text.dropFirst()
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
