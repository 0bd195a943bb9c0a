import Postgres
import Support

/// Large objects: creation, owner, ACL and comment in pre-data; data streamed on request.
enum LargeObjects {
    static func read(_ ctx: ReadContext) throws {
        for r in try ctx.query("""
            SELECT oid, pg_catalog.pg_get_userbyid(lomowner) AS owner, lomacl::text AS acl,
                   pg_catalog.acldefault('L', lomowner)::text AS base
            FROM pg_catalog.pg_largeobject_metadata ORDER BY oid
            """) {
            guard let oid = UInt32(r.string("oid")) else { continue }
            ctx.largeObjects.append(oid)
            let owner = r.string("owner")
            var sql = "SELECT pg_catalog.lo_create('\(oid)');\n"
            sql += ctx.owner("LARGE OBJECT", String(oid), owner)
            sql += ctx.comment(Catalog.pgLargeObjectMetadata, oid, target: "LARGE OBJECT \(oid)")
            sql += ctx.acl("LARGE OBJECT", String(oid), acl: r["acl"], base: r["base"], owner: owner, set: .largeObject)
            ctx.add(DumpItem(key: CatKey(classid: Catalog.pgLargeObjectMetadata, oid: oid), kind: .largeObject,
                             schema: "", name: String(format: "%010u", oid), sql: sql + "\n"))
        }
    }
}

extension SchemaReader {
    /// Bytes per `lowrite` call (pg_dump writes 16 KiB at a time; larger keeps statements fewer).
    static let largeObjectChunk = 32 * 1024

    /// Streams one large object's data as SQL into `sink`, like pg_dump's plain format:
    /// `BEGIN; lo_open; lowrite…; lo_close; COMMIT;` (a descriptor only lives in a transaction).
    /// Call it on the snapshot connection: the data is read as of the dump's snapshot.
    public static func writeLargeObject(_ conn: Connection, oid: UInt32, to sink: ByteSink) throws {
        try sink.write("\n--\n-- large object \(oid)\n--\n\nBEGIN;\n\nSELECT pg_catalog.lo_open('\(oid)', 131072);\n")
        var offset: Int64 = 0
        while true {
            let result = try conn.query("SELECT pg_catalog.encode(pg_catalog.lo_get($1::pg_catalog.oid, $2, $3), 'hex')",
                                        [String(oid), String(offset), String(largeObjectChunk)])
            guard let hex = result.count > 0 ? result[0, 0] : nil else {
                throw DRDError(.query, "unable to read large object \(oid) at offset \(offset)")
            }
            if hex.isEmpty { break }
            try sink.write("SELECT pg_catalog.lowrite(0, '\\x\(hex)');\n")
            let got = Int64(hex.utf8.count / 2)
            offset += got
            if got < Int64(largeObjectChunk) { break }
        }
        try sink.write("SELECT pg_catalog.lo_close(0);\n\nCOMMIT;\n")
    }
}
