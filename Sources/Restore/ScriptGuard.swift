import Support

/// Statements a script must not run when it is loaded into an existing database.
///
/// `pg_dump --create --clean` output starts with `DROP DATABASE x; CREATE DATABASE x; \connect x`:
/// loaded into some other database, the DROP would destroy the live database the script names
/// before the `\connect` refusal is ever reached. So when `\connect` is not allowed, cluster-level
/// statements are refused before they run.
enum ScriptGuard {
    /// The refused command (`DROP DATABASE`) when `statement` is cluster-level, else nil.
    /// Keywords are matched case-insensitively, skipping whitespace and comments between them.
    static func clusterCommand(_ statement: String) -> String? {
        let words = leadingKeywords(statement, count: 2)
        guard words.count == 2 else { return nil }
        switch (words[0], words[1]) {
        case ("DROP", "DATABASE"), ("CREATE", "DATABASE"), ("ALTER", "DATABASE"), ("ALTER", "SYSTEM"),
             ("DROP", "ROLE"), ("DROP", "USER"), ("DROP", "GROUP"), ("DROP", "TABLESPACE"):
            return "\(words[0]) \(words[1])"
        default:
            return nil
        }
    }

    /// The error for a refused statement at `line` of script `name`.
    static func refusal(_ command: String, name: String, line: Int) -> DRDError {
        DRDError(.usage, "\(name) line \(line): refusing \(command) in a script loaded into an existing database",
                 hint: "this looks like pg_dump --create/--clean output; restore it with psql by hand, or dump without -C/-c")
    }

    /// Up to `count` leading bare words, uppercased; stops at the first token that is not a word.
    static func leadingKeywords(_ text: String, count: Int) -> [String] {
        let bytes = Array(text.utf8)
        var words: [String] = []
        var i = 0
        while i < bytes.count && words.count < count {
            let c = bytes[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C {
                i += 1
            } else if c == UInt8(ascii: "-"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "-") {
                while i < bytes.count && bytes[i] != 0x0A { i += 1 }
            } else if c == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                // Block comments nest in PostgreSQL.
                var depth = 1
                i += 2
                while i < bytes.count && depth > 0 {
                    if bytes[i] == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                        depth += 1; i += 2
                    } else if bytes[i] == UInt8(ascii: "*"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "/") {
                        depth -= 1; i += 2
                    } else {
                        i += 1
                    }
                }
            } else if isWordByte(c) {
                let start = i
                while i < bytes.count && isWordByte(bytes[i]) { i += 1 }
                words.append(String(decoding: bytes[start..<i], as: UTF8.self).uppercased())
            } else {
                break
            }
        }
        return words
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
    }
}
