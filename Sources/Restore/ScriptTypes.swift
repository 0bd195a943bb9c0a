import Support

/// How `ScriptExecutor` runs a script.
public struct ScriptOptions: Sendable {
    /// Wraps the whole script in `BEGIN` / `COMMIT` (psql `--single-transaction`); `\connect` is
    /// then refused.
    public var singleTransaction = false
    /// Skips statements that fail only because a role does not exist (`ALTER … OWNER TO x`,
    /// `GRANT … TO x`: SQLSTATE 42704 `role "x" does not exist`) and reports them in the result.
    public var skipMissingRoles = false
    /// Skips `CREATE ROLE x` when x already exists (SQLSTATE 42710), for a globals script applied
    /// to a cluster that has some of its roles; reported in `ScriptResult.skipped`.
    public var skipExistingRoles = false
    /// Follows `\connect db` (pg_dump `--create` output) by reconnecting to that database on the
    /// same server; when false, `\connect` to another database is an error, and so is any
    /// cluster-level statement (`DROP/CREATE/ALTER DATABASE`, `ALTER SYSTEM`, `DROP ROLE`,
    /// `DROP TABLESPACE`), refused before it runs.
    public var allowConnect = false
    /// Checked between statements and between batches of COPY rows.
    public var token: CancellationToken?
    /// Called after each statement and each batch of COPY data.
    public var progress: (@Sendable (ScriptProgress) -> Void)?
    /// The script's name for messages (a file name, or `member 3 (public.t chunk 0)`).
    public var name = "script"

    public init(singleTransaction: Bool = false, skipMissingRoles: Bool = false, allowConnect: Bool = false,
                token: CancellationToken? = nil, progress: (@Sendable (ScriptProgress) -> Void)? = nil,
                name: String = "script") {
        self.singleTransaction = singleTransaction
        self.skipMissingRoles = skipMissingRoles
        self.allowConnect = allowConnect
        self.token = token
        self.progress = progress
        self.name = name
    }
}

/// Running totals reported to `ScriptOptions.progress`.
public struct ScriptProgress: Sendable, Equatable {
    /// Statements executed (COPY included; skipped ones not).
    public var statements: Int
    /// Bytes of script text consumed.
    public var bytesRead: Int64
    /// COPY data rows sent so far, all tables.
    public var rowsCopied: Int64
}

/// A statement skipped under `skipMissingRoles`.
public struct SkippedStatement: Sendable, Equatable {
    /// Line where the statement starts.
    public var line: Int
    /// Its first ~80 characters on one line.
    public var excerpt: String
    /// Why it was skipped (the server's message).
    public var reason: String
}

/// What a script run did.
public struct ScriptResult: Sendable, Equatable {
    /// Statements executed successfully (COPY included).
    public var statements = 0
    /// Rows loaded per COPY target as written in the script (`public.actor`), summed over blocks.
    public var rowsCopied: [String: Int64] = [:]
    /// Statements skipped because a role is missing.
    public var skipped: [SkippedStatement] = []
    /// The missing roles those statements named, sorted, without duplicates.
    public var missingRoles: [String] = []
    /// Bytes of script text read.
    public var bytesRead: Int64 = 0
    /// The database the script ended on (differs from the start after `\connect`).
    public var database = ""

    public init() {}

    /// Total COPY rows over all tables.
    public var totalRows: Int64 { rowsCopied.values.reduce(0, +) }
}

enum ScriptText {
    /// First ~80 characters of a statement on one line, for messages.
    static func excerpt(_ text: String, limit: Int = 80) -> String {
        var out = ""
        var lastSpace = false
        for ch in text {
            if ch.isWhitespace {
                if !lastSpace && !out.isEmpty { out.append(" ") }
                lastSpace = true
            } else {
                out.append(ch)
                lastSpace = false
            }
            if out.count >= limit { return out + "…" }
        }
        return out
    }

    /// The target of `COPY target [(cols)] FROM stdin`, as written: `public.actor`.
    static func copyTarget(_ statement: String) -> String {
        var rest = Substring(statement).drop(while: { $0.isWhitespace })
        rest = rest.dropFirst(4).drop(while: { $0.isWhitespace })  // "COPY"
        var out = ""
        var inQuotes = false
        for ch in rest {
            if ch == "\"" { inQuotes.toggle() }
            if !inQuotes && (ch.isWhitespace || ch == "(" || ch == ";") { break }
            out.append(ch)
        }
        return out
    }

    /// The new value when `statement` is `SET [SESSION|LOCAL] standard_conforming_strings = on|off`
    /// (or `TO`, `RESET`), else nil.
    static func standardConformingStrings(after statement: String) -> Bool? {
        let lower = statement.lowercased()
        guard lower.contains("standard_conforming_strings") else { return nil }
        let words = lower.split(whereSeparator: { $0.isWhitespace || $0 == "=" || $0 == ";" || $0 == "'" })
        guard let first = words.first else { return nil }
        if first == "reset" { return true }
        guard first == "set" else { return nil }
        var i = 1
        if i < words.count && (words[i] == "session" || words[i] == "local") { i += 1 }
        guard i < words.count, words[i] == "standard_conforming_strings" else { return nil }
        i += 1
        if i < words.count && words[i] == "to" { i += 1 }
        guard i < words.count else { return nil }
        switch words[i] {
        case "on", "true", "yes", "1", "default": return true
        case "off", "false", "no", "0": return false
        default: return nil
        }
    }

    /// The role named by `role "x" does not exist` (SQLSTATE 42704), else nil.
    static func missingRole(in error: DRDError) -> String? {
        guard error.sqlState == "42704" else { return nil }
        let message = error.message
        guard let open = message.range(of: "role \""),
              let close = message.range(of: "\" does not exist", range: open.upperBound..<message.endIndex)
        else { return nil }
        return String(message[open.upperBound..<close.lowerBound])
    }

    /// `CREATE ROLE` / `CREATE USER` failing because the role exists.
    static func isExistingRole(_ error: DRDError, _ statement: String) -> Bool {
        guard error.sqlState == "42710" else { return false }
        let words = statement.uppercased().split(whereSeparator: { $0.isWhitespace }).prefix(2)
        return words.first == "CREATE" && (words.last == "ROLE" || words.last == "USER")
    }

    /// Statements that can name a role (worth a savepoint when missing roles may be skipped).
    static func mayNameRole(_ statement: String) -> Bool {
        let upper = statement.uppercased()
        return ["OWNER TO", "GRANT", "REVOKE", "AUTHORIZATION", "ROLE", "POLICY", "USER MAPPING"]
            .contains { upper.contains($0) }
    }
}
