import Postgres
import Support

/// Tables, partitions, views, materialized views and sequences, with their columns, defaults,
/// CHECK constraints, storage settings, owners, comments and privileges.
enum TableObjects {
    struct Column {
        var attnum: Int
        var name: String
        var type: String
        var collation: String?
        var notNull: Bool
        var isLocal: Bool
        var generated: String
        var identity: String
        var storage: String
        var typeStorage: String
        var statTarget: Int
        var options: String?
        var compression: String
        var defaultOID: UInt32?
        var defaultExpr: String?
        var acl: String?
        var fdwOptions: String?
    }

    /// Live columns of a relation in attnum order.
    static func columns(_ ctx: ReadContext, relid: UInt32) throws -> [Column] {
        let compression = ctx.version >= 140000 ? "a.attcompression::text" : "''::text"
        let rows = try ctx.query("""
            SELECT a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
                   a.attnotnull, a.attislocal, \(ctx.since(120000, "a.attgenerated", else: "''::text")) AS attgenerated, a.attidentity, a.attstorage, t.typstorage,
                   a.attstattarget, pg_catalog.array_to_string(a.attoptions, ', ') AS attoptions,
                   \(compression) AS compression, a.attacl::text AS acl, a.attfdwoptions::text AS fdwoptions,
                   CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                        THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
                   d.oid AS defoid, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS defexpr
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [String(relid)])
        return rows.map { r in
            Column(attnum: r.int("attnum"), name: r.string("attname"), type: r.string("type"),
                   collation: r["collation"], notNull: r.bool("attnotnull"), isLocal: r.bool("attislocal"),
                   generated: r.string("attgenerated"), identity: r.string("attidentity"),
                   storage: r.string("attstorage"), typeStorage: r.string("typstorage"),
                   statTarget: r.int("attstattarget"), options: r["attoptions"].flatMap { $0.isEmpty ? nil : $0 },
                   compression: r.string("compression"), defaultOID: r["defoid"].flatMap { UInt32($0) },
                   defaultExpr: r["defexpr"], acl: r["acl"], fdwOptions: r["fdwoptions"])
        }
    }

    static func read(_ ctx: ReadContext) throws {
        let rows = try ctx.query("""
            SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence,
                   pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl,
                   pg_catalog.acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::\"char\", c.relowner)::text AS base,
                   c.reloptions::text AS reloptions, tc.reloptions::text AS toastoptions,
                   c.relispartition, pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS partbound,
                   CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
                   c.relrowsecurity, c.relforcerowsecurity, c.relreplident, ts.spcname, c.relispopulated,
                   am.amname, CASE WHEN c.reloftype <> 0 THEN c.reloftype::pg_catalog.regtype::text END AS oftype,
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
                   CASE WHEN c.relkind IN ('r', 'm', 'S', 'p') THEN pg_catalog.pg_relation_size(c.oid) ELSE 0 END AS size
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
            LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace
            LEFT JOIN pg_catalog.pg_am am ON am.oid = \(ctx.since(120000, "c.relam", else: "0"))
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't'
              AND \(SchemaObjects.userNamespace)
            """)
        let sequences = try SequenceObjects.load(ctx)
        // A view's _RETURN rule carries the view's dependencies.
        for r in try ctx.query("SELECT oid, ev_class FROM pg_catalog.pg_rewrite WHERE rulename = '_RETURN'") {
            if let o = UInt32(r.string("oid")), let v = UInt32(r.string("ev_class")) {
                ctx.alias[CatKey(classid: Catalog.pgRewrite, oid: o)] = CatKey(classid: Catalog.pgClass, oid: v)
            }
        }
        for r in rows {
            guard let oid = UInt32(r.string("oid")) else { continue }
            if ctx.isExtensionMember(Catalog.pgClass, oid) { continue }
            let info = Relation(record: r, oid: oid)
            switch info.relkind {
            case "r", "p": try table(ctx, info)
            case "v", "m": try view(ctx, info)
            case "S":
                if let seq = sequences[oid] { try SequenceObjects.emit(ctx, info, seq) }
            default:
                try ForeignObjects.foreignTable(ctx, info)
            }
        }
    }

    /// The per-relation fields read above.
    struct Relation {
        var oid: UInt32
        var schema: String
        var name: String
        var relkind: String
        var record: Record
        var qualified: String
        var owner: String

        init(record: Record, oid: UInt32) {
            self.oid = oid
            self.record = record
            schema = record.string("nspname")
            name = record.string("relname")
            relkind = record.string("relkind")
            qualified = SQLIdentifier.qualified(schema, name)
            owner = record.string("owner")
        }
        var key: CatKey { CatKey(classid: Catalog.pgClass, oid: oid) }
    }

    /// `key='value'` options from a reloptions array, minus `skip` keys.
    static func options(_ text: String?, prefix: String = "", skip: Set<String> = []) -> [String] {
        guard let text else { return [] }
        return PGArray.parse(text).compactMap { $0 }.compactMap { item in
            guard let eq = item.firstIndex(of: "=") else { return nil }
            let key = String(item[..<eq]), value = String(item[item.index(after: eq)...])
            if skip.contains(key) { return nil }
            return "\(prefix)\(key)='\(value.replacingOccurrences(of: "'", with: "''"))'"
        }
    }

    static func table(_ ctx: ReadContext, _ rel: Relation) throws {
        let r = rel.record
        let q = rel.qualified
        let cols = try columns(ctx, relid: rel.oid)
        let isPartition = r.bool("relispartition")
        let ofType = r["oftype"]
        var lines: [String] = []
        var after = ""
        for col in cols {
            let cq = SQLIdentifier.quote(col.name)
            if ofType != nil {
                // A typed table's columns come from its type; only per-column options are written.
                if col.notNull { lines.append("    \(cq) WITH OPTIONS NOT NULL") }
            } else if col.isLocal || isPartition {
                var s = "    \(cq) \(col.type)"
                if let coll = col.collation { s += " COLLATE \(coll)" }
                if col.generated == "s", let expr = col.defaultExpr { s += " GENERATED ALWAYS AS (\(expr)) STORED" }
                if col.notNull { s += " NOT NULL" }
                lines.append(s)
            } else if col.notNull {
                after += "ALTER TABLE ONLY \(q) ALTER COLUMN \(cq) SET NOT NULL;\n"
            }
        }
        for c in try ctx.query("""
            SELECT oid, conname, pg_catalog.pg_get_constraintdef(oid) AS def, convalidated, conislocal
            FROM pg_catalog.pg_constraint WHERE conrelid = $1 AND contype = 'c' ORDER BY conname
            """, [String(rel.oid)]) {
            guard let coid = UInt32(c.string("oid")) else { continue }
            let cname = SQLIdentifier.quote(c.string("conname"))
            if !c.bool("conislocal") && !isPartition {
                ctx.alias[CatKey(classid: Catalog.pgConstraint, oid: coid)] = rel.key
                continue
            }
            if c.bool("convalidated") && usesFunctionReading(ctx, constraint: coid, table: rel.oid) {
                // CHECK (f(x)) where f's SQL body reads this table: f needs the table and the table
                // would need f; pg_dump breaks the loop the same way, with a separate ALTER TABLE.
                var sql = "ALTER TABLE \(q)\n    ADD CONSTRAINT \(cname) \(c.string("def"));\n"
                sql += ctx.comment(Catalog.pgConstraint, coid, target: "CONSTRAINT \(cname) ON \(q)")
                ctx.add(DumpItem(key: CatKey(classid: Catalog.pgConstraint, oid: coid), kind: .attrdef,
                                 schema: rel.schema, name: "\(rel.name) \(c.string("conname"))", sql: sql + "\n",
                                 deps: [rel.key]))
            } else if c.bool("convalidated") {
                ctx.alias[CatKey(classid: Catalog.pgConstraint, oid: coid)] = rel.key
                lines.append("    CONSTRAINT \(cname) \(c.string("def"))")
                after += ctx.comment(Catalog.pgConstraint, coid, target: "CONSTRAINT \(cname) ON \(q)")
            } else {
                var sql = "ALTER TABLE \(q)\n    ADD CONSTRAINT \(cname) \(c.string("def"));\n"
                sql += ctx.comment(Catalog.pgConstraint, coid, target: "CONSTRAINT \(cname) ON \(q)")
                ctx.add(DumpItem(key: CatKey(classid: Catalog.pgConstraint, oid: coid), kind: .constraint,
                                 schema: rel.schema, name: "\(rel.name) \(c.string("conname"))", sql: sql + "\n",
                                 deps: [rel.key]))
            }
        }
        var sql = "CREATE \(r.string("relpersistence") == "u" ? "UNLOGGED " : "")TABLE \(q)"
        if let ofType {
            sql += " OF \(ofType)"
            if !lines.isEmpty { sql += " (\n" + lines.joined(separator: ",\n") + "\n)" }
        } else {
            sql += " (\n" + lines.joined(separator: ",\n") + (lines.isEmpty ? ")" : "\n)")
        }
        if !isPartition {
            let parents = try ctx.query("""
                SELECT inhparent::pg_catalog.regclass::text AS parent FROM pg_catalog.pg_inherits
                WHERE inhrelid = $1 ORDER BY inhseqno
                """, [String(rel.oid)]).map { $0.string("parent") }
            if !parents.isEmpty { sql += "\nINHERITS (\(parents.joined(separator: ", ")))" }
        }
        if let key = r["partkey"] { sql += "\nPARTITION BY \(key)" }
        if let am = r["amname"], am != "heap", rel.relkind == "r" { sql += "\nUSING \(SQLIdentifier.quote(am))" }
        let opts = options(r["reloptions"]) + options(r["toastoptions"], prefix: "toast.")
        if !opts.isEmpty { sql += "\nWITH (\(opts.joined(separator: ", ")))" }
        if let ts = r["spcname"] {
            ctx.referencedTablespaces.insert(ts)
            sql += "\nTABLESPACE \(SQLIdentifier.quote(ts))"
        }
        sql += ";\n"
        for col in cols {
            let cq = SQLIdentifier.quote(col.name)
            if col.statTarget >= 0 {
                sql += "ALTER TABLE ONLY \(q) ALTER COLUMN \(cq) SET STATISTICS \(col.statTarget);\n"
            }
            if col.storage != col.typeStorage {
                let names = ["p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"]
                if let s = names[col.storage] { sql += "ALTER TABLE ONLY \(q) ALTER COLUMN \(cq) SET STORAGE \(s);\n" }
            }
            if let o = col.options { sql += "ALTER TABLE ONLY \(q) ALTER COLUMN \(cq) SET (\(o));\n" }
            if col.compression == "p" { sql += "ALTER TABLE ONLY \(q) ALTER COLUMN \(cq) SET COMPRESSION pglz;\n" }
            if col.compression == "l" { sql += "ALTER TABLE ONLY \(q) ALTER COLUMN \(cq) SET COMPRESSION lz4;\n" }
        }
        sql += after
        switch r.string("relreplident") {
        case "f": sql += "ALTER TABLE ONLY \(q) REPLICA IDENTITY FULL;\n"
        case "n": sql += "ALTER TABLE ONLY \(q) REPLICA IDENTITY NOTHING;\n"
        default: break
        }
        if r.bool("relrowsecurity") { sql += "ALTER TABLE \(q) ENABLE ROW LEVEL SECURITY;\n" }
        if r.bool("relforcerowsecurity") { sql += "ALTER TABLE ONLY \(q) FORCE ROW LEVEL SECURITY;\n" }
        sql += ctx.owner("TABLE", q, rel.owner)
        sql += columnExtras(ctx, rel, cols, kind: "TABLE")
        ctx.add(DumpItem(key: rel.key, kind: .table, schema: rel.schema, name: rel.name, sql: sql + "\n"))

        try defaults(ctx, rel, cols, alter: "ALTER TABLE ONLY")
        try attachPartition(ctx, rel)
        if rel.relkind == "r" { addTableData(ctx, rel, cols) }
    }

    /// `ALTER TABLE ONLY parent ATTACH PARTITION child FOR VALUES …` for a partition, as its own
    /// item (pg_dump creates partitions as plain tables and attaches them).
    static func attachPartition(_ ctx: ReadContext, _ rel: Relation) throws {
        guard rel.record.bool("relispartition"), let bound = rel.record["partbound"] else { return }
        let parent = try ctx.query("""
            SELECT inhparent, inhparent::pg_catalog.regclass::text AS name FROM pg_catalog.pg_inherits WHERE inhrelid = $1
            """, [String(rel.oid)])
        guard let p = parent.first, let poid = UInt32(p.string("inhparent")) else { return }
        ctx.add(DumpItem(key: ctx.synthetic(), kind: .tableAttach, schema: rel.schema, name: rel.name,
                         sql: "ALTER TABLE ONLY \(p.string("name")) ATTACH PARTITION \(rel.qualified) \(bound);\n\n",
                         deps: [rel.key, CatKey(classid: Catalog.pgClass, oid: poid)]))
    }

    /// True when the constraint calls a function whose (SQL-standard) body depends on `table`.
    static func usesFunctionReading(_ ctx: ReadContext, constraint: UInt32, table: UInt32) -> Bool {
        let tableKey = CatKey(classid: Catalog.pgClass, oid: table)
        for ref in ctx.depends[CatKey(classid: Catalog.pgConstraint, oid: constraint)] ?? [] where ref.classid == Catalog.pgProc {
            if (ctx.depends[ref] ?? []).contains(tableKey) { return true }
        }
        return false
    }

    /// Comments and privileges on the relation and its columns.
    static func columnExtras(_ ctx: ReadContext, _ rel: Relation, _ cols: [Column], kind: String) -> String {
        let q = rel.qualified
        var sql = ctx.comment(Catalog.pgClass, rel.oid, target: "\(kind) \(q)")
        for col in cols {
            sql += ctx.comment(Catalog.pgClass, rel.oid, sub: Int32(col.attnum),
                               target: "COLUMN \(q).\(SQLIdentifier.quote(col.name))")
        }
        sql += ctx.acl("TABLE", q, acl: rel.record["acl"], base: rel.record["base"], owner: rel.owner, set: .table)
        for col in cols where col.acl != nil {
            sql += ctx.acl("TABLE", q, column: SQLIdentifier.quote(col.name), acl: col.acl, base: "{}",
                           owner: rel.owner, set: .column)
        }
        return sql
    }

    /// Column defaults as separate items (after sequences and functions they may use).
    static func defaults(_ ctx: ReadContext, _ rel: Relation, _ cols: [Column], alter: String) throws {
        for col in cols {
            guard let defOID = col.defaultOID, let expr = col.defaultExpr else { continue }
            let key = CatKey(classid: Catalog.pgAttrdef, oid: defOID)
            if col.generated == "s" { ctx.alias[key] = rel.key; continue }
            ctx.add(DumpItem(key: key, kind: .attrdef, schema: rel.schema, name: "\(rel.name) \(col.name)",
                             sql: "\(alter) \(rel.qualified) ALTER COLUMN \(SQLIdentifier.quote(col.name)) SET DEFAULT \(expr);\n\n",
                             deps: [rel.key]))
        }
    }

    static func addTableData(_ ctx: ReadContext, _ rel: Relation, _ cols: [Column]) {
        let names = cols.filter { $0.generated.isEmpty }.map { SQLIdentifier.quote($0.name) }
        let list = names.isEmpty ? "" : "(\(names.joined(separator: ", ")))"
        let target = list.isEmpty ? rel.qualified : "\(rel.qualified) \(list)"
        ctx.tables.append(TableData(schema: rel.schema, name: rel.name, oid: rel.oid, qualifiedName: rel.qualified,
                                    columnList: list, copyOutSQL: "COPY \(target) TO STDOUT",
                                    copyInHeader: "COPY \(target) FROM stdin;",
                                    estimatedBytes: rel.record.int64("size")))
    }

    static func view(_ ctx: ReadContext, _ rel: Relation) throws {
        let r = rel.record
        let q = rel.qualified
        let cols = try columns(ctx, relid: rel.oid)
        var def = r.string("viewdef").trimmingTrailingNewlines()
        if def.hasSuffix(";") { def.removeLast() }
        var sql: String
        let kind: String
        if rel.relkind == "v" {
            kind = "VIEW"
            let opts = options(r["reloptions"], skip: ["check_option"])
            sql = "CREATE VIEW \(q)"
            if !opts.isEmpty { sql += " WITH (\(opts.joined(separator: ", ")))" }
            sql += " AS\n\(def)"
            let check = PGArray.parse(r["reloptions"] ?? "{}").compactMap { $0 }.first { $0.hasPrefix("check_option=") }
            if let check { sql += "\n  WITH \(check.dropFirst("check_option=".count).uppercased()) CHECK OPTION" }
            sql += ";\n"
        } else {
            kind = "MATERIALIZED VIEW"
            sql = "CREATE MATERIALIZED VIEW \(q)"
            if let am = r["amname"], am != "heap" { sql += " USING \(SQLIdentifier.quote(am))" }
            let opts = options(r["reloptions"]) + options(r["toastoptions"], prefix: "toast.")
            if !opts.isEmpty { sql += " WITH (\(opts.joined(separator: ", ")))" }
            if let ts = r["spcname"] {
                ctx.referencedTablespaces.insert(ts)
                sql += " TABLESPACE \(SQLIdentifier.quote(ts))"
            }
            sql += " AS\n\(def)\n  WITH NO DATA;\n"
            if r.bool("relispopulated") {
                ctx.add(DumpItem(key: ctx.synthetic(), kind: .refreshMatview, schema: rel.schema, name: rel.name,
                                 sql: "REFRESH MATERIALIZED VIEW \(q);\n\n", deps: [rel.key]))
            }
        }
        for col in cols where rel.relkind == "m" {
            if col.statTarget >= 0 {
                sql += "ALTER MATERIALIZED VIEW ONLY \(q) ALTER COLUMN \(SQLIdentifier.quote(col.name)) SET STATISTICS \(col.statTarget);\n"
            }
        }
        sql += ctx.owner(kind, q, rel.owner)
        sql += columnExtras(ctx, rel, cols, kind: kind)
        ctx.add(DumpItem(key: rel.key, kind: .table, schema: rel.schema, name: rel.name, sql: sql + "\n"))
        if rel.relkind == "v" { try defaults(ctx, rel, cols, alter: "ALTER VIEW") }
    }
}
