import Postgres
import Support

/// Operator families (with their loose members) and operator classes, as pg_dump writes them:
/// every family explicitly, then each class naming its family.
enum OperatorClassObjects {
    static func read(_ ctx: ReadContext) throws {
        // Which family or class each pg_amop / pg_amproc row belongs to.
        var owner: [CatKey: CatKey] = [:]
        for r in try ctx.query("""
            SELECT classid, objid, refclassid, refobjid FROM pg_catalog.pg_depend
            WHERE classid IN ('pg_catalog.pg_amop'::pg_catalog.regclass, 'pg_catalog.pg_amproc'::pg_catalog.regclass)
              AND refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, 'pg_catalog.pg_opfamily'::pg_catalog.regclass)
              AND deptype IN ('i', 'a')
            """) {
            guard let c = UInt32(r.string("classid")), let o = UInt32(r.string("objid")),
                  let rc = UInt32(r.string("refclassid")), let ro = UInt32(r.string("refobjid")) else { continue }
            let member = CatKey(classid: c, oid: o), parent = CatKey(classid: rc, oid: ro)
            owner[member] = parent
            ctx.alias[member] = parent
        }
        let families = try ctx.query("""
            SELECT f.oid, n.nspname, f.opfname, a.amname, pg_catalog.pg_get_userbyid(f.opfowner) AS owner
            FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
            JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
            WHERE \(SchemaObjects.userNamespace)
            """)
        for r in families {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgOpfamily, oid) else { continue }
            let key = CatKey(classid: Catalog.pgOpfamily, oid: oid)
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("opfname"))
            let using = "USING \(SQLIdentifier.quote(r.string("amname")))"
            var sql = "CREATE OPERATOR FAMILY \(q) \(using);\n"
            let loose = try members(ctx, family: oid, owner: owner, parent: key)
            if !loose.isEmpty { sql += "ALTER OPERATOR FAMILY \(q) \(using) ADD\n    \(loose.joined(separator: " ,\n    "));\n" }
            sql += ctx.owner("OPERATOR FAMILY", "\(q) \(using)", r.string("owner"))
            sql += ctx.comment(Catalog.pgOpfamily, oid, target: "OPERATOR FAMILY \(q) \(using)")
            ctx.add(DumpItem(key: key, kind: .opfamily, schema: r.string("nspname"), name: r.string("opfname"), sql: sql + "\n"))
        }
        for r in try ctx.query("""
            SELECT c.oid, n.nspname, c.opcname, a.amname, pg_catalog.pg_get_userbyid(c.opcowner) AS owner, c.opcdefault,
                   pg_catalog.format_type(c.opcintype, NULL) AS intype,
                   CASE WHEN c.opckeytype <> 0 THEN pg_catalog.format_type(c.opckeytype, NULL) END AS keytype,
                   c.opcfamily, pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(f.opfname) AS family
            FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
            JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod
            JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily
            JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgOpclass, oid) else { continue }
            let key = CatKey(classid: Catalog.pgOpclass, oid: oid)
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("opcname"))
            let using = "USING \(SQLIdentifier.quote(r.string("amname")))"
            var items = try members(ctx, family: UInt32(r.string("opcfamily")) ?? 0, owner: owner, parent: key)
            if let k = r["keytype"] { items.insert("STORAGE \(k)", at: 0) }
            if items.isEmpty { items = ["STORAGE \(r.string("intype"))"] }
            var sql = "CREATE OPERATOR CLASS \(q)\n    \(r.bool("opcdefault") ? "DEFAULT " : "")FOR TYPE \(r.string("intype")) \(using)"
            sql += " FAMILY \(r.string("family")) AS\n    \(items.joined(separator: " ,\n    "));\n"
            sql += ctx.owner("OPERATOR CLASS", "\(q) \(using)", r.string("owner"))
            sql += ctx.comment(Catalog.pgOpclass, oid, target: "OPERATOR CLASS \(q) \(using)")
            var deps: Set<CatKey> = []
            if let f = UInt32(r.string("opcfamily")) { deps.insert(CatKey(classid: Catalog.pgOpfamily, oid: f)) }
            ctx.add(DumpItem(key: key, kind: .opclass, schema: r.string("nspname"), name: r.string("opcname"),
                             sql: sql + "\n", deps: deps))
        }
    }

    /// `OPERATOR n op(l,r) [FOR ORDER BY f]` and `FUNCTION n (l, r) f(args)` entries of `family`
    /// that belong to `parent` (the class, or the family itself for loose members).
    static func members(_ ctx: ReadContext, family: UInt32, owner: [CatKey: CatKey], parent: CatKey) throws -> [String] {
        var out: [String] = []
        for r in try ctx.query("""
            SELECT ao.oid, ao.amopstrategy, ao.amopopr::pg_catalog.regoperator::text AS op, ao.amoppurpose,
                   CASE WHEN ao.amopsortfamily <> 0 THEN (SELECT pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sf.opfname)
                        FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
                        WHERE sf.oid = ao.amopsortfamily) END AS sortfamily
            FROM pg_catalog.pg_amop ao WHERE ao.amopfamily = $1 ORDER BY ao.amopstrategy, ao.oid
            """, [String(family)]) {
            guard let oid = UInt32(r.string("oid")), owner[CatKey(classid: Catalog.pgAmop, oid: oid)] == parent else { continue }
            var s = "OPERATOR \(r.string("amopstrategy")) \(r.string("op"))"
            if r.string("amoppurpose") == "o", let f = r["sortfamily"] { s += " FOR ORDER BY \(f)" }
            out.append(s)
        }
        for r in try ctx.query("""
            SELECT ap.oid, ap.amprocnum, pg_catalog.format_type(ap.amproclefttype, NULL) AS lt,
                   pg_catalog.format_type(ap.amprocrighttype, NULL) AS rt, ap.amproc::pg_catalog.regprocedure::text AS fn
            FROM pg_catalog.pg_amproc ap WHERE ap.amprocfamily = $1 ORDER BY ap.amprocnum, ap.oid
            """, [String(family)]) {
            guard let oid = UInt32(r.string("oid")), owner[CatKey(classid: Catalog.pgAmproc, oid: oid)] == parent else { continue }
            out.append("FUNCTION \(r.string("amprocnum")) (\(r.string("lt")), \(r.string("rt"))) \(r.string("fn"))")
        }
        return out
    }
}
