import Testing
@testable import Dump

@Suite struct SQLIdentifierTests {
    @Test func plainLowercaseNamesStayBare() {
        #expect(SQLIdentifier.quote("actor") == "actor")
        #expect(SQLIdentifier.quote("film_actor_2") == "film_actor_2")
        #expect(SQLIdentifier.quote("_x") == "_x")
    }

    @Test func unreservedKeywordsStayBare() {
        for word in ["name", "type", "year", "data", "action", "comment", "text", "schema", "value"] {
            #expect(SQLIdentifier.quote(word) == word, "\(word)")
        }
    }

    @Test func reservedAndNonUnreservedKeywordsAreQuoted() {
        for word in ["select", "user", "order", "table", "between", "int", "timestamp", "default", "natural", "xmltable"] {
            #expect(SQLIdentifier.quote(word) == "\"\(word)\"", "\(word)")
        }
    }

    @Test func mixedCaseSpacesDigitsAndUnicodeAreQuoted() {
        #expect(SQLIdentifier.quote("Actor") == "\"Actor\"")
        #expect(SQLIdentifier.quote("my table") == "\"my table\"")
        #expect(SQLIdentifier.quote("1abc") == "\"1abc\"")
        #expect(SQLIdentifier.quote("bıgınt") == "\"bıgınt\"")
        #expect(SQLIdentifier.quote("a-b") == "\"a-b\"")
        #expect(SQLIdentifier.quote("a$b") == "\"a$b\"")
        #expect(SQLIdentifier.quote("") == "\"\"")
    }

    @Test func embeddedQuotesAreDoubled() {
        #expect(SQLIdentifier.quote("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(SQLIdentifier.qualified("Public", "x\"y") == "\"Public\".\"x\"\"y\"")
    }

    @Test func keywordListHasPostgres15Size() {
        #expect(SQLIdentifier.reservedKeywords.count == 151)
    }

    @Test func aclItemsParse() throws {
        let item = try #require(AclItem("\"my role\"=r*w/postgres"))
        #expect(item.grantee == "my role")
        #expect(item.grantor == "postgres")
        #expect(item.privileges == ["r", "w"])
        #expect(item.grantable == ["r"])
        let pub = try #require(AclItem("=U/\"Own\"\"er\""))
        #expect(pub.grantee == "")
        #expect(pub.granteeSQL == "PUBLIC")
        #expect(pub.grantor == "Own\"er")
    }

    @Test func aclCommandsDiffAgainstDefaults() {
        let sql = ACL.commands(objectType: "TABLE", name: "public.t", acl: ["alice=arwdDxt/alice", "bob=r*/alice"],
                               base: ["alice=arwdDxt/alice"], owner: "alice", privilegeSet: .table)
        #expect(sql == "GRANT SELECT ON TABLE public.t TO bob WITH GRANT OPTION;\n")
        let revoke = ACL.commands(objectType: "FUNCTION", name: "public.f()", acl: ["alice=X/alice"],
                                  base: ["=X/alice", "alice=X/alice"], owner: "alice", privilegeSet: .function)
        #expect(revoke == "REVOKE ALL ON FUNCTION public.f() FROM PUBLIC;\n")
    }

    @Test func sorterPutsDependenciesFirst() {
        var cycles: [String] = []
        let a = DumpItem(key: CatKey(classid: 1, oid: 1), kind: .table, schema: "s", name: "a", sql: "a", deps: [CatKey(classid: 1, oid: 2)])
        let b = DumpItem(key: CatKey(classid: 1, oid: 2), kind: .table, schema: "s", name: "b", sql: "b")
        let f = DumpItem(key: CatKey(classid: 2, oid: 3), kind: .function, schema: "s", name: "z", sql: "f")
        let out = DumpSorter.sort([a, b, f], cycles: &cycles).map(\.sql)
        #expect(out == ["f", "b", "a"])
        #expect(cycles.isEmpty)
    }

    @Test func sorterBreaksLoopsAndSaysSo() {
        var cycles: [String] = []
        let a = DumpItem(key: CatKey(classid: 1, oid: 1), kind: .table, schema: "s", name: "a", sql: "a", deps: [CatKey(classid: 1, oid: 2)])
        let b = DumpItem(key: CatKey(classid: 1, oid: 2), kind: .table, schema: "s", name: "b", sql: "b", deps: [CatKey(classid: 1, oid: 1)])
        let out = DumpSorter.sort([b, a], cycles: &cycles).map(\.sql)
        #expect(out.count == 2)
        #expect(cycles.count == 1)
    }

    @Test func postDataItemsNeededByPreDataMoveForward() {
        let view = DumpItem(key: CatKey(classid: 1259, oid: 10), kind: .table, schema: "s", name: "v", sql: "v",
                            deps: [CatKey(classid: 2606, oid: 20)])
        let pk = DumpItem(key: CatKey(classid: 2606, oid: 20), kind: .constraint, schema: "s", name: "pk", sql: "pk",
                          deps: [CatKey(classid: 1259, oid: 30)])
        let index = DumpItem(key: CatKey(classid: 1259, oid: 40), kind: .index, schema: "s", name: "i", sql: "i")
        let (pre, post) = SchemaReader.splitSections([view, pk, index])
        #expect(pre.map(\.sql) == ["v", "pk"])
        #expect(post.map(\.sql) == ["i"])
    }
}
