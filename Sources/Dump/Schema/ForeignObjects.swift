import Postgres
import Support

/// Foreign data wrappers, foreign servers, user mappings and foreign tables.
enum ForeignObjects {
    /// `OPTIONS (key 'value', …)` from a text[] of `key=value`, or "" when there are none.
    static func options(_ ctx: ReadContext, _ text: String?, leading: String = " ") -> String {
        let items = PGArray.parse(text ?? "{}").compactMap { $0 }.compactMap { item -> String? in
            guard let eq = item.firstIndex(of: "=") else { return nil }
            return "\(SQLIdentifier.quote(String(item[..<eq]))) \(ctx.literal(String(item[item.index(after: eq)...])))"
        }
        return items.isEmpty ? "" : "\(leading)OPTIONS (\n    \(items.joined(separator: ",\n    "))\n)"
    }

    static func read(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT f.oid, f.fdwname, pg_catalog.pg_get_userbyid(f.fdwowner) AS owner, f.fdwoptions::text AS options,
                   CASE WHEN f.fdwhandler <> 0 THEN f.fdwhandler::pg_catalog.regproc::text END AS handler,
                   CASE WHEN f.fdwvalidator <> 0 THEN f.fdwvalidator::pg_catalog.regproc::text END AS validator,
                   f.fdwacl::text AS acl, pg_catalog.acldefault('F', f.fdwowner)::text AS base
            FROM pg_catalog.pg_foreign_data_wrapper f
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgForeignDataWrapper, oid) else { continue }
            let name = SQLIdentifier.quote(r.string("fdwname"))
            var sql = "CREATE FOREIGN DATA WRAPPER \(name)"
            if let h = r["handler"] { sql += " HANDLER \(h)" }
            if let v = r["validator"] { sql += " VALIDATOR \(v)" }
            sql += options(ctx, r["options"]) + ";\n"
            sql += ctx.owner("FOREIGN DATA WRAPPER", name, r.string("owner"))
            sql += ctx.comment(Catalog.pgForeignDataWrapper, oid, target: "FOREIGN DATA WRAPPER \(name)")
            sql += ctx.acl("FOREIGN DATA WRAPPER", name, acl: r["acl"], base: r["base"], owner: r.string("owner"), set: .usage)
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgForeignDataWrapper, oid: oid), kind: .foreignDataWrapper,
                             schema: "", name: r.string("fdwname"), sql: sql + "\n"))
        }
        for r in try ctx.query("""
            SELECT s.oid, s.srvname, pg_catalog.pg_get_userbyid(s.srvowner) AS owner, s.srvtype, s.srvversion,
                   s.srvoptions::text AS options, f.fdwname, s.srvfdw,
                   s.srvacl::text AS acl, pg_catalog.acldefault('S', s.srvowner)::text AS base
            FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper f ON f.oid = s.srvfdw
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgForeignServer, oid) else { continue }
            let name = SQLIdentifier.quote(r.string("srvname"))
            var sql = "CREATE SERVER \(name)"
            if let t = r["srvtype"] { sql += " TYPE \(ctx.literal(t))" }
            if let v = r["srvversion"] { sql += " VERSION \(ctx.literal(v))" }
            sql += " FOREIGN DATA WRAPPER \(SQLIdentifier.quote(r.string("fdwname")))" + options(ctx, r["options"]) + ";\n"
            sql += ctx.owner("SERVER", name, r.string("owner"))
            sql += ctx.comment(Catalog.pgForeignServer, oid, target: "SERVER \(name)")
            sql += ctx.acl("FOREIGN SERVER", name, acl: r["acl"], base: r["base"], owner: r.string("owner"), set: .usage)
            var deps: Set<CatKey> = []
            if let fdw = UInt32(r.string("srvfdw")) { deps.insert(CatKey(classid: Catalog.pgForeignDataWrapper, oid: fdw)) }
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgForeignServer, oid: oid), kind: .foreignServer,
                             schema: "", name: r.string("srvname"), sql: sql + "\n", deps: deps))
        }
        // pg_user_mapping holds the options (often credentials) and needs superuser; the
        // pg_user_mappings view shows them to whoever may see them.
        for r in try ctx.query("""
            SELECT um.umid AS oid, um.srvid, um.srvname, um.usename, um.umoptions::text AS options
            FROM pg_catalog.pg_user_mappings um
            """) {
            guard let oid = UInt32(r.string("oid")), let server = UInt32(r.string("srvid")) else { continue }
            let user = r.string("usename")
            ctx.noteRole(user == "public" ? "" : user)
            let who = user == "public" ? "PUBLIC" : SQLIdentifier.quote(user)
            let sql = "CREATE USER MAPPING FOR \(who) SERVER \(SQLIdentifier.quote(r.string("srvname")))"
                + options(ctx, r["options"]) + ";\n\n"
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgUserMapping, oid: oid), kind: .foreignServer,
                             schema: "", name: "\(r.string("srvname")) \(user)", sql: sql,
                             deps: [CatKey(classid: Catalog.pgForeignServer, oid: server)]))
        }
    }

    static func foreignTable(_ ctx: ReadContext, _ rel: TableObjects.Relation) throws {
        let q = rel.qualified
        let cols = try TableObjects.columns(ctx, relid: rel.oid)
        guard let ft = try ctx.query("""
            SELECT s.srvname, ft.ftoptions::text AS options, ft.ftserver
            FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
            WHERE ft.ftrelid = $1
            """, [String(rel.oid)]).first else { return }
        var lines: [String] = cols.filter { $0.isLocal || rel.record.bool("relispartition") }.map { col in
            var s = "    \(SQLIdentifier.quote(col.name)) \(col.type)"
            let o = options(ctx, col.fdwOptions).replacingOccurrences(of: "\n    ", with: " ").replacingOccurrences(of: "\n)", with: ")")
            s += o
            if let coll = col.collation { s += " COLLATE \(coll)" }
            if col.notNull { s += " NOT NULL" }
            return s
        }
        for c in try ctx.query("""
            SELECT oid, conname, pg_catalog.pg_get_constraintdef(oid) AS def FROM pg_catalog.pg_constraint
            WHERE conrelid = $1 AND contype = 'c' AND conislocal ORDER BY conname
            """, [String(rel.oid)]) {
            if let coid = UInt32(c.string("oid")) { ctx.alias[CatKey(classid: Catalog.pgConstraint, oid: coid)] = rel.key }
            lines.append("    CONSTRAINT \(SQLIdentifier.quote(c.string("conname"))) \(c.string("def"))")
        }
        var sql = "CREATE FOREIGN TABLE \(q) (\n\(lines.joined(separator: ",\n"))\n)\n"
        sql += "SERVER \(SQLIdentifier.quote(ft.string("srvname")))" + options(ctx, ft["options"], leading: "\n") + ";\n"
        sql += ctx.owner("FOREIGN TABLE", q, rel.owner)
        sql += TableObjects.columnExtras(ctx, rel, cols, kind: "FOREIGN TABLE")
        ctx.add(DumpItem(key: rel.key, kind: .table, schema: rel.schema, name: rel.name, sql: sql + "\n",
                         deps: [CatKey(classid: Catalog.pgForeignServer, oid: UInt32(ft.string("ftserver")) ?? 0)]))
        try TableObjects.defaults(ctx, rel, cols, alter: "ALTER FOREIGN TABLE ONLY")
        try TableObjects.attachPartition(ctx, rel)
    }
}
