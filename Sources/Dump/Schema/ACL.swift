import Support

/// GRANT/REVOKE commands that turn an object's default privileges into its actual ACL, the way
/// pg_dump's `buildACLCommands` does (so a restored object ends with the same aclitems in the
/// same order): REVOKE each base item missing from the ACL, then GRANT each ACL item missing from
/// the base, as its grantor when that is not the owner.
enum ACL {
    /// `objectType` is the word after ON (`TABLE`, `SEQUENCE`, `SCHEMA`, `FUNCTION`, `TYPE`,
    /// `LARGE OBJECT`, …); `name` is the already-quoted object name; `column` the quoted column
    /// for column privileges. `privilegeSet` names the letters that mean ALL for this object.
    static func commands(objectType: String, name: String, column: String? = nil, acl: [String], base: [String],
                         owner: String, privilegeSet: PrivilegeSet, prefix: String = "") -> String {
        var out = ""
        let target = "\(objectType) \(name)"
        for item in base where !acl.contains(item) {
            guard let parsed = AclItem(item) else { continue }
            let privs = privilegeSet.text(parsed.privileges + parsed.grantable, column: column)
            if !privs.isEmpty {
                out += "\(prefix)REVOKE \(privs) ON \(target) FROM \(parsed.granteeSQL);\n"
            }
        }
        for item in acl where !base.contains(item) {
            guard let parsed = AclItem(item) else { continue }
            let plain = parsed.privileges.filter { !parsed.grantable.contains($0) }
            let asOther = parsed.grantor != owner && !parsed.grantor.isEmpty
            var body = ""
            if !plain.isEmpty {
                body += "\(prefix)GRANT \(privilegeSet.text(plain, column: column)) ON \(target) TO \(parsed.granteeSQL);\n"
            }
            if !parsed.grantable.isEmpty {
                body += "\(prefix)GRANT \(privilegeSet.text(parsed.grantable, column: column)) ON \(target) TO \(parsed.granteeSQL) WITH GRANT OPTION;\n"
            }
            if body.isEmpty { continue }
            if asOther {
                out += "SET SESSION AUTHORIZATION \(SQLIdentifier.quote(parsed.grantor));\n" + body + "RESET SESSION AUTHORIZATION;\n"
            } else {
                out += body
            }
        }
        return out
    }

    /// The same for ALTER DEFAULT PRIVILEGES (`kind` is TABLES, SEQUENCES, FUNCTIONS, TYPES, SCHEMAS).
    static func defaultPrivileges(role: String, schema: String?, kind: String, acl: [String], base: [String],
                                  privilegeSet: PrivilegeSet) -> String {
        var head = "ALTER DEFAULT PRIVILEGES FOR ROLE \(SQLIdentifier.quote(role))"
        if let schema { head += " IN SCHEMA \(SQLIdentifier.quote(schema))" }
        var out = ""
        for item in base where !acl.contains(item) {
            guard let parsed = AclItem(item) else { continue }
            let privs = privilegeSet.text(parsed.privileges + parsed.grantable, column: nil)
            if !privs.isEmpty { out += "\(head) REVOKE \(privs) ON \(kind) FROM \(parsed.granteeSQL);\n" }
        }
        for item in acl where !base.contains(item) {
            guard let parsed = AclItem(item) else { continue }
            let plain = parsed.privileges.filter { !parsed.grantable.contains($0) }
            if !plain.isEmpty {
                out += "\(head) GRANT \(privilegeSet.text(plain, column: nil)) ON \(kind) TO \(parsed.granteeSQL);\n"
            }
            if !parsed.grantable.isEmpty {
                out += "\(head) GRANT \(privilegeSet.text(parsed.grantable, column: nil)) ON \(kind) TO \(parsed.granteeSQL) WITH GRANT OPTION;\n"
            }
        }
        return out
    }
}

/// The privilege letters an object type has, in the order pg_dump lists them.
struct PrivilegeSet {
    let letters: [(Character, String)]

    static let table = PrivilegeSet(letters: [("a", "INSERT"), ("r", "SELECT"), ("w", "UPDATE"), ("d", "DELETE"),
                                              ("D", "TRUNCATE"), ("x", "REFERENCES"), ("t", "TRIGGER")])
    static let column = PrivilegeSet(letters: [("a", "INSERT"), ("r", "SELECT"), ("w", "UPDATE"), ("x", "REFERENCES")])
    static let sequence = PrivilegeSet(letters: [("r", "SELECT"), ("w", "UPDATE"), ("U", "USAGE")])
    static let function = PrivilegeSet(letters: [("X", "EXECUTE")])
    static let schema = PrivilegeSet(letters: [("U", "USAGE"), ("C", "CREATE")])
    static let usage = PrivilegeSet(letters: [("U", "USAGE")])
    static let largeObject = PrivilegeSet(letters: [("r", "SELECT"), ("w", "UPDATE")])

    /// `SELECT,UPDATE`, `ALL`, or with a column `SELECT(c),UPDATE(c)` / `ALL(c)`.
    func text(_ privs: [Character], column: String?) -> String {
        let set = Set(privs)
        let names = letters.filter { set.contains($0.0) }.map { $0.1 }
        if names.isEmpty { return "" }
        let all = names.count == letters.count
        if let column { return all ? "ALL(\(column))" : names.map { "\($0)(\(column))" }.joined(separator: ",") }
        return all ? "ALL" : names.joined(separator: ",")
    }
}

/// One aclitem in text form: `grantee=privs/grantor` (grantee empty for PUBLIC; names quoted
/// with double quotes when needed; `*` after a letter marks the grant option).
struct AclItem {
    var grantee: String
    var grantor: String
    var privileges: [Character]
    var grantable: [Character]

    var granteeSQL: String { grantee.isEmpty ? "PUBLIC" : SQLIdentifier.quote(grantee) }

    init?(_ text: String) {
        var chars = Array(text)[...]
        func name() -> String {
            var out = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first {
                    chars = chars.dropFirst()
                    if c == "\"" {
                        if chars.first == "\"" { out.append("\""); chars = chars.dropFirst(); continue }
                        break
                    }
                    out.append(c)
                }
                return out
            }
            while let c = chars.first, c != "=", c != "/" { out.append(c); chars = chars.dropFirst() }
            return out
        }
        grantee = name()
        guard chars.first == "=" else { return nil }
        chars = chars.dropFirst()
        var privs: [Character] = [], grant: [Character] = []
        while let c = chars.first, c != "/" {
            chars = chars.dropFirst()
            if c == "*" { if let last = privs.last { grant.append(last) }; continue }
            privs.append(c)
        }
        guard chars.first == "/" else { return nil }
        chars = chars.dropFirst()
        grantor = name()
        privileges = privs
        grantable = grant
    }
}
