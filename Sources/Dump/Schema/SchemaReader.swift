import Postgres
import Support

/// Reads one database's catalogs inside the caller's snapshot transaction and produces the SQL
/// that recreates its schema the way `pg_dump` does (PostgreSQL 15 tested; queries are gated on
/// `serverVersionNum` so other majors can be added).
///
/// It never begins or ends a transaction: call it on the connection holding the dump's
/// `REPEATABLE READ, READ ONLY` snapshot, so schema and data agree. It sets `search_path` to
/// empty for its duration (restored after), which makes the server's deparsers qualify every name.
public enum SchemaReader {
    /// Reads the schema of the connected database.
    public static func read(_ conn: Connection, options: SchemaOptions) throws -> SchemaDump {
        let version = conn.serverVersionNum
        guard version >= 100000 else {
            throw DRDError(.connection, "server \(conn.displayName) runs PostgreSQL \(conn.serverVersion); the schema reader supports 10 and later (tested on 15)")
        }
        let oldPath = try conn.scalar("SELECT pg_catalog.current_setting('search_path')") ?? "\"$user\", public"
        let oldEncoding = try conn.scalar("SELECT pg_catalog.current_setting('client_encoding')") ?? "UTF8"
        try conn.execute("SELECT pg_catalog.set_config('search_path', '', false)")
        // Swift strings are UTF-8: read names, bodies and comments as UTF-8 whatever the
        // database encoding is (the server converts), so nothing is mangled on the way.
        try conn.execute("SET client_encoding = 'UTF8'")
        defer {
            _ = try? conn.query("SELECT pg_catalog.set_config('search_path', $1, false)", [oldPath])
            _ = try? conn.query("SELECT pg_catalog.set_config('client_encoding', $1, false)", [oldEncoding])
        }

        let ctx = try ReadContext(conn: conn)
        do {
            try ctx.readAll()
        } catch let error as DRDError {
            throw error.context("unable to read the schema of database \(conn.databaseName) on \(conn.displayName)")
        }
        var cycles: [String] = []
        let (preItems, postItems) = splitSections(ctx.items)
        let pre = DumpSorter.sort(preItems, cycles: &cycles)
        let post = DumpSorter.sort(postItems, cycles: &cycles)
        for c in cycles { ctx.warnings.append("dependency loop broken at \(c); the restore may need a second pass") }
        var dump = SchemaDump()
        dump.preData = pre.map(\.sql).joined()
        dump.postData = post.map(\.sql).joined()
        dump.tables = ctx.tables
        dump.largeObjects = ctx.largeObjects
        if options.includeGlobals {
            dump.globals = try Globals.read(ctx, includePasswords: options.includePasswords)
        }
        dump.warnings = ctx.warnings
        return dump
    }
}

extension SchemaReader {
    /// Pre-data and post-data items. A post-data item that something in pre-data needs (a view
    /// whose GROUP BY relies on a primary key) moves to pre-data, with what it needs in turn.
    static func splitSections(_ items: [DumpItem]) -> ([DumpItem], [DumpItem]) {
        var pre = items.filter { !$0.kind.isPostData }
        var post = items.filter { $0.kind.isPostData }
        var needed = Set(pre.flatMap(\.deps))
        while let i = post.firstIndex(where: { needed.contains($0.key) }) {
            let item = post.remove(at: i)
            needed.formUnion(item.deps)
            pre.append(item)
        }
        return (pre, post)
    }
}

/// Shared state while reading one database.
final class ReadContext {
    let conn: Connection
    let version: Int
    var items: [DumpItem] = []
    var tables: [TableData] = []
    var largeObjects: [UInt32] = []
    var warnings: [String] = []
    /// Objects that stand for another when resolving dependencies (a table's row type → the table,
    /// an index → its constraint, a view's _RETURN rule → the view, a domain CHECK → the domain).
    var alias: [CatKey: CatKey] = [:]
    /// Objects not dumped because they belong to an extension.
    var extensionMembers: Set<CatKey> = []
    /// pg_description keyed by (class, object, sub-id).
    var comments: [CommentKey: String] = [:]
    /// Roles referenced (owners, grantees), for the globals.
    var referencedRoles: Set<String> = []
    var referencedTablespaces: Set<String> = []
    /// pg_depend edges (dependent → referenced), deptype n/a, keyed by dependent.
    var depends: [CatKey: [CatKey]] = [:]

    private var nextSynthetic: UInt32 = 1

    /// A fresh key for an item that is not a catalog object (attach, refresh, setval, …).
    func synthetic() -> CatKey {
        defer { nextSynthetic += 1 }
        return CatKey(classid: Catalog.synthetic, oid: nextSynthetic)
    }

    struct CommentKey: Hashable { var classid: UInt32; var oid: UInt32; var sub: Int32 }

    init(conn: Connection) throws {
        self.conn = conn
        self.version = conn.serverVersionNum
    }

    func readAll() throws {
        try loadDepends()
        try loadComments()
        try SchemaObjects.readNamespaces(self)
        try SchemaObjects.readExtensions(self)
        try SchemaObjects.readCollations(self)
        try TypeObjects.read(self)
        try FunctionObjects.read(self)
        try OperatorObjects.read(self)
        try ForeignObjects.read(self)
        try TableObjects.read(self)
        try IndexObjects.read(self)
        try RuleObjects.read(self)
        try TextSearchObjects.read(self)
        try MiscObjects.read(self)
        try LargeObjects.read(self)
        resolveDependencies()
        orderMatviewRefreshes()
    }

