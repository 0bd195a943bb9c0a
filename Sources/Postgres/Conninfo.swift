import CLibPQ
import Support

/// Conninfo helpers built on libpq's own parser, so every syntax libpq accepts (key=value, URIs)
/// behaves the same.
public enum Conninfo {
    /// The same connection settings pointed at another database, as a `key=value` string.
    /// Works for URIs too. The result may carry a password from the input: never log it.
    public static func replacingDatabase(_ conninfo: String, with dbname: String) throws -> String {
        var err: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &err) else {
            let message = err.map { String(cString: $0) } ?? "unparsable"
            if let err { PQfreemem(err) }
            throw DRDError(.config, "invalid connection string \(Connection.describe(conninfo: "")): \(Connection.firstLine(message))")
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var p = options
        while let keyword = p.pointee.keyword {
            let key = String(cString: keyword)
            if key != "dbname", let val = p.pointee.val {
                parts.append("\(key)=\(quote(String(cString: val)))")
            }
            p += 1
        }
        parts.append("dbname=\(quote(dbname))")
        return parts.joined(separator: " ")
    }

    /// The database a conninfo names (after libpq's parse), or nil.
    public static func database(_ conninfo: String) -> String? {
        Connection.parseConninfo(conninfo)?["dbname"]
    }

    /// Quotes a conninfo value: `'it\'s'`.
    public static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
