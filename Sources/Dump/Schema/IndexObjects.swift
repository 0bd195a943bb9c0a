import Postgres
import Support

/// Indexes and PRIMARY KEY / UNIQUE / EXCLUDE / FOREIGN KEY constraints (post-data), with index
/// partition attachment, CLUSTER ON and REPLICA IDENTITY USING INDEX.
enum IndexObjects {
    static func read(_ ctx: ReadContext) throws {
        let indexes = try ctx.query("""
            SELECT i.indexrelid, i.indrelid, ic.relname AS indexname, n.nspname, t.relkind,
                   i.indrelid::pg_catalog.regclass::text AS tablename,
                   pg_catalog.pg_get_indexdef(i.indexrelid) AS def, i.indisclustered, i.indisreplident,
                   con.oid AS conoid, inh.inhparent, ts.spcname,
                   (SELECT pg_catalog.string_agg('ALTER INDEX ' || i.indexrelid::pg_catalog.regclass::text ||
                        ' ALTER COLUMN ' || a.attnum || ' SET STATISTICS ' || a.attstattarget || E';\\n', '' ORDER BY a.attnum)
                    FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0) AS stats
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
            LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                 AND con.contype IN ('p', 'u', 'x')
            LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = i.indexrelid
            LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace
            WHERE t.relkind IN ('r', 'p', 'm') AND t.relpersistence <> 't' AND \(SchemaObjects.userNamespace)
            """)
        var indexExtras: [UInt32: String] = [:]   // constraint oid → index-level statements
        for r in indexes {
            guard let oid = UInt32(r.string("indexrelid")), let table = UInt32(r.string("indrelid")) else { continue }
            if ctx.isExtensionMember(Catalog.pgClass, table) { continue }
            let key = CatKey(classid: Catalog.pgClass, oid: oid)
            let iq = SQLIdentifier.qualified(r.string("nspname"), r.string("indexname"))
            let tq = r.string("tablename")
            if let ts = r["spcname"] { ctx.referencedTablespaces.insert(ts) }
            var extra = r["stats"] ?? ""
            if r.bool("indisclustered") { extra += "ALTER TABLE \(tq) CLUSTER ON \(SQLIdentifier.quote(r.string("indexname")));\n" }
            if r.bool("indisreplident") { extra += "ALTER TABLE ONLY \(tq) REPLICA IDENTITY USING INDEX \(SQLIdentifier.quote(r.string("indexname")));\n" }
            extra += ctx.comment(Catalog.pgClass, oid, target: "INDEX \(iq)")
            var mine = key
            if let con = r["conoid"].flatMap({ UInt32($0) }) {
                mine = CatKey(classid: Catalog.pgConstraint, oid: con)
                ctx.alias[key] = mine
                indexExtras[con] = extra
            } else {
                var sql = r.string("def") + ";\n"
                if let ts = r["spcname"] { sql = sql.replacingOccurrences(of: ";\n", with: " TABLESPACE \(SQLIdentifier.quote(ts));\n") }
                sql += extra
                ctx.add(DumpItem(key: key, kind: .index, schema: r.string("nspname"), name: r.string("indexname"),
                                 sql: sql + "\n", deps: [CatKey(classid: Catalog.pgClass, oid: table)]))
            }
            if let parent = r["inhparent"].flatMap({ UInt32($0) }) {
                let pname = try ctx.conn.scalar("SELECT $1::pg_catalog.oid::pg_catalog.regclass::text", [String(parent)]) ?? ""
                ctx.add(DumpItem(key: ctx.synthetic(), kind: .indexAttach, schema: r.string("nspname"), name: r.string("indexname"),
                                 sql: "ALTER INDEX \(pname) ATTACH PARTITION \(iq);\n\n",
                                 deps: [mine, CatKey(classid: Catalog.pgClass, oid: parent)]))
            }
        }

        let constraints = try ctx.query("""
            SELECT con.oid, con.conname, con.contype, con.conrelid, con.conparentid, t.relkind, n.nspname, t.relname,
                   con.conrelid::pg_catalog.regclass::text AS tablename, pg_catalog.pg_get_constraintdef(con.oid) AS def
            FROM pg_catalog.pg_constraint con
            JOIN pg_catalog.pg_class t ON t.oid = con.conrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
            WHERE con.contype IN ('p', 'u', 'x', 'f') AND t.relpersistence <> 't' AND \(SchemaObjects.userNamespace)
            """)
        for r in constraints {
            guard let oid = UInt32(r.string("oid")), let table = UInt32(r.string("conrelid")) else { continue }
            if ctx.isExtensionMember(Catalog.pgClass, table) { continue }
            let name = SQLIdentifier.quote(r.string("conname"))
            let tq = r.string("tablename")
            let isFK = r.string("contype") == "f"
            if isFK && r.string("conparentid") != "0" { continue }   // cloned onto a partition by its parent's FK
            let only = isFK && r.string("relkind") == "p" ? "" : "ONLY "
            var sql = "ALTER TABLE \(only)\(tq)\n    ADD CONSTRAINT \(name) \(r.string("def"));\n"
            sql += indexExtras[oid] ?? ""
            sql += ctx.comment(Catalog.pgConstraint, oid, target: "CONSTRAINT \(name) ON \(tq)")
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgConstraint, oid: oid), kind: isFK ? .fkConstraint : .constraint,
                             schema: r.string("nspname"), name: "\(r.string("relname")) \(r.string("conname"))",
                             sql: sql + "\n", deps: [CatKey(classid: Catalog.pgClass, oid: table)]))
        }
    }
}
