import Postgres
import Support

/// Triggers, rules and row-level security policies (post-data).
enum RuleObjects {
    static func read(_ ctx: ReadContext) throws {
        let parentCheck = ctx.version >= 130000
            ? "AND (tg.tgparentid = 0 OR tg.tgenabled <> (SELECT p.tgenabled FROM pg_catalog.pg_trigger p WHERE p.oid = tg.tgparentid))"
            : ""
        let parentColumn = ctx.version >= 130000 ? "tg.tgparentid" : "0::oid"
        for r in try ctx.query("""
            SELECT tg.oid, tg.tgname, tg.tgrelid, tg.tgenabled, n.nspname, c.relname, \(parentColumn) AS parent,
                   tg.tgrelid::pg_catalog.regclass::text AS tablename, pg_catalog.pg_get_triggerdef(tg.oid) AS def
            FROM pg_catalog.pg_trigger tg
            JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT tg.tgisinternal \(parentCheck) AND \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), let table = UInt32(r.string("tgrelid")) else { continue }
            if ctx.isExtensionMember(Catalog.pgClass, table) { continue }
            let name = SQLIdentifier.quote(r.string("tgname"))
            let tq = r.string("tablename")
            // A partition's clone of its parent's trigger only needs its own enabled state.
            let isClone = r.string("parent") != "0"
            var sql = isClone ? "" : r.string("def") + ";\n"
            switch r.string("tgenabled") {
            case "O" where isClone: sql += "ALTER TABLE \(tq) ENABLE TRIGGER \(name);\n"
            case "D": sql += "ALTER TABLE \(tq) DISABLE TRIGGER \(name);\n"
            case "R": sql += "ALTER TABLE \(tq) ENABLE REPLICA TRIGGER \(name);\n"
            case "A": sql += "ALTER TABLE \(tq) ENABLE ALWAYS TRIGGER \(name);\n"
            default: break
            }
            sql += ctx.comment(Catalog.pgTrigger, oid, target: "TRIGGER \(name) ON \(tq)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgTrigger, oid: oid), kind: .trigger, schema: r.string("nspname"),
                             name: "\(r.string("relname")) \(r.string("tgname"))", sql: sql + "\n",
                             deps: [CatKey(classid: Catalog.pgClass, oid: table),
                                    CatKey(classid: Catalog.pgTrigger, oid: UInt32(r.string("parent")) ?? 0)]))
        }

        for r in try ctx.query("""
            SELECT rw.oid, rw.rulename, rw.ev_class, rw.ev_enabled, n.nspname, c.relname,
                   rw.ev_class::pg_catalog.regclass::text AS tablename, pg_catalog.pg_get_ruledef(rw.oid) AS def
            FROM pg_catalog.pg_rewrite rw
            JOIN pg_catalog.pg_class c ON c.oid = rw.ev_class
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE rw.rulename <> '_RETURN' AND \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), let table = UInt32(r.string("ev_class")) else { continue }
            if ctx.isExtensionMember(Catalog.pgClass, table) { continue }
            let name = SQLIdentifier.quote(r.string("rulename"))
            let tq = r.string("tablename")
            var sql = r.string("def").trimmingTrailingNewlines()
            if !sql.hasSuffix(";") { sql += ";" }
            sql += "\n"
            switch r.string("ev_enabled") {
            case "D": sql += "ALTER TABLE \(tq) DISABLE RULE \(name);\n"
            case "R": sql += "ALTER TABLE \(tq) ENABLE REPLICA RULE \(name);\n"
            case "A": sql += "ALTER TABLE \(tq) ENABLE ALWAYS RULE \(name);\n"
            default: break
            }
            sql += ctx.comment(Catalog.pgRewrite, oid, target: "RULE \(name) ON \(tq)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgRewrite, oid: oid), kind: .rule, schema: r.string("nspname"),
                             name: "\(r.string("relname")) \(r.string("rulename"))", sql: sql + "\n",
                             deps: [CatKey(classid: Catalog.pgClass, oid: table)]))
        }

        for r in try ctx.query("""
            SELECT pol.oid, pol.polname, pol.polrelid, pol.polcmd, pol.polpermissive, n.nspname, c.relname,
                   pol.polrelid::pg_catalog.regclass::text AS tablename,
                   CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(ARRAY(
                       SELECT pg_catalog.quote_ident(rolname) FROM pg_catalog.pg_roles WHERE oid = ANY(pol.polroles)), ', ') END AS roles,
                   ARRAY(SELECT rolname FROM pg_catalog.pg_roles WHERE oid = ANY(pol.polroles))::text AS rolenames,
                   pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS qual,
                   pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS withcheck
            FROM pg_catalog.pg_policy pol
            JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), let table = UInt32(r.string("polrelid")) else { continue }
            let name = SQLIdentifier.quote(r.string("polname"))
            let tq = r.string("tablename")
            var sql = "CREATE POLICY \(name) ON \(tq)"
            if !r.bool("polpermissive") { sql += " AS RESTRICTIVE" }
            let cmds = ["r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"]
            if let cmd = cmds[r.string("polcmd")] { sql += " FOR \(cmd)" }
            if let roles = r["roles"] { sql += " TO \(roles)" }
            for role in PGArray.parse(r.string("rolenames")).compactMap({ $0 }) { ctx.noteRole(role) }
            if let qual = r["qual"] { sql += " USING (\(qual))" }
            if let check = r["withcheck"] { sql += " WITH CHECK (\(check))" }
            sql += ";\n"
            sql += ctx.comment(Catalog.pgPolicy, oid, target: "POLICY \(name) ON \(tq)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgPolicy, oid: oid), kind: .policy, schema: r.string("nspname"),
                             name: "\(r.string("relname")) \(r.string("polname"))", sql: sql + "\n",
                             deps: [CatKey(classid: Catalog.pgClass, oid: table)]))
        }
    }
}
