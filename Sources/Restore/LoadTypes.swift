import Archive
import Support

/// A table named by schema and name, both unquoted and exact.
public struct TableName: Sendable, Hashable, CustomStringConvertible {
    public var schema: String
    public var table: String
    public init(schema: String, table: String) {
        self.schema = schema
        self.table = table
    }
    /// `"schema"."table"`, quoted for messages and SQL.
    public var description: String {
        "\"\(schema.replacingOccurrences(of: "\"", with: "\"\""))\".\"\(table.replacingOccurrences(of: "\"", with: "\"\""))\""
    }
}

/// How `ArtifactLoader` restores a drd artifact.
public struct LoadOptions: Sendable {
    /// Parallel connections for data members (at least 1). Memory is bounded by jobs × one
    /// streaming buffer set, whatever the chunk or table sizes.
    public var jobs = 1
    /// Applies the globals member (roles, tablespaces) when the artifact has one; existing roles
    /// are skipped and reported.
    public var applyGlobals = false
    /// Restores only these tables' data (nil: every table). Pre-data and post-data are still
    /// applied in full (every object's definition; the other tables stay empty): carving single
    /// tables' definitions out of a script is not attempted. Foreign keys from a selected table to
    /// an unselected one fail in post-data, as they would with pg_restore.
    public var tables: Set<TableName>?

    /// A single-table restore (`tables` with one element).
    public var onlyTable: TableName? {
        get { tables?.count == 1 ? tables?.first : nil }
        set { tables = newValue.map { [$0] } }
    }
    /// See `ScriptOptions.skipMissingRoles`: `OWNER TO` / `GRANT` naming absent roles are skipped.
    public var skipMissingRoles = false
    /// Refuses to start when the target database already has tables, views or sequences (a
    /// restore is meant for an empty database; turn off when the template carries some).
    public var requireEmptyDatabase = true
    /// Checked between statements and COPY batches; a failing worker cancels it to stop the others.
    public var token: CancellationToken?
    /// Called as members are loaded (from worker threads; must be thread-safe).
    public var progress: (@Sendable (LoadProgress) -> Void)?

    public init(jobs: Int = 1, applyGlobals: Bool = false, tables: Set<TableName>? = nil, skipMissingRoles: Bool = false,
                token: CancellationToken? = nil, progress: (@Sendable (LoadProgress) -> Void)? = nil) {
        self.jobs = jobs
        self.applyGlobals = applyGlobals
        self.tables = tables
        self.skipMissingRoles = skipMissingRoles
        self.token = token
        self.progress = progress
    }
}

/// Running totals for `LoadOptions.progress`.
public struct LoadProgress: Sendable, Equatable {
    /// Compressed bytes read from the store.
    public var bytes: Int64
    /// COPY rows sent.
    public var rows: Int64
    public var membersDone: Int
    public var membersTotal: Int
}

/// What a load did.
public struct LoadResult: Sendable, Equatable {
    /// Members executed (globals, pre-data, data, post-data).
    public var members = 0
    /// Compressed bytes read from the store.
    public var compressedBytes: Int64 = 0
    /// SQL bytes executed.
    public var uncompressedBytes: Int64 = 0
    /// Rows loaded per table (only tables with data members loaded).
    public var rows: [TableName: Int64] = [:]
    /// Statements skipped (missing or existing roles), with the member they came from.
    public var skipped: [SkippedStatement] = []
    public var missingRoles: [String] = []

    public init() {}

    public var totalRows: Int64 { rows.values.reduce(0, +) }

    mutating func absorb(_ script: ScriptResult, member: String) {
        members += 1
        uncompressedBytes += script.bytesRead
        skipped += script.skipped.map { var s = $0; s.reason = "\(member): \(s.reason)"; return s }
        missingRoles = Array(Set(missingRoles + script.missingRoles)).sorted()
    }
}
