// Archive module — the backup artifact format (see DESIGN.md "The backup artifact").
//
// `<id>.sql.gz` is a concatenation of gzip members (globals?, pre-data, data chunks, post-data) that
// `gunzip -c` turns into one plain SQL script; `<id>.manifest.json` indexes the members and is written
// last as the commit marker. This file holds the shared value types; the streaming pieces live in
// MemberCompressor, ArtifactWriter, GzipReader, ArtifactVerifier and Manifest.

/// Which part of the SQL script a gzip member carries.
public enum Section: String, Codable, Sendable, CaseIterable {
    case globals
    case preData = "pre-data"
    case data
    case postData = "post-data"
}

/// One gzip member of the artifact, as recorded in the manifest.
public struct MemberEntry: Codable, Sendable, Equatable {
    /// Byte offset of the member in the `.sql.gz` object.
    public var offset: Int64
    public var compressedLength: Int64
    public var uncompressedLength: Int64
    public var section: Section
    /// Data members: the table's schema and name (unquoted, exact).
    public var schema: String?
    public var table: String?
    /// Data members: 0-based chunk number within the table.
    public var chunk: Int?
    /// Data members: rows in this chunk.
    public var rows: Int64?
    /// Hex SHA-256 of the member's compressed bytes.
    public var sha256: String

    public init(offset: Int64, compressedLength: Int64, uncompressedLength: Int64, section: Section,
                schema: String? = nil, table: String? = nil, chunk: Int? = nil, rows: Int64? = nil,
                sha256: String) {
        self.offset = offset
        self.compressedLength = compressedLength
        self.uncompressedLength = uncompressedLength
        self.section = section
        self.schema = schema
        self.table = table
        self.chunk = chunk
        self.rows = rows
        self.sha256 = sha256
    }

    /// `member 3 (data "public"."t" chunk 0, offset 1234)` — for error messages.
    public func describe(index: Int) -> String {
        var what = section.rawValue
        if let table { what += " \"\(schema ?? "")\".\"\(table)\"" }
        if let chunk { what += " chunk \(chunk)" }
        return "member \(index) (\(what), offset \(offset))"
    }
}

/// A gzip member compressed in memory: workers compress chunks in parallel, the writer appends them in order.
public struct CompressedMember: Sendable {
    public var bytes: [UInt8]
    public var uncompressedLength: Int64
    /// Hex SHA-256 of `bytes`.
    public var sha256: String
    public var section: Section
    public var schema: String?
    public var table: String?
    public var chunk: Int?
    public var rows: Int64?

    public init(bytes: [UInt8], uncompressedLength: Int64, sha256: String, section: Section,
                schema: String? = nil, table: String? = nil, chunk: Int? = nil, rows: Int64? = nil) {
        self.bytes = bytes
        self.uncompressedLength = uncompressedLength
        self.sha256 = sha256
        self.section = section
        self.schema = schema
        self.table = table
        self.chunk = chunk
        self.rows = rows
    }
}

/// Per-table row totals recorded in the manifest.
public struct TableRows: Codable, Sendable, Equatable {
    public var schema: String
    public var table: String
    public var rows: Int64

    public init(schema: String, table: String, rows: Int64) {
        self.schema = schema
        self.table = table
        self.rows = rows
    }
}
