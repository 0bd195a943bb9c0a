import Postgres
import Support

/// User-defined operators and casts.
enum OperatorObjects {
    static func read(_ ctx: ReadContext) throws {
        try operators(ctx)
        try casts(ctx)
        try OperatorClassObjects.read(ctx)
        let languages = try ctx.query("SELECT oid, lanname FROM pg_catalog.pg_language WHERE oid >= 16384")
        for r in languages where !ctx.isExtensionMember(Catalog.pgLanguage, UInt32(r.string("oid")) ?? 0) {
            ctx.warn("procedural language \(r.string("lanname")) is not an extension; it is not dumped")
        }
    }

    static func operators(_ ctx: ReadContext) throws {
        func opName(_ column: String) -> String {
            """
            CASE WHEN o.\(column) <> 0 THEN (SELECT 'OPERATOR(' || pg_catalog.quote_ident(xn.nspname) || '.' || x.oprname || ')'
                FROM pg_catalog.pg_operator x JOIN pg_catalog.pg_namespace xn ON xn.oid = x.oprnamespace WHERE x.oid = o.\(column)) END
            """
        }
        for r in try ctx.query("""
            SELECT o.oid, n.nspname, o.oprname, pg_catalog.pg_get_userbyid(o.oprowner) AS owner,
                   CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END AS leftarg,
                   CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END AS rightarg,
                   CASE WHEN o.oprcode <> 0 THEN o.oprcode::pg_catalog.regproc::text END AS func,
                   \(opName("oprcom")) AS commutator, \(opName("oprnegate")) AS negator,
                   CASE WHEN o.oprrest <> 0 THEN o.oprrest::pg_catalog.regproc::text END AS restrict,
                   CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::pg_catalog.regproc::text END AS "join",
                   o.oprcanhash, o.oprcanmerge
            FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgOperator, oid) else { continue }
            guard let function = r["func"] else { continue }   // a shell operator: created by its commutator
            let name = "\(SQLIdentifier.quote(r.string("nspname"))).\(r.string("oprname"))"
            var opts = ["    FUNCTION = \(function)"]
            if let l = r["leftarg"] { opts.append("    LEFTARG = \(l)") }
            if let rt = r["rightarg"] { opts.append("    RIGHTARG = \(rt)") }
            if let c = r["commutator"] { opts.append("    COMMUTATOR = \(c)") }
            if let c = r["negator"] { opts.append("    NEGATOR = \(c)") }
            if r.bool("oprcanmerge") { opts.append("    MERGES") }
            if r.bool("oprcanhash") { opts.append("    HASHES") }
            if let f = r["restrict"] { opts.append("    RESTRICT = \(f)") }
            if let f = r["join"] { opts.append("    JOIN = \(f)") }
            let signature = "\(name) (\(r["leftarg"] ?? "NONE"), \(r["rightarg"] ?? "NONE"))"
            var sql = "CREATE OPERATOR \(name) (\n\(opts.joined(separator: ",\n"))\n);\n"
            sql += ctx.owner("OPERATOR", signature, r.string("owner"))
            sql += ctx.comment(Catalog.pgOperator, oid, target: "OPERATOR \(signature)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgOperator, oid: oid), kind: .operator,
                             schema: r.string("nspname"), name: r.string("oprname"), sql: sql + "\n"))
        }
    }

    static func casts(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT c.oid, pg_catalog.format_type(c.castsource, NULL) AS source, pg_catalog.format_type(c.casttarget, NULL) AS target,
                   CASE WHEN c.castfunc <> 0 THEN c.castfunc::pg_catalog.regprocedure::text END AS func,
                   c.castcontext, c.castmethod
            FROM pg_catalog.pg_cast c WHERE c.oid >= 16384
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass
                              AND d.objid = c.oid AND d.deptype = 'i')
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgCast, oid) else { continue }
            let pair = "(\(r.string("source")) AS \(r.string("target")))"
            var sql = "CREATE CAST \(pair)"
            switch r.string("castmethod") {
            case "b": sql += " WITHOUT FUNCTION"
            case "i": sql += " WITH INOUT"
            default: sql += " WITH FUNCTION \(r.string("func"))"
            }
            switch r.string("castcontext") {
            case "a": sql += " AS ASSIGNMENT"
            case "i": sql += " AS IMPLICIT"
            default: break
            }
            sql += ";\n" + ctx.comment(Catalog.pgCast, oid, target: "CAST \(pair)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgCast, oid: oid), kind: .cast,
                             schema: "", name: pair, sql: sql + "\n"))
        }
    }
}
