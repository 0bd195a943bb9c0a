/// Removes secrets from text that may reach a log, an error or a reply.
public enum Redact {
    /// Keys whose values are secrets in libpq conninfo strings, URIs and configs.
    static let secretKeys = ["password", "secret", "token", "sslpassword", "aws_secret_access_key",
                             "aws_session_token", "x-amz-security-token", "signature", "credential"]

    /// Redacts a libpq conninfo (`key=value ...`) or URI (`postgresql://user:pw@host/db?password=x`).
    public static func conninfo(_ text: String) -> String {
        var out = text
        // URI userinfo: scheme://user:password@host
        if let schemeEnd = out.range(of: "://") {
            let rest = out[schemeEnd.upperBound...]
            if let at = rest.firstIndex(of: "@"),
               let colon = rest[..<at].firstIndex(of: ":") {
                out.replaceSubrange(out.index(after: colon)..<at, with: "***")
            }
        }
        return keyValues(out)
    }

    /// Redacts `key=value` and `key: value` pairs whose key names a secret.
    public static func keyValues(_ text: String) -> String {
        var result = ""
        var index = text.startIndex
        let lower = text.lowercased()
        while index < text.endIndex {
            var matched = false
            for key in secretKeys {
                let offset = text.distance(from: text.startIndex, to: index)
                let lowerIndex = lower.index(lower.startIndex, offsetBy: offset)
                guard lower[lowerIndex...].hasPrefix(key) else { continue }
                // require a word boundary before the key
                if index > text.startIndex {
                    let prev = text[text.index(before: index)]
                    if prev.isLetter || prev.isNumber || prev == "_" { continue }
                }
                var cursor = text.index(index, offsetBy: key.count)
                while cursor < text.endIndex, text[cursor] == " " { cursor = text.index(after: cursor) }
                guard cursor < text.endIndex, text[cursor] == "=" || text[cursor] == ":" else { continue }
                cursor = text.index(after: cursor)
                while cursor < text.endIndex, text[cursor] == " " { cursor = text.index(after: cursor) }
                result += text[index..<cursor]
                result += "***"
                // skip the value: quoted or up to whitespace/&/;/,
                if cursor < text.endIndex, text[cursor] == "'" || text[cursor] == "\"" {
                    let quote = text[cursor]
                    cursor = text.index(after: cursor)
                    while cursor < text.endIndex, text[cursor] != quote {
                        if text[cursor] == "\\" { cursor = text.index(after: cursor); if cursor == text.endIndex { break } }
                        cursor = text.index(after: cursor)
                    }
                    if cursor < text.endIndex { cursor = text.index(after: cursor) }
                } else {
                    while cursor < text.endIndex, !" &;,\n\t".contains(text[cursor]) { cursor = text.index(after: cursor) }
                }
                index = cursor
                matched = true
                break
            }
            if !matched {
                result.append(text[index])
                index = text.index(after: index)
            }
        }
        return result
    }
}
