import Foundation
import Testing
import Support
@testable import Policy

@Suite struct IniFileTests {
    @Test func sectionsKeysCommentsAndLines() throws {
        let text = """
        # leading comment
        ; semicolon comment
        [daemon]
        socket = /run/drd/drd.sock
          state_dir=/var/lib/drd\t

        [environment.staging]
        database = service=staging
        """
        let ini = try IniFile.parse(text, path: "drd.conf")
        #expect(ini.sections.map(\.name) == ["daemon", "environment.staging"])
        let daemon = try #require(ini.section("daemon"))
        #expect(daemon.location == SourceLocation(file: "drd.conf", line: 3))
        #expect(daemon.first("socket")?.value == "/run/drd/drd.sock")
        #expect(daemon.first("state_dir")?.value == "/var/lib/drd")
        #expect(daemon.first("state_dir")?.location.line == 5)
        #expect(ini.section("environment.staging")?.first("database")?.value == "service=staging")
    }

    @Test func noTrailingCommentsSoCronAndSQLSurvive() throws {
        let text = """
        [policy]
        schedule = */15 * * * *
        drill_check = SELECT '{"a":{"b":1}}'::jsonb #> '{a,b}' = '1'; -- trailing SQL comment
        drill_check = SELECT count(*) > 0 FROM t # not a comment either
        """
        let ini = try IniFile.parse(text, path: "p.conf")
        let section = try #require(ini.section("policy"))
        #expect(section.first("schedule")?.value == "*/15 * * * *")
        #expect(section.all("drill_check").map(\.value) == [
            #"SELECT '{"a":{"b":1}}'::jsonb #> '{a,b}' = '1'; -- trailing SQL comment"#,
            "SELECT count(*) > 0 FROM t # not a comment either",
        ])
        #expect(section.all("drill_check").map(\.location.line) == [3, 4])
    }

    @Test func crlfAndBOM() throws {
        let ini = try IniFile.parse("\u{FEFF}[policy]\r\nname = x\r\n", path: "p.conf")
        #expect(ini.section("policy")?.first("name")?.value == "x")
    }

    @Test func variableExpansion() throws {
        let env = ["DB_HOST": "db1.internal", "CREDENTIALS_DIRECTORY": "/run/credentials/drd.service"]
        let text = """
        [environment.production]
        database = host=${DB_HOST} dbname=optim passfile=${CREDENTIALS_DIRECTORY}/pgpass
        literal = cost $${NOT_EXPANDED} and $1 and $$dollar$$
        """
        let ini = try IniFile.parse(text, path: "drd.conf", environment: env)
        let section = try #require(ini.section("environment.production"))
        #expect(section.first("database")?.value == "host=db1.internal dbname=optim passfile=/run/credentials/drd.service/pgpass")
        #expect(section.first("database")?.raw == "host=${DB_HOST} dbname=optim passfile=${CREDENTIALS_DIRECTORY}/pgpass")
        #expect(section.first("literal")?.value == "cost ${NOT_EXPANDED} and $1 and $$dollar$$")
    }

    @Test(arguments: [
        ("[policy]\nname = ${MISSING}\n", "p.conf:2: name: environment variable 'MISSING' is not set"),
        ("[policy]\nname = ${OPEN\n", "p.conf:2: name: unterminated '${' in value"),
        ("[policy]\nname = ${1X}\n", "p.conf:2: name: invalid variable name '${1X}'"),
        ("name = x\n", "p.conf:1: key 'name' outside any section"),
        ("[policy]\njust words\n", "p.conf:2: expected 'key = value', a [section] header or a comment"),
        ("[policy\n", "p.conf:1: invalid section header '[policy'"),
        ("[]\n", "p.conf:1: invalid section name '[]'"),
        ("[policy] # main\n", "p.conf:1: invalid section header '[policy] # main': expected [name]"),
        ("[policy]\n= x\n", "p.conf:2: invalid key ''"),
        ("[policy]\nmy-key = x\n", "p.conf:2: invalid key 'my-key'"),
        ("[policy]\nname = a\n\n[policy]\nsource = b\n", "p.conf:4: section [policy] repeated (first at line 1)"),
    ])
    func errorsNameFileAndLine(text: String, expected: String) {
        #expect {
            _ = try IniFile.parse(text, path: "p.conf")
        } throws: { error in
            guard let e = error as? DRDError, e.code == .config else { return false }
            return e.message.hasPrefix(expected)
        }
    }

    @Test func collectsEveryProblem() {
        let (ini, problems) = IniFile.parseCollecting("[a]\nbad line\nx = ${NOPE}\ny = 1\n[a]\n", path: "f", environment: [:])
        #expect(problems.map(\.line) == [2, 3, 5])
        #expect(ini.section("a")?.first("y")?.value == "1")
    }
}
