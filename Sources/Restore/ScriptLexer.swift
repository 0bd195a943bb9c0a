import Support

/// One complete SQL statement found in a script.
public struct ScriptStatement: Sendable, Equatable {
    /// The statement text with leading whitespace and comments removed (trailing `;` kept).
    public var text: String
    /// 1-based line where the statement starts.
    public var line: Int
    /// True for `COPY … FROM stdin`: data lines up to `\.` follow the statement.
    public var isCopyFromStdin: Bool
}

/// A psql meta-command (`\connect db`) found between statements.
public struct ScriptMetaCommand: Sendable, Equatable {
    /// The command name without the backslash: `connect`, `restrict`, `.`.
    public var name: String
    /// Arguments, de-quoted the way psql does for `\connect`.
    public var arguments: [String]
    public var line: Int
}

/// What the lexer found next.
public enum ScriptItem: Sendable, Equatable {
    case statement(ScriptStatement)
    case meta(ScriptMetaCommand)
}

/// Splits a SQL script into statements and meta-commands the way psql's lexer does
/// (psqlscan.l): `--` and nested `/* */` comments, `'…'` strings (backslash escapes in `E'…'`
/// and when standard_conforming_strings is off), `"identifiers"`, dollar quotes, parenthesis
/// depth, and the `CREATE FUNCTION … BEGIN ATOMIC … END` heuristic. A `;` ends a statement only
/// outside all of those. Streaming: only the current statement is held in memory.
public final class ScriptLexer {
    let input: ScriptInput
    /// Whether plain `'…'` strings treat backslash literally (the server's setting; the executor
    /// updates it when the script runs `SET standard_conforming_strings`).
    public var standardConformingStrings = true
    /// Where the script came from, for messages.
    let name: String

    // State of the statement being collected.
    private var text: [UInt8] = []
    private var startLine = 0
    private var parenDepth = 0
    private var beginDepth = 0
    private var identifiers: [UInt8] = [0, 0, 0, 0]
    private var identifierCount = 0
    private var firstWord = ""
    private var previousWasFrom = false
    private var copyFromStdin = false

    /// - Parameters:
    ///   - source: decompressed SQL text.
    ///   - name: the script's name for messages (a file name or member).
    public init(_ source: ByteSource, name: String = "script") {
        input = ScriptInput(source)
        self.name = name
    }

    /// Bytes consumed so far.
    public var bytesRead: Int64 { input.bytesRead }

