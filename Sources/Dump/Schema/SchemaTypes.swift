import Postgres
import Support

/// What `SchemaReader.read` includes.
public struct SchemaOptions: Sendable {
    /// Capture roles and tablespaces referenced by the database in `SchemaDump.globals`.
    public var includeGlobals = true
    /// Include role password hashes in the globals (superuser only; off by default).
    public var includePasswords = false
    public init() {}
}

/// One table (or partition leaf) whose rows must be dumped.
public struct TableData: Sendable {
    /// Exact (unquoted) schema and table names.
    public var schema: String
    public var name: String
    public var oid: UInt32
    /// Schema-qualified, quoted as pg_dump quotes (e.g. `public."My Table"`).
    public var qualifiedName: String
    /// Quoted non-generated columns in attnum order, e.g. `(a, "b c")`; empty for a table without columns.
    public var columnList: String
    /// `COPY public.t (a, "b c") TO STDOUT`.
    public var copyOutSQL: String
    /// `COPY public.t (a, "b c") FROM stdin;`.
    public var copyInHeader: String
    /// `pg_relation_size`, for chunk planning and ordering.
    public var estimatedBytes: Int64

    public init(schema: String, name: String, oid: UInt32, qualifiedName: String, columnList: String,
                copyOutSQL: String, copyInHeader: String, estimatedBytes: Int64) {
        self.schema = schema; self.name = name; self.oid = oid; self.qualifiedName = qualifiedName
        self.columnList = columnList; self.copyOutSQL = copyOutSQL; self.copyInHeader = copyInHeader
        self.estimatedBytes = estimatedBytes
    }
}

/// A database's schema as SQL, split the way pg_dump splits it around the data.
///
/// `globals`, `preData` and `postData` are UTF-8 text whatever the database encoding: the
/// script parts holding them must say `SET client_encoding = 'UTF8'` (table data members keep
/// the database encoding, since COPY bytes pass through unchanged).
public struct SchemaDump: Sendable {
    /// The encoding of the schema text (`SET client_encoding` for the members that carry it).
    public static let scriptEncoding = "UTF8"

    /// Roles and tablespaces the database references; idempotent (creates only what is missing).
    public var globals: String
    /// Everything that must exist before data is loaded (schemas, types, functions, tables, views…).
    public var preData: String
    /// Everything after data (sequence values, constraints, indexes, triggers, policies, ACLs on
    /// those, matview refreshes, default privileges, event triggers, publications).
    public var postData: String
    /// Tables whose rows must be dumped.
    public var tables: [TableData]
    /// Large object OIDs; their creation, owner, ACL and comment are in `preData`.
    public var largeObjects: [UInt32]
    /// Objects skipped, with why.
    public var warnings: [String]

    public init(globals: String = "", preData: String = "", postData: String = "", tables: [TableData] = [],
                largeObjects: [UInt32] = [], warnings: [String] = []) {
        self.globals = globals; self.preData = preData; self.postData = postData
        self.tables = tables; self.largeObjects = largeObjects; self.warnings = warnings
    }
}
