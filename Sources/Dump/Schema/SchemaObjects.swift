import Postgres
import Support

/// Schemas, extensions and collations.
enum SchemaObjects {
    /// Filters catalog rows to user schemas (`n` is pg_namespace).
    static let userNamespace = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"

    static func readNamespaces(_ ctx: ReadContext) throws {
        let rows = try ctx.query("""
            SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl,
                   COALESCE((SELECT ip.initprivs::text FROM pg_catalog.pg_init_privs ip
                             WHERE ip.objoid = n.oid AND ip.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
                               AND ip.objsubid = 0),
                            pg_catalog.acldefault('n', n.nspowner)::text) AS base,
                   (n.nspowner = 'pg_database_owner'::pg_catalog.regrole) AS default_owner
            FROM pg_catalog.pg_namespace n
            WHERE \(userNamespace)
            """)
        for r in rows {
            guard let oid = UInt32(r.string("oid")) else { continue }
            if ctx.isExtensionMember(Catalog.pgNamespace, oid) { continue }
            let name = r.string("nspname")
            let q = SQLIdentifier.quote(name)
            let owner = r.string("owner")
            var sql = ""
            if name == "public" {
                // public exists in every new database: only owner, comment and ACL changes.
                if !r.bool("default_owner") { sql += ctx.owner("SCHEMA", q, owner) }
                let key = ReadContext.CommentKey(classid: Catalog.pgNamespace, oid: oid, sub: 0)
                if let text = ctx.comments[key] {
                    if text != "standard public schema" { sql += "COMMENT ON SCHEMA public IS \(ctx.literal(text));\n" }
                } else {
                    sql += "COMMENT ON SCHEMA public IS NULL;\n"
                }
            } else {
                sql += "CREATE SCHEMA \(q);\n"
                sql += ctx.owner("SCHEMA", q, owner)
                sql += ctx.comment(Catalog.pgNamespace, oid, target: "SCHEMA \(q)")
            }
            sql += ctx.acl("SCHEMA", q, acl: r["acl"], base: r["base"], owner: owner, set: .schema)
            if !sql.isEmpty {
                ctx.add(DumpItem(key: CatKey(classid: Catalog.pgNamespace, oid: oid), kind: .namespace,
                                 schema: "", name: name, sql: sql + "\n"))
            }
        }
    }

    static func readExtensions(_ ctx: ReadContext) throws {
        let rows = try ctx.query("""
            SELECT e.oid, e.extname, n.nspname, e.extconfig::text AS config, e.extcondition::text AS conditions
            FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE e.oid >= 16384
            """)
        for r in rows {
            guard let oid = UInt32(r.string("oid")) else { continue }
            let name = SQLIdentifier.quote(r.string("extname"))
            var sql = "CREATE EXTENSION IF NOT EXISTS \(name) WITH SCHEMA \(SQLIdentifier.quote(r.string("nspname")));\n"
            sql += ctx.comment(Catalog.pgExtension, oid, target: "EXTENSION \(name)")
            try configurationData(ctx, extension: r)
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgExtension, oid: oid), kind: .extension,
                             schema: "", name: r.string("extname"), sql: sql + "\n"))
        }
    }

    static func readCollations(_ ctx: ReadContext) throws {
        let icuLocale = ctx.version >= 150000 ? "c.colliculocale" : "NULL::text"
        let rows = try ctx.query("""
            SELECT c.oid, n.nspname, c.collname, pg_catalog.pg_get_userbyid(c.collowner) AS owner,
                   c.collprovider, \(ctx.since(120000, "c.collisdeterministic", else: "true")) AS collisdeterministic, c.collcollate, c.collctype, \(icuLocale) AS iculocale
            FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
            WHERE \(userNamespace) AND c.oid >= 16384
            """)
        for r in rows {
            guard let oid = UInt32(r.string("oid")) else { continue }
            if ctx.isExtensionMember(Catalog.pgCollation, oid) { continue }
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("collname"))
            var opts: [String] = []
            switch r.string("collprovider") {
            case "i": opts.append("provider = icu")
            case "c": opts.append("provider = libc")
            default: break
            }
            if !r.bool("collisdeterministic") { opts.append("deterministic = false") }
            if r.string("collprovider") == "i" {
                opts.append("locale = \(ctx.literal(r["iculocale"] ?? r.string("collcollate")))")
            } else if r.string("collcollate") == r.string("collctype") {
                opts.append("locale = \(ctx.literal(r.string("collcollate")))")
            } else {
                opts.append("lc_collate = \(ctx.literal(r.string("collcollate")))")
                opts.append("lc_ctype = \(ctx.literal(r.string("collctype")))")
            }
            var sql = "CREATE COLLATION \(q) (\(opts.joined(separator: ", ")));\n"
            sql += ctx.owner("COLLATION", q, r.string("owner"))
            sql += ctx.comment(Catalog.pgCollation, oid, target: "COLLATION \(q)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgCollation, oid: oid), kind: .collation,
                             schema: r.string("nspname"), name: r.string("collname"), sql: sql + "\n"))
        }
    }

    /// Rows of an extension's configuration tables (pg_extension_config_dump) that its filter
    /// selects — what the user added, not what CREATE EXTENSION inserts — like pg_dump does.
    static func configurationData(_ ctx: ReadContext, extension r: Record) throws {
        let tables = PGArray.parse(r["config"] ?? "{}")
        let conditions = PGArray.parse(r["conditions"] ?? "{}")
        for (i, relid) in tables.enumerated() {
            guard let relid, let oid = UInt32(relid) else { continue }
            let info = try ctx.query("""
                SELECT c.relkind, n.nspname, c.relname, c.oid::pg_catalog.regclass::text AS qualified,
                       pg_catalog.pg_relation_size(c.oid) AS size
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1
                """, [relid])
            guard let rel = info.first else { continue }
            let q = rel.string("qualified")
            if rel.string("relkind") == "S" {
                if let v = try ctx.query("SELECT last_value, is_called FROM \(q)").first {
                    ctx.add(DumpItem(key: ctx.synthetic(), kind: .sequenceSet, schema: rel.string("nspname"), name: rel.string("relname"),
                                     sql: "SELECT pg_catalog.setval(\(ctx.literal(q)), \(v.string("last_value")), \(v.bool("is_called") ? "true" : "false"));\n\n"))
                }
                continue
            }
            guard rel.string("relkind") == "r" else { continue }
            let cols = try TableObjects.columns(ctx, relid: oid).filter { $0.generated.isEmpty }.map { SQLIdentifier.quote($0.name) }
            let list = cols.isEmpty ? "" : "(\(cols.joined(separator: ", ")))"
            let condition = (i < conditions.count ? conditions[i] : nil) ?? ""
            let select = "SELECT \(cols.isEmpty ? "" : cols.joined(separator: ", ")) FROM ONLY \(q) \(condition)"
            ctx.tables.append(TableData(schema: rel.string("nspname"), name: rel.string("relname"), oid: oid, qualifiedName: q,
                                        columnList: list, copyOutSQL: "COPY (\(select)) TO STDOUT",
                                        copyInHeader: "COPY \(q) \(list) FROM stdin;".replacingOccurrences(of: "  ", with: " "),
                                        estimatedBytes: rel.int64("size")))
        }
    }
}
