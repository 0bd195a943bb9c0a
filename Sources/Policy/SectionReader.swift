import Foundation
import Support

/// Reads typed values out of one INI section against a schema, collecting diagnostics instead of
/// stopping at the first problem (so `drctl policy check` reports everything at once).
struct SectionReader {
    let section: IniSection
    let known: [String]
    var diagnostics: [ConfigDiagnostic] = []

    /// Checks for unknown keys (suggesting the closest known one) and for keys given twice that
    /// may appear only once.
    init(_ section: IniSection, known: [String], repeatable: Set<String> = []) {
        self.section = section
        self.known = known
        var seen: [String: SourceLocation] = [:]
        for entry in section.entries {
            guard known.contains(entry.key) else {
                let hint = Suggest.closest(to: entry.key, in: known).map { "did you mean '\($0)'?" }
                    ?? "known keys: \(known.joined(separator: ", "))"
                diagnostics.append(.init(entry.location, "unknown key '\(entry.key)' in [\(section.name)]", hint: hint))
                continue
            }
            if let first = seen[entry.key], !repeatable.contains(entry.key) {
                diagnostics.append(.init(entry.location, "key '\(entry.key)' set twice in [\(section.name)] (first at line \(first.line))",
                                         hint: "keep one of the two lines"))
            }
            seen[entry.key] = seen[entry.key] ?? entry.location
        }
    }

    mutating func error(_ entry: IniEntry, _ message: String, hint: String? = nil) {
        diagnostics.append(.init(entry.location, message, hint: hint ?? Self.commentHint(entry)))
    }

    /// Values cannot carry trailing comments; say so when a rejected value looks like it has one.
    static func commentHint(_ entry: IniEntry) -> String? {
        entry.raw.contains(" #") || entry.raw.contains(" ;") || entry.raw.contains("\t#")
            ? "comments must be on their own line; '#' inside a value is part of the value" : nil
    }

    /// The (last-wins is never needed: duplicates are already errors) first entry for `key`.
    func entry(_ key: String) -> IniEntry? { section.first(key) }

    /// A required non-empty value.
    mutating func required(_ key: String, what: String) -> IniEntry? {
        guard let e = entry(key) else {
            diagnostics.append(.init(section.location, "missing required key '\(key)' in [\(section.name)]",
                                     hint: "add '\(key) = ...': \(what)"))
            return nil
        }
        if e.isUnresolved { return nil }
        guard !e.value.isEmpty else {
            error(e, "empty value for '\(key)'", hint: what)
            return nil
        }
        return e
    }

    /// An optional value; empty counts as unset.
    func optional(_ key: String) -> IniEntry? {
        guard let e = entry(key), !e.value.isEmpty, !e.isUnresolved else { return nil }
        return e
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let e = optional(key) else { return nil }
        switch e.value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            error(e, "invalid \(key) '\(e.value)': expected true or false")
            return nil
        }
    }

    mutating func integer(_ key: String, range: ClosedRange<Int>) -> Int? {
        guard let e = optional(key) else { return nil }
        guard let n = Int(e.value) else {
            error(e, "invalid \(key) '\(e.value)': expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        guard range.contains(n) else {
            error(e, "\(key) \(n) out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return n
    }

    /// A positive duration such as `30d`, `1h`, `1h30m`, `2w`.
    mutating func duration(_ key: String) -> TimeInterval? {
        guard let e = optional(key) else { return nil }
        guard let seconds = DurationText.parse(e.value), seconds > 0 else {
            error(e, "invalid duration '\(e.value)' for \(key): expected a positive duration like 30d, 12h, 90m, 1h30m or 2w")
            return nil
        }
        return seconds
    }

    /// An absolute path; relative paths are rejected because the daemon's working directory is `/`.
    mutating func absolutePath(_ key: String) -> String? {
        guard let e = optional(key) else { return nil }
        guard e.value.hasPrefix("/") else {
            error(e, "\(key) '\(e.value)' must be an absolute path")
            return nil
        }
        return e.value
    }
}

/// Names of policies and environments: they become store prefixes, database-name suffixes and CLI
/// arguments, so keep them to a portable alphabet.
enum Names {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= 63 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    static let rule = "1-63 letters, digits, '_' or '-', starting with a letter or digit"
}
