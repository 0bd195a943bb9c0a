import Postgres
import Support

/// Text search parsers, templates, dictionaries and configurations.
enum TextSearchObjects {
    static func read(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT p.oid, n.nspname, p.prsname, p.prsstart::pg_catalog.regproc::text AS start,
                   p.prstoken::pg_catalog.regproc::text AS token, p.prsend::pg_catalog.regproc::text AS "end",
                   p.prslextype::pg_catalog.regproc::text AS lextypes,
                   CASE WHEN p.prsheadline <> 0 THEN p.prsheadline::pg_catalog.regproc::text END AS headline
            FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgTSParser, oid) else { continue }
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("prsname"))
            var opts = ["    START = \(r.string("start"))", "    GETTOKEN = \(r.string("token"))",
                        "    END = \(r.string("end"))", "    LEXTYPES = \(r.string("lextypes"))"]
            if let h = r["headline"] { opts.append("    HEADLINE = \(h)") }
            var sql = "CREATE TEXT SEARCH PARSER \(q) (\n\(opts.joined(separator: ",\n"))\n);\n"
            sql += ctx.comment(Catalog.pgTSParser, oid, target: "TEXT SEARCH PARSER \(q)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgTSParser, oid: oid), kind: .tsParser,
                             schema: r.string("nspname"), name: r.string("prsname"), sql: sql + "\n"))
        }
        for r in try ctx.query("""
            SELECT t.oid, n.nspname, t.tmplname,
                   CASE WHEN t.tmplinit <> 0 THEN t.tmplinit::pg_catalog.regproc::text END AS init,
                   t.tmpllexize::pg_catalog.regproc::text AS lexize
            FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgTSTemplate, oid) else { continue }
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("tmplname"))
            var opts: [String] = []
            if let i = r["init"] { opts.append("    INIT = \(i)") }
            opts.append("    LEXIZE = \(r.string("lexize"))")
            var sql = "CREATE TEXT SEARCH TEMPLATE \(q) (\n\(opts.joined(separator: ",\n"))\n);\n"
            sql += ctx.comment(Catalog.pgTSTemplate, oid, target: "TEXT SEARCH TEMPLATE \(q)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgTSTemplate, oid: oid), kind: .tsTemplate,
                             schema: r.string("nspname"), name: r.string("tmplname"), sql: sql + "\n"))
        }
        for r in try ctx.query("""
            SELECT d.oid, n.nspname, d.dictname, pg_catalog.pg_get_userbyid(d.dictowner) AS owner, d.dictinitoption,
                   pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.tmplname) AS template
            FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
            JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate
            JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgTSDict, oid) else { continue }
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("dictname"))
            var body = "    TEMPLATE = \(r.string("template"))"
            if let o = r["dictinitoption"], !o.isEmpty { body += ",\n    \(o)" }
            var sql = "CREATE TEXT SEARCH DICTIONARY \(q) (\n\(body) );\n"
            sql += ctx.owner("TEXT SEARCH DICTIONARY", q, r.string("owner"))
            sql += ctx.comment(Catalog.pgTSDict, oid, target: "TEXT SEARCH DICTIONARY \(q)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgTSDict, oid: oid), kind: .tsDict,
                             schema: r.string("nspname"), name: r.string("dictname"), sql: sql + "\n"))
        }
        for r in try ctx.query("""
            SELECT c.oid, n.nspname, c.cfgname, pg_catalog.pg_get_userbyid(c.cfgowner) AS owner,
                   pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.prsname) AS parser
            FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
            JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
            JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
            WHERE \(SchemaObjects.userNamespace)
            """) {
            guard let oid = UInt32(r.string("oid")), !ctx.isExtensionMember(Catalog.pgTSConfig, oid) else { continue }
            let q = SQLIdentifier.qualified(r.string("nspname"), r.string("cfgname"))
            var sql = "CREATE TEXT SEARCH CONFIGURATION \(q) (\n    PARSER = \(r.string("parser")) );\n"
            for m in try ctx.query("""
                SELECT (SELECT t.alias FROM pg_catalog.ts_token_type(c.cfgparser) AS t WHERE t.tokid = m.maptokentype) AS token,
                       pg_catalog.string_agg(m.mapdict::pg_catalog.regdictionary::text, ', ' ORDER BY m.mapseqno) AS dicts
                FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg
                WHERE m.mapcfg = $1 GROUP BY m.maptokentype, c.cfgparser ORDER BY m.maptokentype
                """, [String(oid)]) {
                sql += "ALTER TEXT SEARCH CONFIGURATION \(q)\n    ADD MAPPING FOR \(m.string("token")) WITH \(m.string("dicts"));\n"
            }
            sql += ctx.owner("TEXT SEARCH CONFIGURATION", q, r.string("owner"))
            sql += ctx.comment(Catalog.pgTSConfig, oid, target: "TEXT SEARCH CONFIGURATION \(q)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgTSConfig, oid: oid), kind: .tsConfig,
                             schema: r.string("nspname"), name: r.string("cfgname"), sql: sql + "\n"))
        }
    }
}
