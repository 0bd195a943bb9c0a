import Postgres
import Support

/// Extended statistics, event triggers, publications and default privileges.
enum MiscObjects {
    static func read(_ ctx: ReadContext) throws {
        try statistics(ctx)
        try eventTriggers(ctx)
        try publications(ctx)
        try defaultACLs(ctx)
        try unsupported(ctx)
    }

    /// Subscriptions, created disconnected (`connect = false`) as pg_dump does, so a restore never
    /// starts replicating on its own. Their connection strings are readable by superusers only.
    static func subscriptions(_ ctx: ReadContext) throws {
        let thisDatabase = "s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())"
        let isSuper = try ctx.conn.scalar("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user") == "t"
        guard isSuper else {
            for r in try ctx.query("SELECT s.subname FROM pg_catalog.pg_subscription s WHERE \(thisDatabase)") {
                ctx.warn("subscription \(r.string("subname")) is not dumped: only a superuser can read its connection string")
            }
            return
        }
        let extra = ctx.version >= 150000
            ? "s.subbinary, s.substream, s.subtwophasestate, s.subdisableonerr"
            : "false AS subbinary, false AS substream, 'd'::\"char\" AS subtwophasestate, false AS subdisableonerr"
        for r in try ctx.query("""
            SELECT s.oid, s.subname, pg_catalog.pg_get_userbyid(s.subowner) AS owner, s.subconninfo, s.subslotname,
                   s.subsynccommit, s.subpublications::text AS publications, \(extra)
            FROM pg_catalog.pg_subscription s WHERE \(thisDatabase)
            """) {
            guard let oid = UInt32(r.string("oid")) else { continue }
            let name = SQLIdentifier.quote(r.string("subname"))
            let pubs = PGArray.parse(r.string("publications")).compactMap { $0 }.map(SQLIdentifier.quote)
            var opts = ["connect = false"]
            opts.append("slot_name = " + (r["subslotname"].map { ctx.literal($0) } ?? "NONE"))
            if r.bool("subbinary") { opts.append("binary = true") }
            if r.bool("substream") { opts.append("streaming = on") }
            if r.string("subtwophasestate") != "d" { opts.append("two_phase = on") }
            if r.bool("subdisableonerr") { opts.append("disable_on_error = true") }
            if r.string("subsynccommit") != "off" { opts.append("synchronous_commit = \(ctx.literal(r.string("subsynccommit")))") }
            var sql = "CREATE SUBSCRIPTION \(name) CONNECTION \(ctx.literal(r.string("subconninfo"))) PUBLICATION \(pubs.joined(separator: ", ")) WITH (\(opts.joined(separator: ", ")));\n"
            sql += ctx.owner("SUBSCRIPTION", name, r.string("owner"))
            sql += ctx.comment(Catalog.pgSubscription, oid, target: "SUBSCRIPTION \(name)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgSubscription, oid: oid), kind: .publicationRel,
                             schema: "", name: "~subscription \(r.string("subname"))", sql: sql + "\n"))
        }
    }

    /// Things pg_dump would write that drd does not yet: reported, never silently dropped.
    static func unsupported(_ ctx: ReadContext) throws {
        try subscriptions(ctx)
        let others = try ctx.query("""
            SELECT 'conversion ' || n.nspname || '.' || c.conname AS what, 'pg_catalog.pg_conversion'::pg_catalog.regclass::oid AS cls, c.oid
            FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
            WHERE \(SchemaObjects.userNamespace)
            UNION ALL SELECT 'access method ' || amname, 'pg_catalog.pg_am'::pg_catalog.regclass::oid, oid FROM pg_catalog.pg_am WHERE oid >= 16384
            UNION ALL SELECT 'transform for type ' || pg_catalog.format_type(trftype, NULL), 'pg_catalog.pg_transform'::pg_catalog.regclass::oid, oid
            FROM pg_catalog.pg_transform WHERE oid >= 16384
            """)
        for r in others {
            guard let cls = UInt32(r.string("cls")), let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(cls, oid) else { continue }
            ctx.warn("\(r.string("what")) is not dumped (not supported yet; it is not part of an extension)")
        }
        if let n = try ctx.conn.scalar("SELECT count(*) FROM pg_catalog.pg_seclabel"), n != "0" {
            ctx.warn("\(n) security labels are not dumped (security labels are not supported yet)")
        }
    }

    static func statistics(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT s.oid, n.nspname, s.stxname, s.stxrelid, pg_catalog.pg_get_userbyid(s.stxowner) AS owner,
                   \(ctx.since(130000, "s.stxstattarget", else: "-1")) AS stxstattarget, pg_catalog.pg_get_statisticsobjdef(s.oid) AS def
            FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgStatisticExt, oid) else { continue }
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("stxname"))
            var sql = r.string("def") + ";\n"
            if r.int("stxstattarget") >= 0 { sql += "ALTER STATISTICS \(q) SET STATISTICS \(r.int("stxstattarget"));\n" }
            sql += ctx.owner("STATISTICS", q, r.string("owner"))
            sql += ctx.comment(Catalog.pgStatisticExt, oid, target: "STATISTICS \(q)")
            var deps: Set<CatKey> = []
            if let t = UInt32(r.string("stxrelid")) { deps.insert(CatKey(classid: Catalog.pgClass, oid: t)) }
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgStatisticExt, oid: oid), kind: .statistics,
                             schema: r.string("nspname"), name: r.string("stxname"), sql: sql + "\n", deps: deps))
        }
    }

    static func eventTriggers(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT e.oid, e.evtname, e.evtevent, pg_catalog.pg_get_userbyid(e.evtowner) AS owner, e.evttags::text AS tags,
                   e.evtfoid::pg_catalog.regproc::text AS func, e.evtenabled
            FROM pg_catalog.pg_event_trigger e
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgEventTrigger, oid) else { continue }
            let name = SQLIdentifier.quote(r.string("evtname"))
            var sql = "CREATE EVENT TRIGGER \(name) ON \(r.string("evtevent"))"
            let tags = PGArray.parse(r["tags"] ?? "{}").compactMap { $0 }
            if !tags.isEmpty { sql += "\n         WHEN TAG IN (\(tags.map { ctx.literal($0) }.joined(separator: ", ")))" }
            sql += "\n   EXECUTE FUNCTION \(r.string("func"))();\n"
            switch r.string("evtenabled") {
            case "D": sql += "ALTER EVENT TRIGGER \(name) DISABLE;\n"
            case "R": sql += "ALTER EVENT TRIGGER \(name) ENABLE REPLICA;\n"
            case "A": sql += "ALTER EVENT TRIGGER \(name) ENABLE ALWAYS;\n"
            default: break
            }
            sql += ctx.owner("EVENT TRIGGER", name, r.string("owner"))
            sql += ctx.comment(Catalog.pgEventTrigger, oid, target: "EVENT TRIGGER \(name)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgEventTrigger, oid: oid), kind: .eventTrigger,
                             schema: "", name: r.string("evtname"), sql: sql + "\n"))
        }
    }

    static func publications(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT p.oid, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner) AS owner, p.puballtables,
                   p.pubinsert, p.pubupdate, p.pubdelete, \(ctx.since(110000, "p.pubtruncate", else: "false")) AS pubtruncate,
                   \(ctx.since(130000, "p.pubviaroot", else: "false")) AS pubviaroot
            FROM pg_catalog.pg_publication p
            """) {
            guard let oid = UInt32(r.string("oid")) else { continue }
            let name = SQLIdentifier.quote(r.string("pubname"))
            var publish: [String] = []
            if r.bool("pubinsert") { publish.append("insert") }
            if r.bool("pubupdate") { publish.append("update") }
            if r.bool("pubdelete") { publish.append("delete") }
            if r.bool("pubtruncate") { publish.append("truncate") }
            var sql = "CREATE PUBLICATION \(name)"
            if r.bool("puballtables") { sql += " FOR ALL TABLES" }
            sql += " WITH (publish = '\(publish.joined(separator: ", "))'"
            if r.bool("pubviaroot") { sql += ", publish_via_partition_root = true" }
            sql += ");\n"
            sql += ctx.owner("PUBLICATION", name, r.string("owner"))
            sql += ctx.comment(Catalog.pgPublication, oid, target: "PUBLICATION \(name)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgPublication, oid: oid), kind: .publication,
                             schema: "", name: r.string("pubname"), sql: sql + "\n"))
        }
        let extra = ctx.version >= 150000
            ? "pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS qual, (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs)) AS cols"
            : "NULL::text AS qual, NULL::text AS cols"
        for r in try ctx.query("""
            SELECT pr.oid, pr.prpubid, pr.prrelid, p.pubname, c.relname, n.nspname,
                   pr.prrelid::pg_catalog.regclass::text AS tablename, \(extra)
            FROM pg_catalog.pg_publication_rel pr
            JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
            JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            """) {
            guard let oid = UInt32(r.string("oid")), let pub = UInt32(r.string("prpubid")),
                  let rel = UInt32(r.string("prrelid")) else { continue }
            var sql = "ALTER PUBLICATION \(SQLIdentifier.quote(r.string("pubname"))) ADD TABLE ONLY \(r.string("tablename"))"
            if let cols = r["cols"] { sql += " (\(cols))" }
            if let qual = r["qual"] { sql += " WHERE (\(qual))" }
            sql += ";\n\n"
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgPublicationRel, oid: oid), kind: .publicationRel,
                             schema: r.string("nspname"), name: "\(r.string("relname")) \(r.string("pubname"))", sql: sql,
                             deps: [CatKey(classid: Catalog.pgPublication, oid: pub), CatKey(classid: Catalog.pgClass, oid: rel)]))
        }
        if ctx.version >= 150000 {
            for r in try ctx.query("""
                SELECT pn.oid, pn.pnpubid, pn.pnnspid, p.pubname, n.nspname
                FROM pg_catalog.pg_publication_namespace pn
                JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
                JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
                """) {
                guard let oid = UInt32(r.string("oid")), let pub = UInt32(r.string("pnpubid")) else { continue }
                let sql = "ALTER PUBLICATION \(SQLIdentifier.quote(r.string("pubname"))) ADD TABLES IN SCHEMA \(SQLIdentifier.quote(r.string("nspname")));\n\n"
                ctx.add(DumpItem(key: CatKey(classid: Catalog.pgPublicationNamespace, oid: oid), kind: .publicationRel,
                                 schema: r.string("nspname"), name: r.string("pubname"), sql: sql,
                                 deps: [CatKey(classid: Catalog.pgPublication, oid: pub)]))
            }
        }
    }

    static func defaultACLs(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT d.oid, pg_catalog.pg_get_userbyid(d.defaclrole) AS role, n.nspname, d.defaclobjtype,
                   d.defaclacl::text AS acl,
                   CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.acldefault(
                        (CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END)::\"char\", d.defaclrole)::text
                        ELSE '{}' END AS base
            FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
            """) {
            guard let oid = UInt32(r.string("oid")) else { continue }
            let kinds: [String: (String, PrivilegeSet)] = ["r": ("TABLES", .table), "S": ("SEQUENCES", .sequence),
                                                           "f": ("FUNCTIONS", .function), "T": ("TYPES", .usage),
                                                           "n": ("SCHEMAS", .schema)]
            guard let (word, set) = kinds[r.string("defaclobjtype")] else { continue }
            ctx.noteRole(r.string("role"))
            let acl = PGArray.parse(r.string("acl")).compactMap { $0 }
            for item in acl { if let p = AclItem(item) { ctx.noteRole(p.grantee) } }
            let sql = ACL.defaultPrivileges(role: r.string("role"), schema: r["nspname"], kind: word, acl: acl,
                                            base: PGArray.parse(r.string("base")).compactMap { $0 }, privilegeSet: set)
            if sql.isEmpty { continue }
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgDefaultACL, oid: oid), kind: .defaultACL,
                             schema: r["nspname"] ?? "", name: "\(r.string("role")) \(word)", sql: sql + "\n"))
        }
    }
}