    /// A materialized view's REFRESH waits for the refreshes of the materialized views it reads.
    private func orderMatviewRefreshes() {
        var refreshOf: [CatKey: CatKey] = [:]
        for item in items where item.kind == .refreshMatview {
            if let view = item.deps.first(where: { $0.classid == Catalog.pgClass }) { refreshOf[view] = item.key }
        }
        guard refreshOf.count > 1 else { return }
        var depsOf: [CatKey: Set<CatKey>] = [:]
        for item in items where refreshOf[item.key] != nil { depsOf[item.key] = item.deps }
        for i in items.indices where items[i].kind == .refreshMatview {
            guard let view = items[i].deps.first(where: { $0.classid == Catalog.pgClass }) else { continue }
            // Walk through plain views too: a matview over a view over another matview.
            var seen: Set<CatKey> = [view]
            var stack = Array(depsOf[view] ?? [])
            while let next = stack.popLast() {
                guard seen.insert(next).inserted else { continue }
                if let refresh = refreshOf[next] { items[i].deps.insert(refresh); continue }
                if let more = items.first(where: { $0.key == next && $0.kind == .table })?.deps { stack.append(contentsOf: more) }
            }
        }
    }

    // MARK: helpers

    /// `expr` on servers at or above `version` (server_version_num), else `fallback`: how catalog
    /// queries stay valid on older majors.
    func since(_ version: Int, _ expr: String, else fallback: String) -> String {
        self.version >= version ? expr : fallback
    }

    func query(_ sql: String, _ params: [String?] = []) throws -> [Record] {
        try conn.query(sql, params).records
    }

    func add(_ item: DumpItem) { items.append(item) }

    func isExtensionMember(_ classid: UInt32, _ oid: UInt32) -> Bool {
        extensionMembers.contains(CatKey(classid: classid, oid: oid))
    }

    /// `COMMENT ON <target> IS '…';` when the object has a comment.
    func comment(_ classid: UInt32, _ oid: UInt32, sub: Int32 = 0, target: String) -> String {
        guard let text = comments[CommentKey(classid: classid, oid: oid, sub: sub)] else { return "" }
        return "COMMENT ON \(target) IS \(literal(text));\n"
    }

    /// `ALTER <kind> <name> OWNER TO <role>;`.
    func owner(_ kind: String, _ name: String, _ role: String) -> String {
        referencedRoles.insert(role)
        return "ALTER \(kind) \(name) OWNER TO \(SQLIdentifier.quote(role));\n"
    }

    /// GRANT/REVOKE text for an ACL (nil = default privileges: nothing to do).
    func acl(_ objectType: String, _ name: String, column: String? = nil, acl: String?, base: String?,
             owner: String, set: PrivilegeSet) -> String {
        guard let acl else { return "" }
        let items = PGArray.parse(acl).compactMap { $0 }
        let baseItems = PGArray.parse(base ?? "{}").compactMap { $0 }
        for item in items { if let p = AclItem(item) { noteRole(p.grantee); noteRole(p.grantor) } }
        return ACL.commands(objectType: objectType, name: name, column: column, acl: items, base: baseItems,
                            owner: owner, privilegeSet: set)
    }

    func noteRole(_ role: String) { if !role.isEmpty { referencedRoles.insert(role) } }

    func literal(_ text: String) -> String { Connection.quoteLiteral(text) }

    func warn(_ text: String) { warnings.append(text) }

    // MARK: dependencies

    private func loadDepends() throws {
        let rows = try conn.query("""
            SELECT classid, objid, refclassid, refobjid, deptype FROM pg_catalog.pg_depend
            WHERE deptype IN ('n', 'a', 'e') AND classid <> 0 AND refclassid <> 0
            """)
        for r in rows.rows {
            guard let c = r[0].flatMap({ UInt32($0) }), let o = r[1].flatMap({ UInt32($0) }),
                  let rc = r[2].flatMap({ UInt32($0) }), let ro = r[3].flatMap({ UInt32($0) }) else { continue }
            let from = CatKey(classid: c, oid: o)
            if r[4] == "e" {
                // Members are not dumped; whatever uses them depends on their extension instead.
                extensionMembers.insert(from)
                if rc == Catalog.pgExtension { alias[from] = CatKey(classid: rc, oid: ro) }
                continue
            }
            depends[from, default: []].append(CatKey(classid: rc, oid: ro))
        }
    }

    private func loadComments() throws {
        let rows = try conn.query("SELECT classoid, objoid, objsubid, description FROM pg_catalog.pg_description")
        for r in rows.rows {
            guard let c = r[0].flatMap({ UInt32($0) }), let o = r[1].flatMap({ UInt32($0) }),
                  let s = r[2].flatMap({ Int32($0) }), let d = r[3] else { continue }
            comments[CommentKey(classid: c, oid: o, sub: s)] = d
        }
    }

    /// Follows aliases to the key of an emitted item.
    func canonical(_ key: CatKey) -> CatKey {
        var k = key
        var hops = 0
        while let next = alias[k], hops < 8 { k = next; hops += 1 }
        return k
    }

    /// Adds pg_depend edges to every item (through aliases), in addition to explicit ones.
    private func resolveDependencies() {
        var dependentsOf: [CatKey: [CatKey]] = [:]   // canonical dependent → its raw catalog keys
        for (raw, target) in alias { dependentsOf[canonical(target), default: []].append(raw) }
        for i in items.indices {
            let key = items[i].key
            var sources = [key]
            sources.append(contentsOf: dependentsOf[key] ?? [])
            for source in sources {
                for ref in depends[source] ?? [] {
                    let target = canonical(ref)
                    if target != key { items[i].deps.insert(target) }
                }
            }
            items[i].deps = Set(items[i].deps.map { canonical($0) }).subtracting([key])
        }
    }
}
