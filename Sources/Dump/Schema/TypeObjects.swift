import Postgres
import Support

/// Enum, composite, domain and range types (base types in C are reported, not dumped).
enum TypeObjects {
    static func read(_ ctx: ReadContext) throws {
        let rows = try ctx.query("""
            SELECT t.oid, n.nspname, t.typname, t.typtype, pg_catalog.pg_get_userbyid(t.typowner) AS owner,
                   t.typacl::text AS acl, pg_catalog.acldefault('T', t.typowner)::text AS base,
                   t.typrelid, c.relkind, t.typelem, (e.typarray = t.oid) AS is_array,
                   pg_catalog.format_type(t.typbasetype, t.typtypmod) AS basetype, t.typnotnull, t.typdefault,
                   t.typcollation, bt.typcollation AS base_collation,
                   CASE WHEN t.typcollation <> 0 THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation
            FROM pg_catalog.pg_type t
            JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
            LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
            LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
            LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            WHERE \(SchemaObjects.userNamespace)
            """)
        var multirangeOf: [UInt32: UInt32] = [:]
        if ctx.version >= 140000 {
            for r in try ctx.query("SELECT rngtypid, rngmultitypid FROM pg_catalog.pg_range") {
                if let m = UInt32(r.string("rngmultitypid")), let t = UInt32(r.string("rngtypid")) { multirangeOf[m] = t }
            }
        }
        for r in rows {
            guard let oid = UInt32(r.string("oid")) else { continue }
            let key = CatKey(classid: Catalog.pgType, oid: oid)
            let relid = UInt32(r.string("typrelid")) ?? 0
            // Types that stand for something else resolve to it for dependencies.
            if relid != 0 && r["relkind"] != "c" {
                ctx.alias[key] = CatKey(classid: Catalog.pgClass, oid: relid); continue
            }
            if r.bool("is_array"), let elem = UInt32(r.string("typelem")) {
                ctx.alias[key] = CatKey(classid: Catalog.pgType, oid: elem); continue
            }
            if let range = multirangeOf[oid] {
                ctx.alias[key] = CatKey(classid: Catalog.pgType, oid: range); continue
            }
            if ctx.isExtensionMember(Catalog.pgType, oid) { continue }
            let schema = r.string("nspname"), name = r.string("typname")
            let q = SQLIdentifier.qualified(schema, name)
            let owner = r.string("owner")
            var sql: String
            var word = "TYPE"
            switch r.string("typtype") {
            case "e":
                let labels = try ctx.query("SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder",
                                           [String(oid)]).map { "    " + ctx.literal($0.string("enumlabel")) }
                sql = "CREATE TYPE \(q) AS ENUM (\n\(labels.joined(separator: ",\n"))\n);\n"
            case "c":
                ctx.alias[CatKey(classid: Catalog.pgClass, oid: relid)] = key
                let cols = try TableObjects.columns(ctx, relid: relid)
                let body = cols.map { col -> String in
                    var s = "    \(SQLIdentifier.quote(col.name)) \(col.type)"
                    if let coll = col.collation { s += " COLLATE \(coll)" }
                    return s
                }
                sql = "CREATE TYPE \(q) AS (\n\(body.joined(separator: ",\n"))\n);\n"
                for col in cols {
                    sql += ctx.comment(Catalog.pgClass, relid, sub: Int32(col.attnum),
                                       target: "COLUMN \(q).\(SQLIdentifier.quote(col.name))")
                }
            case "d":
                word = "DOMAIN"
                sql = "CREATE DOMAIN \(q) AS \(r.string("basetype"))"
                if r["typcollation"] != r["base_collation"], let coll = r["collation"] { sql += " COLLATE \(coll)" }
                if let def = r["typdefault"] { sql += " DEFAULT \(def)" }
                if r.bool("typnotnull") { sql += " NOT NULL" }
                var later = ""
                for c in try ctx.query("""
                    SELECT oid, conname, pg_catalog.pg_get_constraintdef(oid) AS def, convalidated
                    FROM pg_catalog.pg_constraint WHERE contypid = $1 ORDER BY conname
                    """, [String(oid)]) {
                    guard let coid = UInt32(c.string("oid")) else { continue }
                    ctx.alias[CatKey(classid: Catalog.pgConstraint, oid: coid)] = key
                    let cname = SQLIdentifier.quote(c.string("conname"))
                    if c.bool("convalidated") {
                        sql += "\n\tCONSTRAINT \(cname) \(c.string("def"))"
                    } else {
                        later += "ALTER DOMAIN \(q)\n    ADD CONSTRAINT \(cname) \(c.string("def"));\n"
                    }
                    later += ctx.comment(Catalog.pgConstraint, coid, target: "CONSTRAINT \(cname) ON DOMAIN \(q)")
                }
                sql += ";\n"
                if !later.isEmpty {
                    ctx.add(DumpItem(key: ctx.synthetic(), kind: .constraint,
                                     schema: schema, name: name, sql: later + "\n", deps: [key]))
                }
            case "r":
                sql = try rangeSQL(ctx, oid: oid, name: q)
            case "p":
                continue
            default:
                ctx.warn("type \(schema).\(name) is a base type implemented in C; it is not dumped (install its extension or create it first)")
                continue
            }
            sql += ctx.owner(word, q, owner)
            sql += ctx.comment(Catalog.pgType, oid, target: "\(word) \(q)")
            sql += ctx.acl(word, q, acl: r["acl"], base: r["base"], owner: owner, set: .usage)
            ctx.add(DumpItem(key: key, kind: .type, schema: schema, name: name, sql: sql + "\n"))
        }
    }

    static func rangeSQL(_ ctx: ReadContext, oid: UInt32, name: String) throws -> String {
        let multi = ctx.version >= 140000
            ? "pg_catalog.quote_ident(mn.nspname) || '.' || pg_catalog.quote_ident(mt.typname)" : "NULL::text"
        let rows = try ctx.query("""
            SELECT pg_catalog.format_type(r.rngsubtype, NULL) AS subtype, \(multi) AS multirange,
                   opc.opcdefault, pg_catalog.quote_ident(opn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) AS opclass,
                   r.rngcollation, st.typcollation AS sub_collation,
                   CASE WHEN r.rngcollation <> 0 THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
                   CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::pg_catalog.regproc::text END AS canonical,
                   CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.regproc::text END AS subdiff
            FROM pg_catalog.pg_range r
            JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
            JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc
            JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace
            \(multi == "NULL::text" ? "" : "LEFT JOIN pg_catalog.pg_type mt ON mt.oid = r.rngmultitypid LEFT JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace")
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation
            LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            WHERE r.rngtypid = $1
            """, [String(oid)])
        guard let r = rows.first else { throw DRDError(.internal, "range type \(name) has no pg_range row") }
        var opts = ["    subtype = \(r.string("subtype"))"]
        if let m = r["multirange"] { opts.append("    multirange_type_name = \(m)") }
        if !r.bool("opcdefault") { opts.append("    subtype_opclass = \(r.string("opclass"))") }
        if r["rngcollation"] != r["sub_collation"], let c = r["collation"] { opts.append("    collation = \(c)") }
        if let c = r["canonical"] { opts.append("    canonical = \(c)") }
        if let d = r["subdiff"] { opts.append("    subtype_diff = \(d)") }
        return "CREATE TYPE \(name) AS RANGE (\n\(opts.joined(separator: ",\n"))\n);\n"
    }
}
