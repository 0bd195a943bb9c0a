import Postgres
import Support

/// Roles and tablespaces the database references, as idempotent SQL: a role is created only when
/// missing (so loading into a cluster that has it changes nothing), never with a password unless
/// asked. Tablespaces need a directory on the target host, so they are listed as comments.
enum Globals {
    static func read(_ ctx: ReadContext, includePasswords: Bool) throws -> String {
        var roles = ctx.referencedRoles
        if let dbOwner = try ctx.conn.scalar("""
            SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()
            """) { roles.insert(dbOwner) }
        // Roles those roles belong to come along, so memberships can be restored.
        let memberships = try ctx.query("""
            SELECT r.rolname AS role, m.rolname AS member, g.rolname AS grantor, am.admin_option
            FROM pg_catalog.pg_auth_members am
            JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
            JOIN pg_catalog.pg_roles m ON m.oid = am.member
            LEFT JOIN pg_catalog.pg_roles g ON g.oid = am.grantor
            ORDER BY 1, 2
            """)
        var grew = true
        while grew {
            grew = false
            for m in memberships where roles.contains(m.string("member")) && !roles.contains(m.string("role")) {
                roles.insert(m.string("role")); grew = true
            }
        }
        let names = roles.filter { !$0.hasPrefix("pg_") }.sorted()
        var out = ""
        if includePasswords, try ctx.conn.scalar("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user") != "t" {
            throw DRDError(.permission, "unable to read role passwords on \(ctx.conn.displayName): only a superuser can read pg_authid",
                           hint: "dump as a superuser, or leave passwords out of the globals")
        }
        if !names.isEmpty {
            let password = includePasswords
                ? "(SELECT a.rolpassword FROM pg_catalog.pg_authid a WHERE a.oid = r.oid)"
                : "NULL::text"
            let rows = try ctx.query("""
                SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
                       r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil, \(password) AS pw
                FROM pg_catalog.pg_roles r WHERE r.rolname = ANY($1::text[]) ORDER BY r.rolname
                """, [arrayLiteral(names)])
            for r in rows {
                let name = r.string("rolname")
                var attrs = [r.bool("rolsuper") ? "SUPERUSER" : "NOSUPERUSER",
                             r.bool("rolinherit") ? "INHERIT" : "NOINHERIT",
                             r.bool("rolcreaterole") ? "CREATEROLE" : "NOCREATEROLE",
                             r.bool("rolcreatedb") ? "CREATEDB" : "NOCREATEDB",
                             r.bool("rolcanlogin") ? "LOGIN" : "NOLOGIN",
                             r.bool("rolreplication") ? "REPLICATION" : "NOREPLICATION",
                             r.bool("rolbypassrls") ? "BYPASSRLS" : "NOBYPASSRLS"]
                if r.int("rolconnlimit") != -1 { attrs.append("CONNECTION LIMIT \(r.int("rolconnlimit"))") }
                if let until = r["rolvaliduntil"] { attrs.append("VALID UNTIL \(ctx.literal(until))") }
                if let pw = r["pw"] { attrs.append("PASSWORD \(ctx.literal(pw))") }
                let create = "CREATE ROLE \(SQLIdentifier.quote(name)) WITH \(attrs.joined(separator: " "))"
                let tag = dollarTag(for: create + name)
                out += """
                    DO \(tag)
                    BEGIN
                        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = \(ctx.literal(name))) THEN
                            \(create);
                        END IF;
                    END
                    \(tag);

                    """
            }
        }
        for m in memberships where roles.contains(m.string("member")) && roles.contains(m.string("role")) {
            out += "GRANT \(SQLIdentifier.quote(m.string("role"))) TO \(SQLIdentifier.quote(m.string("member")))"
            if m.bool("admin_option") { out += " WITH ADMIN OPTION" }
            out += ";\n"
        }
        for ts in ctx.referencedTablespaces.sorted() where ts != "pg_default" && ts != "pg_global" {
            let location = try ctx.conn.scalar("""
                SELECT pg_catalog.pg_tablespace_location(oid) FROM pg_catalog.pg_tablespace WHERE spcname = $1
                """, [ts]) ?? ""
            out += "-- tablespace \(SQLIdentifier.quote(ts)) (location \(location.replacingOccurrences(of: "\n", with: " "))) must exist on the target\n"
            ctx.warn("tablespace \(ts) is referenced; create it on the target before loading")
        }
        return out
    }

    /// A dollar-quote tag that does not occur in `body`.
    static func dollarTag(for body: String) -> String {
        var tag = "$drd$"
        var n = 0
        while body.contains(tag) { n += 1; tag = "$drd\(n)$" }
        return tag
    }

    static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
