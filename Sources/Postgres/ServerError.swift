import CLibPQ
import Support

/// The fields of an error reported by the server (`ErrorResponse`).
public struct ServerError: Sendable, CustomStringConvertible {
    public var sqlState: String
    public var severity: String
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character position in the statement, when the server reports one.
    public var position: Int?

    init(result: OpaquePointer, fallback: String) {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        // PG_DIAG_* are character constants in postgres_ext.h ('C', 'S', 'M', 'D', 'H', 'P').
        sqlState = field(Int32(UInt8(ascii: "C"))) ?? "XX000"
        severity = field(Int32(UInt8(ascii: "V"))) ?? field(Int32(UInt8(ascii: "S"))) ?? "ERROR"
        message = field(Int32(UInt8(ascii: "M"))) ?? fallback
        detail = field(Int32(UInt8(ascii: "D")))
        hint = field(Int32(UInt8(ascii: "H")))
        position = field(Int32(UInt8(ascii: "P"))).flatMap { Int($0) }
    }

    public var description: String { "\(message) (SQLSTATE \(sqlState))" }

    /// Maps SQLSTATE classes to drd error codes.
    public var code: DRDError.Code {
        switch sqlState {
        case "42501": return .permission
        case "55P03": return .lockTimeout
        case "57014": return .cancelled
        case "3D000", "42P01", "42704", "3F000": return .notFound
        case "42P04", "42710", "42P07": return .conflict
        default:
            if sqlState.hasPrefix("08") || sqlState.hasPrefix("28") || sqlState.hasPrefix("57P") { return .connection }
            return .query
        }
    }

    func asDRDError(on target: String) -> DRDError {
        var text = message
        if let detail { text += " (\(detail))" }
        text += " [SQLSTATE \(sqlState)]"
        return DRDError(code, Redact.keyValues(text), hint: hint)
    }
}

extension DRDError {
    /// The SQLSTATE embedded in a server error's message, if any.
    public var sqlState: String? {
        guard let range = message.range(of: "[SQLSTATE ", options: .backwards) else { return nil }
        let rest = message[range.upperBound...]
        return rest.firstIndex(of: "]").map { String(rest[..<$0]) }
    }
}
