import Testing
import Support
@testable import Restore

/// What the lexer yields for a script: statements (text), meta-commands (`\name args`), and COPY data.
private enum Piece: Equatable {
    case sql(String, line: Int)
    case meta(String, [String], line: Int)
    case data(String)
}

private func split(_ script: String, scs: Bool = true) throws -> [Piece] {
    let lexer = ScriptLexer(MemorySource(Array(script.utf8)), name: "test.sql")
    lexer.standardConformingStrings = scs
    var out: [Piece] = []
    while let item = try lexer.next() {
        switch item {
        case .statement(let s):
            out.append(.sql(s.text, line: s.line))
            if s.isCopyFromStdin {
                let sink = MemorySink()
                _ = try lexer.copyData(statement: s, table: ScriptText.copyTarget(s.text), sink: { try sink.write($0) })
                out.append(.data(String(decoding: sink.bytes, as: UTF8.self)))
            }
        case .meta(let m):
            out.append(.meta(m.name, m.arguments, line: m.line))
        }
    }
    return out
}

private func texts(_ script: String, scs: Bool = true) throws -> [String] {
    try split(script, scs: scs).compactMap { if case .sql(let t, _) = $0 { return t } else { return nil } }
}

@Suite("script splitting")
struct ScriptLexerTests {
    @Test func simpleStatementsAndLines() throws {
        let pieces = try split("SELECT 1;\n\nSELECT 2; SELECT 3;\n")
        #expect(pieces == [.sql("SELECT 1;", line: 1), .sql("SELECT 2;", line: 3), .sql("SELECT 3;", line: 3)])
    }

    @Test func lineCommentsAreDroppedBeforeAStatementAndKeptInside() throws {
        let pieces = try split("-- header; not a statement\n--\nSELECT 1 -- trailing; comment\n;\n")
        #expect(pieces == [.sql("SELECT 1 -- trailing; comment\n;", line: 3)])
    }

    @Test func nestedBlockComments() throws {
        let t = try texts("/* outer /* inner; */ still comment; */ SELECT 1;\nSELECT /* a; /* b; */ c; */ 2;")
        #expect(t == ["SELECT 1;", "SELECT /* a; /* b; */ c; */ 2;"])
    }

    @Test func singleQuotedStrings() throws {
        #expect(try texts("SELECT 'a;b', 'it''s;';SELECT 2;") == ["SELECT 'a;b', 'it''s;';", "SELECT 2;"])
        // With standard_conforming_strings on, a backslash is literal: 'a\' ends the string.
        #expect(try texts("SELECT 'a\\';SELECT 2;") == ["SELECT 'a\\';", "SELECT 2;"])
    }

    @Test func escapeStrings() throws {
        #expect(try texts("SELECT E'a\\';b';SELECT 2;") == ["SELECT E'a\\';b';", "SELECT 2;"])
        #expect(try texts("SELECT e'\\\\';SELECT 2;") == ["SELECT e'\\\\';", "SELECT 2;"])
        // An identifier ending in e is not an E prefix.
        #expect(try texts("SELECT some ' \\';") == ["SELECT some ' \\';"])
    }

    @Test func standardConformingStringsOff() throws {
        #expect(try texts("SELECT 'a\\';b';SELECT 2;", scs: false) == ["SELECT 'a\\';b';", "SELECT 2;"])
    }

    @Test func quotedIdentifiers() throws {
        #expect(try texts("CREATE TABLE \"a;\"\"b\" (x int);SELECT 1;") == ["CREATE TABLE \"a;\"\"b\" (x int);", "SELECT 1;"])
        #expect(try texts("SELECT \"it's\";SELECT '\"';") == ["SELECT \"it's\";", "SELECT '\"';"])
    }

    @Test func dollarQuotes() throws {
        let fn = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;"
        #expect(try texts(fn + "SELECT 2;") == [fn, "SELECT 2;"])
        let tagged = "DO $body$ BEGIN RAISE NOTICE '$$;'; PERFORM $x$;$x$; END $body$;"
        #expect(try texts(tagged + "\nSELECT 3;") == [tagged, "SELECT 3;"])
        // $1 parameters and identifiers with $ are not quotes.
        #expect(try texts("PREPARE p AS SELECT $1;SELECT a$b$ FROM t;") == ["PREPARE p AS SELECT $1;", "SELECT a$b$ FROM t;"])
        // A different tag inside does not close.
        #expect(try texts("SELECT $a$ $b$; $a$;") == ["SELECT $a$ $b$; $a$;"])
    }

    @Test func semicolonInsideParentheses() throws {
        let rule = "CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO u VALUES (1); INSERT INTO u VALUES (2));"
        #expect(try texts(rule + "SELECT 1;") == [rule, "SELECT 1;"])
    }

