import CLibPQ
import Support

/// A result copied out of a `PGresult` (text format), so it owns no C memory.
public struct QueryResult: Sendable {
    public let columns: [String]
    /// Row-major values; nil is SQL NULL.
    public let rows: [[String?]]
    /// The command tag, e.g. `INSERT 0 1`, `COPY 42`.
    public let commandTag: String
    private let columnIndex: [String: Int]

    init(_ result: OpaquePointer) {
        let nFields = Int(PQnfields(result))
        let nRows = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(nFields)
        for c in 0..<nFields { columns.append(String(cString: PQfname(result, Int32(c)))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(nRows)
        for r in 0..<nRows {
            var row: [String?] = []
            row.reserveCapacity(nFields)
            for c in 0..<nFields {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            rows.append(row)
        }
        self.columns = columns
        self.rows = rows
        self.commandTag = String(cString: PQcmdStatus(result))
        var index: [String: Int] = [:]
        for (i, name) in columns.enumerated() where index[name] == nil { index[name] = i }
        self.columnIndex = index
    }

    public var count: Int { rows.count }

    public subscript(row: Int, column: Int) -> String? { rows[row][column] }

    public subscript(row: Int, column: String) -> String? {
        guard let c = columnIndex[column] else { preconditionFailure("no column '\(column)' in result") }
        return rows[row][c]
    }

    /// Rows as name-addressable views.
    public var records: [Record] { rows.map { Record(values: $0, index: columnIndex) } }

    /// Number of rows affected, from the command tag (`UPDATE 3` → 3).
    public var affectedRows: Int { Int(commandTag.split(separator: " ").last ?? "") ?? 0 }
}

/// One row, addressable by column name.
public struct Record: Sendable {
    let values: [String?]
    let index: [String: Int]

    /// The value of `column`, nil for SQL NULL. A missing column is a programming error.
    public subscript(column: String) -> String? {
        guard let i = index[column] else { preconditionFailure("no column '\(column)' in record") }
        return values[i]
    }

    /// Non-null text value, or "" for NULL.
    public func string(_ column: String) -> String { self[column] ?? "" }

    /// `t`/`f` booleans as PostgreSQL prints them.
    public func bool(_ column: String) -> Bool { self[column] == "t" }

    public func int(_ column: String) -> Int { Int(self[column] ?? "") ?? 0 }

    public func int64(_ column: String) -> Int64 { Int64(self[column] ?? "") ?? 0 }

    /// A PostgreSQL text array literal (`{a,"b c"}`) decoded to strings (one level; NULL → nil).
    public func array(_ column: String) -> [String?] { PGArray.parse(self[column] ?? "{}") }

    public func hasColumn(_ column: String) -> Bool { index[column] != nil }
}

/// Parses one-dimensional PostgreSQL array text output.
public enum PGArray {
    public static func parse(_ text: String) -> [String?] {
        var chars = Array(text.utf8)
        // Skip an optional dimension decoration like "[0:1]=".
        if chars.first == UInt8(ascii: "["), let eq = chars.firstIndex(of: UInt8(ascii: "=")) {
            chars = Array(chars[(eq + 1)...])
        }
        guard chars.count >= 2, chars.first == UInt8(ascii: "{"), chars.last == UInt8(ascii: "}") else { return [] }
        var out: [String?] = []
        var i = 1
        let end = chars.count - 1
        if i == end { return [] }
        while i <= end {
            var item: [UInt8] = []
            var quoted = false
            if chars[i] == UInt8(ascii: "\"") {
                quoted = true
                i += 1
                while i < end, chars[i] != UInt8(ascii: "\"") {
                    if chars[i] == UInt8(ascii: "\\") { i += 1 }
                    if i < end { item.append(chars[i]) }
                    i += 1
                }
                i += 1 // closing quote
            } else {
                while i < end, chars[i] != UInt8(ascii: ",") {
                    item.append(chars[i])
                    i += 1
                }
            }
            let value = String(decoding: item, as: UTF8.self)
            out.append(!quoted && value == "NULL" ? nil : value)
            i += 1 // comma or closing brace
        }
        return out
    }
}
