import Postgres
import Support

/// Functions, procedures and aggregates (not those internal to another object, such as range
/// constructors, nor extension members).
enum FunctionObjects {
    static func read(_ ctx: ReadContext) throws {
        let prokind = ctx.since(110000, "p.prokind",
                                else: "CASE WHEN p.proisagg THEN 'a' WHEN p.proiswindow THEN 'w' ELSE 'f' END")
        let rows = try ctx.query("""
            SELECT p.oid, n.nspname, p.proname, \(prokind) AS prokind, pg_catalog.pg_get_userbyid(p.proowner) AS owner,
                   p.proacl::text AS acl, pg_catalog.acldefault('f', p.proowner)::text AS base,
                   pg_catalog.pg_get_function_identity_arguments(p.oid) AS identargs,
                   CASE WHEN \(prokind) <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END AS def
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE \(SchemaObjects.userNamespace)
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                              WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'i')
            """)
        for r in rows {
            guard let oid = UInt32(r.string("oid")) else { continue }
            if ctx.isExtensionMember(Catalog.pgProc, oid) { continue }
            let schema = r.string("nspname"), name = r.string("proname")
            let q = SQLIdentifier.qualified(schema, name)
            let signature = "\(q)(\(r.string("identargs")))"
            let owner = r.string("owner")
            let kind: String
            var sql: String
            var objKind = ObjKind.function
            switch r.string("prokind") {
            case "a":
                kind = "AGGREGATE"
                objKind = .aggregate
                sql = try aggregateSQL(ctx, oid: oid, name: q)
            case "p":
                kind = "PROCEDURE"
                sql = plainCreate(r.string("def"))
            default:
                kind = "FUNCTION"
                sql = plainCreate(r.string("def"))
            }
            sql += ctx.owner(kind, signature, owner)
            sql += ctx.comment(Catalog.pgProc, oid, target: "\(kind) \(signature)")
            sql += ctx.acl(kind, signature, acl: r["acl"], base: r["base"], owner: owner, set: .function)
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgProc, oid: oid), kind: objKind, schema: schema,
                             name: "\(name)(\(r.string("identargs")))", sql: sql + "\n"))
        }
    }

    /// pg_get_functiondef's text as a plain CREATE (like pg_dump): loading into a database that
    /// already has the routine fails loudly instead of silently replacing it.
    static func plainCreate(_ def: String) -> String {
        var text = def.trimmingTrailingNewlines()
        if text.hasPrefix("CREATE OR REPLACE ") { text = "CREATE " + text.dropFirst("CREATE OR REPLACE ".count) }
        return text + ";\n"
    }

    static func aggregateSQL(_ ctx: ReadContext, oid: UInt32, name: String) throws -> String {
        let finalModify = ctx.since(110000, "a.aggfinalmodify", else: "CASE WHEN a.aggkind = 'n' THEN 'r' ELSE 'w' END")
        let mFinalModify = ctx.since(110000, "a.aggmfinalmodify", else: "CASE WHEN a.aggkind = 'n' THEN 'r' ELSE 'w' END")
        let rows = try ctx.query("""
            SELECT pg_catalog.pg_get_function_arguments(p.oid) AS args,
                   a.aggkind, a.aggtransfn::pg_catalog.regproc::text AS sfunc,
                   pg_catalog.format_type(a.aggtranstype, NULL) AS stype, a.aggtransspace, a.agginitval,
                   CASE WHEN a.aggfinalfn <> 0 THEN a.aggfinalfn::pg_catalog.regproc::text END AS finalfn,
                   a.aggfinalextra, \(finalModify) AS aggfinalmodify,
                   CASE WHEN a.aggcombinefn <> 0 THEN a.aggcombinefn::pg_catalog.regproc::text END AS combinefn,
                   CASE WHEN a.aggserialfn <> 0 THEN a.aggserialfn::pg_catalog.regproc::text END AS serialfn,
                   CASE WHEN a.aggdeserialfn <> 0 THEN a.aggdeserialfn::pg_catalog.regproc::text END AS deserialfn,
                   CASE WHEN a.aggmtransfn <> 0 THEN a.aggmtransfn::pg_catalog.regproc::text END AS msfunc,
                   CASE WHEN a.aggminvtransfn <> 0 THEN a.aggminvtransfn::pg_catalog.regproc::text END AS minvfunc,
                   CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS mstype,
                   a.aggmtransspace, a.aggminitval,
                   CASE WHEN a.aggmfinalfn <> 0 THEN a.aggmfinalfn::pg_catalog.regproc::text END AS mfinalfn,
                   a.aggmfinalextra, \(mFinalModify) AS aggmfinalmodify,
                   CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::pg_catalog.regoper::text END AS sortop,
                   p.proparallel
            FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
            WHERE a.aggfnoid = $1
            """, [String(oid)])
        guard let r = rows.first else { throw DRDError(.internal, "aggregate \(name) has no pg_aggregate row") }
        var args = r.string("args")
        if args.isEmpty { args = "*" }
        let defaultModify = r.string("aggkind") == "n" ? "r" : "w"
        func modify(_ c: String) -> String { c == "s" ? "SHAREABLE" : c == "w" ? "READ_WRITE" : "READ_ONLY" }
        var o = ["    SFUNC = \(r.string("sfunc"))", "    STYPE = \(r.string("stype"))"]
        if r.string("aggtransspace") != "0" { o.append("    SSPACE = \(r.string("aggtransspace"))") }
        if let v = r["agginitval"] { o.append("    INITCOND = \(ctx.literal(v))") }
        if let f = r["finalfn"] {
            o.append("    FINALFUNC = \(f)")
            if r.bool("aggfinalextra") { o.append("    FINALFUNC_EXTRA") }
        }
        if r.string("aggfinalmodify") != defaultModify { o.append("    FINALFUNC_MODIFY = \(modify(r.string("aggfinalmodify")))") }
        if let f = r["combinefn"] { o.append("    COMBINEFUNC = \(f)") }
        if let f = r["serialfn"] { o.append("    SERIALFUNC = \(f)") }
        if let f = r["deserialfn"] { o.append("    DESERIALFUNC = \(f)") }
        if let f = r["msfunc"] {
            o.append("    MSFUNC = \(f)")
            if let i = r["minvfunc"] { o.append("    MINVFUNC = \(i)") }
            if let t = r["mstype"] { o.append("    MSTYPE = \(t)") }
            if r.string("aggmtransspace") != "0" { o.append("    MSSPACE = \(r.string("aggmtransspace"))") }
            if let v = r["aggminitval"] { o.append("    MINITCOND = \(ctx.literal(v))") }
            if let m = r["mfinalfn"] {
                o.append("    MFINALFUNC = \(m)")
                if r.bool("aggmfinalextra") { o.append("    MFINALFUNC_EXTRA") }
            }
            if r.string("aggmfinalmodify") != defaultModify { o.append("    MFINALFUNC_MODIFY = \(modify(r.string("aggmfinalmodify")))") }
        }
        if let s = r["sortop"] { o.append("    SORTOP = OPERATOR(\(s))") }
        if r.string("aggkind") == "h" { o.append("    HYPOTHETICAL") }
        switch r.string("proparallel") {
        case "s": o.append("    PARALLEL = safe")
        case "r": o.append("    PARALLEL = restricted")
        default: break
        }
        return "CREATE AGGREGATE \(name)(\(args)) (\n\(o.joined(separator: ",\n"))\n);\n"
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }
}
