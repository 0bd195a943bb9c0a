import Postgres
import Support

/// Sequences: definition, OWNED BY, identity columns and the post-data `setval`.
enum SequenceObjects {
    struct Sequence {
        var type: String
        var start: String, increment: String, max: String, min: String, cache: String
        var cycle: Bool
        var ownerTable: UInt32?
        var ownerColumn: String?
        var identity: Bool
    }

    static func load(_ ctx: ReadContext) throws -> [UInt32: Sequence] {
        let rows = try ctx.query("""
            SELECT s.seqrelid, pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement,
                   s.seqmax, s.seqmin, s.seqcache, s.seqcycle, d.refobjid AS owner_table, d.deptype,
                   a.attname AS owner_column
            FROM pg_catalog.pg_sequence s
            LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND d.objid = s.seqrelid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND d.deptype IN ('a', 'i')
            LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            """)
        var out: [UInt32: Sequence] = [:]
        for r in rows {
            guard let oid = UInt32(r.string("seqrelid")) else { continue }
            out[oid] = Sequence(type: r.string("type"), start: r.string("seqstart"), increment: r.string("seqincrement"),
                                max: r.string("seqmax"), min: r.string("seqmin"), cache: r.string("seqcache"),
                                cycle: r.bool("seqcycle"), ownerTable: r["owner_table"].flatMap { UInt32($0) },
                                ownerColumn: r["owner_column"], identity: r["deptype"] == "i")
        }
        return out
    }

    static func emit(_ ctx: ReadContext, _ rel: TableObjects.Relation, _ seq: Sequence) throws {
        let q = rel.qualified
        let values = try ctx.query("SELECT last_value, is_called FROM \(q)")
        if let v = values.first {
            ctx.add(DumpItem(key: ctx.synthetic(), kind: .sequenceSet, schema: rel.schema, name: rel.name,
                             sql: "SELECT pg_catalog.setval(\(ctx.literal(q)), \(v.string("last_value")), \(v.bool("is_called") ? "true" : "false"));\n\n",
                             deps: [rel.key]))
        }
        let body = """
                START WITH \(seq.start)
                INCREMENT BY \(seq.increment)
                MINVALUE \(seq.min)
                MAXVALUE \(seq.max)
                CACHE \(seq.cache)\(seq.cycle ? "\n    CYCLE" : "")
            """
        var sql: String
        if seq.identity, let table = seq.ownerTable, let column = seq.ownerColumn {
            // Created by ALTER TABLE … ADD GENERATED: belongs after the table.
            let tname = try ctx.conn.scalar("SELECT $1::pg_catalog.oid::pg_catalog.regclass::text", [String(table)]) ?? ""
            let always = try ctx.conn.scalar("SELECT attidentity FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attname = $2",
                                             [String(table), column]) == "a"
            sql = "ALTER TABLE \(tname) ALTER COLUMN \(SQLIdentifier.quote(column)) ADD GENERATED \(always ? "ALWAYS" : "BY DEFAULT") AS IDENTITY (\n    SEQUENCE NAME \(q)\n\(body)\n);\n"
            if rel.record.string("relpersistence") == "u" { sql += "ALTER SEQUENCE \(q) SET UNLOGGED;\n" }
            sql += ctx.comment(Catalog.pgClass, rel.oid, target: "SEQUENCE \(q)")
            sql += ctx.acl("SEQUENCE", q, acl: rel.record["acl"], base: rel.record["base"], owner: rel.owner, set: .sequence)
            ctx.add(DumpItem(key: rel.key, kind: .table, schema: rel.schema, name: rel.name, sql: sql + "\n",
                             deps: [CatKey(classid: Catalog.pgClass, oid: table)]))
            return
        }
        sql = "CREATE \(rel.record.string("relpersistence") == "u" ? "UNLOGGED " : "")SEQUENCE \(q)\n"
        if seq.type != "bigint" { sql += "    AS \(seq.type)\n" }
        sql += body + ";\n"
        sql += ctx.owner("SEQUENCE", q, rel.owner)
        var deps: Set<CatKey> = []
        if let table = seq.ownerTable, let column = seq.ownerColumn {
            let tname = try ctx.conn.scalar("SELECT $1::pg_catalog.oid::pg_catalog.regclass::text", [String(table)]) ?? ""
            sql += "ALTER SEQUENCE \(q) OWNED BY \(tname).\(SQLIdentifier.quote(column));\n"
            deps.insert(CatKey(classid: Catalog.pgClass, oid: table))
        }
        sql += ctx.comment(Catalog.pgClass, rel.oid, target: "SEQUENCE \(q)")
        sql += ctx.acl("SEQUENCE", q, acl: rel.record["acl"], base: rel.record["base"], owner: rel.owner, set: .sequence)
        ctx.add(DumpItem(key: rel.key, kind: .table, schema: rel.schema, name: rel.name, sql: sql + "\n", deps: deps))
    }
}
