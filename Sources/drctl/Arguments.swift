import Support

/// A small, strict command-line parser: `--flag`, `--key value`, `--key=value`, positionals.
/// Unknown options are usage errors that name the option and the verb.
struct Arguments {
    private(set) var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []
    let verb: String

    /// `valued` options take a value; `switches` do not.
    init(_ argv: [String], verb: String, valued: Set<String>, switches: Set<String>) throws {
        self.verb = verb
        var i = 0
        var onlyPositionals = false
        while i < argv.count {
            let arg = argv[i]
            i += 1
            if onlyPositionals || !arg.hasPrefix("--") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            var name = String(arg.dropFirst(2))
            var inline: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if switches.contains(name) {
                guard inline == nil else { throw DRDError(.usage, "option --\(name) of 'drctl \(verb)' takes no value") }
                flags.insert(name)
            } else if valued.contains(name) {
                let value: String
                if let inline { value = inline } else {
                    guard i < argv.count else { throw DRDError(.usage, "option --\(name) of 'drctl \(verb)' needs a value") }
                    value = argv[i]
                    i += 1
                }
                values[name, default: []].append(value)
            } else {
                let known = (valued.union(switches)).sorted().map { "--\($0)" }.joined(separator: ", ")
                throw DRDError(.usage, "unknown option --\(name) for 'drctl \(verb)'",
                               hint: known.isEmpty ? "this verb takes no options" : "valid options: \(known)")
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }

    func int(_ name: String, default def: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = value(name) else { return def }
        guard let n = Int(text), range.contains(n) else {
            throw DRDError(.usage, "invalid --\(name) '\(text)' for 'drctl \(verb)': expected a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// Exactly `count` positionals, named for the error message.
    func expect(_ names: [String], optional: [String] = []) throws -> [String] {
        guard positionals.count >= names.count, positionals.count <= names.count + optional.count else {
            let usage = (names + optional.map { "[\($0)]" }).joined(separator: " ")
            throw DRDError(.usage, "'drctl \(verb)' expects \(usage), got \(positionals.count) argument\(positionals.count == 1 ? "" : "s")")
        }
        return positionals
    }
}
