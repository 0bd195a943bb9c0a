import Support

/// A place in a configuration file, for `file:line` diagnostics.
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One `key = value` line: the value after `${VAR}` expansion, the text as written, and where it was.
public struct IniEntry: Sendable, Equatable {
    public var key: String
    /// The value with `${VAR}` expanded and surrounding whitespace trimmed.
    public var value: String
    /// The value as written in the file (before expansion); lets validation tell literal secrets from `${VAR}`.
    public var raw: String
    public var location: SourceLocation
    /// `${VAR}` expansion failed (already reported); the value is empty and must not be validated again.
    public var isUnresolved: Bool = false
}

/// One `[name]` section and its entries in file order (repeated keys are kept, in order).
public struct IniSection: Sendable, Equatable {
    /// The header text, e.g. `daemon`, `policy`, `environment.staging`.
    public var name: String
    public var location: SourceLocation
    public var entries: [IniEntry]

    /// Every entry for `key`, in file order (`drill_check` may repeat).
    public func all(_ key: String) -> [IniEntry] { entries.filter { $0.key == key } }

    /// The first entry for `key`, if any.
    public func first(_ key: String) -> IniEntry? { entries.first { $0.key == key } }
}

/// A parsed INI file in the dialect drd uses (pgbackrest.conf / systemd-unit style).
///
/// Rules (see docs/configuration.md):
/// - `[section]` headers; `key = value` lines; keys are `[A-Za-z][A-Za-z0-9_]*`.
/// - Comments are WHOLE lines whose first non-blank character is `#` or `;`. There are no trailing
///   comments: `#` and `;` inside a value are kept, because cron steps, SQL in `drill_check`
///   (`;`, jsonb `#>`), passwords in service names and URLs legitimately contain them.
/// - `${VAR}` in a value expands from the injected environment; an unset variable is an error;
///   `$${` writes a literal `${`; any other `$` is literal (SQL `$1`, `$$`).
/// - A repeated key stays repeated, in order; whether that is allowed is the schema's decision.
/// - A repeated `[section]` header is an error (it is almost always a copy-paste mistake).
public struct IniFile: Sendable, Equatable {
    public var path: String
    public var sections: [IniSection]

    /// The first section named `name`.
    public func section(_ name: String) -> IniSection? { sections.first { $0.name == name } }

    /// Parses `text`, throwing the first problem as a `.config` error `path:line: message`.
    public static func parse(_ text: String, path: String, environment: [String: String] = [:]) throws -> IniFile {
        let (file, problems) = parseCollecting(text, path: path, environment: environment)
        if let first = problems.first {
            throw DRDError(.config, first.description, hint: first.hint)
        }
        return file
    }

    /// Parses `text`, keeping every line it can and returning all problems (for `drctl policy check`).
    public static func parseCollecting(_ text: String, path: String,
                                       environment: [String: String]) -> (IniFile, [ConfigDiagnostic]) {
        var sections: [IniSection] = []
        var problems: [ConfigDiagnostic] = []
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        // "\r\n" is one Character in Swift, so split on it explicitly (CRLF files from Windows editors).
        let lines = body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        for (index, rawLine) in lines.enumerated() {
            let location = SourceLocation(file: path, line: index + 1)
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count >= 2 else {
                    let hint = line.contains("#") || line.contains(";") ? "comments must be on their own line" : nil
                    problems.append(.init(location, "invalid section header '\(line)': expected [name]", hint: hint))
                    continue
                }
                let name = String(line.dropFirst().dropLast()).trimmingWhitespace()
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) })
                else {
                    problems.append(.init(location, "invalid section name '[\(name)]'",
                                          hint: "section names use letters, digits, '_', '-' and '.', e.g. [environment.staging]"))
                    continue
                }
                if let earlier = sections.firstIndex(where: { $0.name == name }) {
                    problems.append(.init(location, "section [\(name)] repeated (first at line \(sections[earlier].location.line))",
                                          hint: "merge the two sections into one"))
                    // Keep collecting into the earlier section so its keys are still checked.
                    sections.append(sections.remove(at: earlier))
                    continue
                }
                sections.append(IniSection(name: name, location: location, entries: []))
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                problems.append(.init(location, "expected 'key = value', a [section] header or a comment, found '\(Redact.keyValues(String(line.prefix(40))))'"))
                continue
            }
            let key = String(line[..<equals]).trimmingWhitespace()
            let raw = String(line[line.index(after: equals)...]).trimmingWhitespace()
            guard let first = key.first, first.isASCII, first.isLetter,
                  key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else {
                problems.append(.init(location, "invalid key '\(key)': keys are letters, digits and '_'"))
                continue
            }
            guard !sections.isEmpty else {
                problems.append(.init(location, "key '\(key)' outside any section",
                                      hint: "put a [section] header such as [policy] or [daemon] above it"))
                continue
            }
            let value: String
            switch expand(raw, environment: environment) {
            case .success(let expanded): value = expanded
            case .failure(let problem):
                problems.append(.init(location, "\(key): \(problem.message)", hint: problem.hint))
                // Keep the key (unresolved) so it does not also show up as missing.
                sections[sections.count - 1].entries.append(
                    IniEntry(key: key, value: "", raw: raw, location: location, isUnresolved: true))
                continue
            }
            sections[sections.count - 1].entries.append(
                IniEntry(key: key, value: value, raw: raw, location: location))
        }
        return (IniFile(path: path, sections: sections), problems)
    }

    struct ExpansionProblem: Error {
        var message: String
        var hint: String?
    }

    /// Expands `${VAR}` from `environment`; `$${` is a literal `${`; other `$` are literal.
    static func expand(_ text: String, environment: [String: String]) -> Result<String, ExpansionProblem> {
        guard text.contains("$") else { return .success(text) }
        var out = ""
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                out += "${"
                i += 3
                continue
            }
            if c == "$", i + 1 < chars.count, chars[i + 1] == "{" {
                guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                    return .failure(.init(message: "unterminated '${' in value",
                                          hint: "write ${NAME}, or $${ for a literal '${'"))
                }
                let name = String(chars[(i + 2)..<close])
                guard let head = name.first, head.isASCII, head.isLetter || head == "_",
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                else {
                    return .failure(.init(message: "invalid variable name '${\(name)}'",
                                          hint: "variable names are letters, digits and '_'; write $${ for a literal '${'"))
                }
                guard let value = environment[name] else {
                    return .failure(.init(message: "environment variable '\(name)' is not set",
                                          hint: "set \(name) in the daemon's environment, e.g. with Environment= in drd.service, or write $${ for a literal '${'"))
                }
                out += value
                i = close + 1
                continue
            }
            out.append(c)
            i += 1
        }
        return .success(out)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }),
              let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