    /// The next statement or meta-command, or nil at the end of the script. A statement left
    /// without `;` at the end is returned (psql sends it too); an unterminated quote or comment
    /// is a `.corrupt` error naming the line where it opened.
    public func next() throws -> ScriptItem? {
        while let byte = try input.peek() {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C, 0x0B:
                _ = input.advance()
                if !text.isEmpty { text.append(byte) }
            case 0x2D where try input.peek(1) == 0x2D:  // -- comment
                let comment = try input.restOfLine()
                if !text.isEmpty { text.append(contentsOf: comment); text.append(0x0A) }
            case 0x2F where try input.peek(1) == 0x2A:  // /* comment */
                try blockComment()
            case 0x27:  // '
                begin()
                let escapes = !standardConformingStrings || lastIdentifierIsE()
                try quoted(0x27, backslashEscapes: escapes, what: "string literal")
                noteToken()
            case 0x22:  // "
                begin()
                try quoted(0x22, backslashEscapes: false, what: "quoted identifier")
                noteToken()
            case 0x24:  // $
                begin()
                try dollar()
                noteToken()
            case 0x28:
                begin(); _ = input.advance(); text.append(byte); parenDepth += 1; noteToken()
            case 0x29:
                begin(); _ = input.advance(); text.append(byte)
                if parenDepth > 0 { parenDepth -= 1 }
                noteToken()
            case 0x3B:  // ;
                begin(); _ = input.advance(); text.append(byte)
                noteToken()
                if parenDepth == 0 && beginDepth == 0 { return .statement(try finishStatement()) }
            case 0x5C:  // backslash: a psql meta-command
                return .meta(try metaCommand())
            default:
                if isIdentStart(byte) {
                    begin()
                    try identifier()
                } else if byte >= 0x30 && byte <= 0x39 {
                    begin()
                    while let b = try input.peek(), isIdentChar(b) || b == 0x2E {
                        text.append(input.advance())
                    }
                    noteToken()
                } else {
                    begin(); text.append(input.advance()); noteToken()
                }
            }
        }
        if !text.isEmpty { return .statement(try finishStatement()) }
        return nil
    }

    /// Streams the data of a `COPY … FROM stdin` just returned by `next()`; see `ScriptInput.copyData`.
    public func copyData(statement: ScriptStatement, table: String,
                         sink: (UnsafeRawBufferPointer) throws -> Void,
                         checkpoint: (Int64) throws -> Void = { _ in }) throws -> Int64 {
        // psql reads data from the line after the statement; the rest of its line must be blank.
        let rest = try input.restOfLine()
        if rest.contains(where: { !($0 == 0x20 || $0 == 0x09) }) {
            throw DRDError(.corrupt, "\(name) line \(statement.line): text after COPY … FROM stdin on the same line is not supported")
        }
        return try input.copyData(startLine: statement.line, table: table, sink: sink, checkpoint: checkpoint)
    }

    // MARK: - Statement assembly

    /// Marks the start of a statement at the current position.
    @inline(__always)
    private func begin() {
        if text.isEmpty { startLine = input.line }
    }

    private func finishStatement() throws -> ScriptStatement {
        while let last = text.last, last == 0x20 || last == 0x0A || last == 0x09 || last == 0x0D { text.removeLast() }
        // Statements travel as Swift strings (libpq text): bytes in another client encoding would be
        // silently replaced, so refuse them. COPY data is passed through as raw bytes and is fine.
        guard let decoded = String(validating: text, as: UTF8.self) else {
            throw DRDError(.corrupt, "\(name) line \(startLine): statement is not valid UTF-8",
                           hint: "drd executes UTF-8 scripts; convert the file (iconv -f LATIN1 -t UTF-8) and its SET client_encoding line, or dump with --encoding=UTF8")
        }
        let statement = ScriptStatement(text: decoded, line: startLine, isCopyFromStdin: copyFromStdin)
        text.removeAll(keepingCapacity: text.capacity <= 1 << 20)
        parenDepth = 0
        beginDepth = 0
        identifiers = [0, 0, 0, 0]
        identifierCount = 0
        firstWord = ""
        previousWasFrom = false
        copyFromStdin = false
        return statement
    }

    /// Any token other than an identifier breaks a `FROM stdin` pair.
    @inline(__always)
    private func noteToken() { previousWasFrom = false }

    // MARK: - Tokens

    private func isIdentStart(_ b: UInt8) -> Bool { Self.isIdentStart(b) }
    private func isIdentChar(_ b: UInt8) -> Bool { Self.isIdentChar(b) }

    @inline(__always)
    static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
    }

    @inline(__always)
    static func isIdentChar(_ b: UInt8) -> Bool {
        isIdentStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x24
    }

    private func lastIdentifierIsE() -> Bool {
        // The E of E'…' is the byte just before the quote, and must be a whole word.
        guard let last = text.last, last == 0x45 || last == 0x65 else { return false }
        if text.count == 1 { return true }
        return !isIdentChar(text[text.count - 2])
    }

    private func identifier() throws {
        let wordStart = text.count
        _ = try input.take(into: &text, until: { !Self.isIdentChar($0) })
        // E'…', B'…', X'…', U&'…' prefixes: a quote right after is handled by the caller.
        // Only short words can be keywords this lexer cares about; skip building the rest.
        let length = text.count - wordStart
        let lower: String
        if length <= 9 {
            var bytes = [UInt8](text[wordStart...])
            for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] |= 0x20 }
            lower = String(decoding: bytes, as: UTF8.self)
        } else {
            lower = ""
        }
        trackKeyword(lower)
        if identifierCount == 1 { firstWord = lower }
        if previousWasFrom && lower == "stdin" && firstWord == "copy" { copyFromStdin = true }
        previousWasFrom = lower == "from"
    }

    private static let routineWords: Set<String> = ["create", "function", "procedure", "or", "replace"]

    /// psql's heuristic for SQL-standard function bodies: inside `CREATE [OR REPLACE]
    /// FUNCTION|PROCEDURE`, count BEGIN/CASE … END so their inner semicolons do not split.
    private func trackKeyword(_ word: String) {
        if identifierCount == 0 { identifiers = [0, 0, 0, 0] }
        if identifierCount < 4, Self.routineWords.contains(word) {
            identifiers[identifierCount] = word.utf8.first ?? 0
        }
        identifierCount += 1
        let c = UInt8(ascii: "c"), f = UInt8(ascii: "f"), p = UInt8(ascii: "p"), o = UInt8(ascii: "o"), r = UInt8(ascii: "r")
        let isRoutine = identifiers[0] == c
            && (identifiers[1] == f || identifiers[1] == p
                || (identifiers[1] == o && identifiers[2] == r && (identifiers[3] == f || identifiers[3] == p)))
        guard isRoutine && parenDepth == 0 else { return }
        switch word {
        case "begin": beginDepth += 1
        case "case": if beginDepth >= 1 { beginDepth += 1 }
        case "end": if beginDepth > 0 { beginDepth -= 1 }
        default: break
        }
    }

    /// A quoted token: `'…'` or `"…"`; a doubled quote stands for itself.
    private func quoted(_ quote: UInt8, backslashEscapes: Bool, what: String) throws {
        let openLine = input.line
        text.append(input.advance())
        while true {
            let stop = try input.take(into: &text, until: { $0 == quote || $0 == 0x5C })
            guard stop != nil, let b = try input.next() else { throw unterminated(what, openLine) }
            text.append(b)
            if backslashEscapes && b == 0x5C {
                guard let escaped = try input.next() else { throw unterminated(what, openLine) }
                text.append(escaped)
            } else if b == quote {
                if try input.peek() == quote { text.append(input.advance()) } else { return }
            }
        }
    }

    /// `$tag$ … $tag$`, `$$ … $$`, or a lone `$` / `$1` parameter.
    private func dollar() throws {
        let openLine = input.line
        // Try to read a tag: $ [ident-start ident-char*]? $ (no $ inside the tag).
        var length = 1
        while let b = try input.peek(length), b != 0x24 {
            let ok = length == 1 ? isIdentStart(b) : (isIdentChar(b) && b != 0x24)
            if !ok { break }
            length += 1
        }
        guard try input.peek(length) == 0x24 else {
            // Not a dollar quote: `$1` or an operator character.
            text.append(input.advance())
            while let b = try input.peek(), b >= 0x30 && b <= 0x39 { text.append(input.advance()) }
            return
        }
        var tag: [UInt8] = []
        for _ in 0...length { tag.append(input.advance()) }
        text.append(contentsOf: tag)
        // Body: copy until the same tag appears again.
        while true {
            let stop = try input.take(into: &text, until: { $0 == 0x24 })
            guard stop != nil, let b = try input.next() else { throw unterminated("dollar-quoted string \(String(decoding: tag, as: UTF8.self))", openLine) }
            text.append(b)
            if b == 0x24 {
                var matched = true
                for i in 1..<tag.count where try input.peek(i - 1) != tag[i] {
                    matched = false
                    break
                }
                if matched {
                    for _ in 1..<tag.count { text.append(input.advance()) }
                    return
                }
            }
        }
    }

    private func blockComment() throws {
        let openLine = input.line
        var depth = 0
        var comment: [UInt8] = []
        repeat {
            _ = try input.take(into: &comment, until: { $0 == 0x2F || $0 == 0x2A })
            guard let b = try input.next() else { throw unterminated("comment", openLine) }
            comment.append(b)
            if b == 0x2F, try input.peek() == 0x2A {
                comment.append(input.advance()); depth += 1
            } else if b == 0x2A, try input.peek() == 0x2F {
                comment.append(input.advance()); depth -= 1
            }
        } while depth > 0
        if !text.isEmpty { text.append(contentsOf: comment) }
    }

    private func unterminated(_ what: String, _ line: Int) -> DRDError {
        DRDError(.corrupt, "\(name) line \(line): unterminated \(what) at the end of the script",
                 hint: "the script is truncated or not valid SQL")
    }

    // MARK: - Meta-commands

    /// `\name args…` to the end of the line (psql also ends one at `\\`; pg_dump never emits that).
    private func metaCommand() throws -> ScriptMetaCommand {
        let line = input.line
        _ = input.advance()  // backslash
        var nameBytes: [UInt8] = []
        if let b = try input.peek(), !isLetter(b) {
            nameBytes.append(input.advance())  // \. \! \? …
        } else {
            while let b = try input.peek(), isLetter(b) || b == 0x5F { nameBytes.append(input.advance()) }
        }
        let rest = try input.restOfLine()
        return ScriptMetaCommand(name: String(decoding: nameBytes, as: UTF8.self),
                                 arguments: MetaArguments.split(rest), line: line)
    }

    private func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
}