    @Test func beginAtomicBodies() throws {
        let fn = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;"
        #expect(try texts(fn + "\nSELECT 2;") == [fn, "SELECT 2;"])
        let proc = "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;"
        #expect(try texts(proc + "BEGIN;COMMIT;") == [proc, "BEGIN;", "COMMIT;"])
    }

    @Test func copyDataWithSemicolonsAndTerminatorLookalikes() throws {
        let script = """
        COPY public.t (a, b) FROM stdin;
        1\tx;y
        2\t\\\\.
        3\t\\.x
        \\.a
        \\.
        SELECT 1;

        """
        let pieces = try split(script)
        #expect(pieces == [
            .sql("COPY public.t (a, b) FROM stdin;", line: 1),
            .data("1\tx;y\n2\t\\\\.\n3\t\\.x\n\\.a\n"),
            .sql("SELECT 1;", line: 7),
        ])
    }

    @Test func copyToStdoutAndQuotedStdinAreNotCopyIn() throws {
        let lexer = ScriptLexer(MemorySource(Array("COPY t TO stdout;COPY t FROM \"stdin\";".utf8)))
        guard case .statement(let a)? = try lexer.next(), case .statement(let b)? = try lexer.next() else {
            Issue.record("expected two statements"); return
        }
        #expect(!a.isCopyFromStdin)
        #expect(!b.isCopyFromStdin)
    }

    @Test func copyTerminatorAtEndWithoutNewlineAndCRLF() throws {
        #expect(try split("COPY t FROM stdin;\n1\n\\.") == [.sql("COPY t FROM stdin;", line: 1), .data("1\n")])
        #expect(try split("COPY t FROM stdin;\r\n1\r\n\\.\r\nSELECT 1;") ==
            [.sql("COPY t FROM stdin;", line: 1), .data("1\r\n"), .sql("SELECT 1;", line: 4)])
    }

    @Test func truncatedCopyIsCorrupt() throws {
        let error = #expect(throws: DRDError.self) { try split("COPY public.t FROM stdin;\n1\tx\n2\t") }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("public.t") == true)
        #expect(error?.message.contains("line 1") == true)
    }

    @Test func largeCopyStreamsAcrossBuffers() throws {
        var script = "COPY t FROM stdin;\n"
        var expected = ""
        for i in 0..<40_000 { expected += "\(i)\tsome text value number \(i)\n" }
        script += expected + "\\.\nSELECT 1;\n"
        let pieces = try split(script)
        #expect(pieces.count == 3)
        #expect(pieces[1] == .data(expected))
        #expect(pieces[2] == .sql("SELECT 1;", line: 40_003))  // COPY, 40,000 rows, \.
    }

    @Test func metaCommands() throws {
        let pieces = try split("\\restrict abc123\nSET x = 1;\n\\connect -reuse-previous=on \"dbname='a b'\"\n\\connect \"My\"\"Db\"\n\\unrestrict abc123\n")
        #expect(pieces == [
            .meta("restrict", ["abc123"], line: 1),
            .sql("SET x = 1;", line: 2),
            .meta("connect", ["-reuse-previous=on", "dbname='a b'"], line: 3),
            .meta("connect", ["My\"Db"], line: 4),
            .meta("unrestrict", ["abc123"], line: 5),
        ])
    }

    @Test func unterminatedQuotesAreCorrupt() throws {
        for script in ["SELECT 'abc", "SELECT \"abc", "SELECT $$ abc", "/* never closed", "SELECT E'\\"] {
            let error = #expect(throws: DRDError.self) { try split(script) }
            #expect(error?.code == .corrupt)
        }
    }

    @Test func trailingStatementWithoutSemicolon() throws {
        #expect(try texts("SELECT 1;\nSELECT 2\n") == ["SELECT 1;", "SELECT 2"])
        #expect(try texts("  \n-- only a comment\n").isEmpty)
    }

    @Test func helpers() throws {
        #expect(ScriptText.copyTarget("COPY public.actor (actor_id, name) FROM stdin;") == "public.actor")
        #expect(ScriptText.copyTarget("COPY \"s p\".\"t(x)\" FROM stdin;") == "\"s p\".\"t(x)\"")
        #expect(ScriptText.standardConformingStrings(after: "SET standard_conforming_strings = off;") == false)
        #expect(ScriptText.standardConformingStrings(after: "SET standard_conforming_strings TO 'on';") == true)
        #expect(ScriptText.standardConformingStrings(after: "SELECT 'standard_conforming_strings'") == nil)
        #expect(ScriptText.excerpt("SELECT\n  1,\n\t2;") == "SELECT 1, 2;")
        let error = DRDError(.notFound, "role \"ghost\" does not exist [SQLSTATE 42704]")
        #expect(ScriptText.missingRole(in: error) == "ghost")
        #expect(MetaArguments.split(Array("'it''s' \"a b\" c".utf8)) == ["it's", "a b", "c"])
    }
}
