/// One finding of configuration validation: `file:line: message`, plus what would be valid.
///
/// Errors make a configuration unusable (the daemon refuses to start or keeps its last good set on
/// reload; `drctl policy check` exits 2). Warnings are printed but do not block.
public struct ConfigDiagnostic: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable {
        case error
        case warning
    }

    public var severity: Severity
    public var file: String
    /// 1-based line; 0 when the problem concerns the whole file (e.g. a missing section).
    public var line: Int
    /// Lowercase, names the key or object and, where it helps, what would be valid.
    public var message: String
    /// How to fix it, when known (e.g. "did you mean 'retention'?").
    public var hint: String?

    public init(_ location: SourceLocation, _ message: String, hint: String? = nil, severity: Severity = .error) {
        self.severity = severity
        self.file = location.file
        self.line = location.line
        self.message = message
        self.hint = hint
    }

    public init(file: String, line: Int, _ message: String, hint: String? = nil, severity: Severity = .error) {
        self.init(SourceLocation(file: file, line: line), message, hint: hint, severity: severity)
    }

    public var isError: Bool { severity == .error }

    /// `1 error, 2 warnings`, `1 warning`, or `no problems` — counted and pluralised for summaries
    /// such as drctl's `ok: drd.conf (1 warning)`.
    public static func summary(_ diagnostics: [ConfigDiagnostic]) -> String {
        let errors = diagnostics.filter(\.isError).count
        let warnings = diagnostics.count - errors
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        var parts: [String] = []
        if errors > 0 { parts.append(count(errors, "error")) }
        if warnings > 0 { parts.append(count(warnings, "warning")) }
        return parts.isEmpty ? "no problems" : parts.joined(separator: ", ")
    }

    /// `policies/x.conf:7: invalid schedule 'dialy 03:00': expected ...` — with `(hint: ...)` appended
    /// when there is one, and `warning:` before warnings; one line, as compilers print.
    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        let tag = severity == .warning ? "warning: " : ""
        let tail = hint.map { " (\($0))" } ?? ""
        return "\(place): \(tag)\(message)\(tail)"
    }
}

/// Spelling suggestions for unknown keys and sections.
enum Suggest {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(lower, candidate)
            if d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        guard let (candidate, d) = best else { return nil }
        // Allow roughly one edit per three characters, at least two.
        return d <= max(2, candidate.count / 3) ? candidate : nil
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
