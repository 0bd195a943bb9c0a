import Foundation
import Support

/// The sidecar `<id>.manifest.json`: written last, it is the backup's commit marker and its index.
public struct Manifest: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var backupID: String
    public var policy: String?
    public var database: String
    /// `"15.18"`
    public var serverVersion: String
    /// `150018`
    public var serverVersionNum: Int
    /// Encoded ISO 8601 UTC with milliseconds (`2026-11-21T03:00:00.123Z`).
    public var snapshotTime: Date
    public var completedTime: Date
    /// `"<id>.sql.gz"`, relative to the manifest's directory.
    public var objectKey: String
    public var compressedSize: Int64
    public var uncompressedSize: Int64
    /// Hex SHA-256 of the whole `.sql.gz` object.
    public var sha256: String
    public var members: [MemberEntry]
    public var tables: [TableRows]
    public var globalsIncluded: Bool
    /// `"drd 0.1.0"`
    public var tool: String
    public var jobs: Int
    public var compressLevel: Int

    public init(formatVersion: Int = Manifest.currentFormatVersion, backupID: String, policy: String? = nil,
                database: String, serverVersion: String, serverVersionNum: Int, snapshotTime: Date,
                completedTime: Date, objectKey: String, compressedSize: Int64, uncompressedSize: Int64,
                sha256: String, members: [MemberEntry], tables: [TableRows] = [], globalsIncluded: Bool = false,
                tool: String = "drd 0.1.0", jobs: Int = 1, compressLevel: Int = 6) {
        self.formatVersion = formatVersion
        self.backupID = backupID
        self.policy = policy
        self.database = database
        self.serverVersion = serverVersion
        self.serverVersionNum = serverVersionNum
        self.snapshotTime = snapshotTime
        self.completedTime = completedTime
        self.objectKey = objectKey
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.sha256 = sha256
        self.members = members
        self.tables = tables
        self.globalsIncluded = globalsIncluded
        self.tool = tool
        self.jobs = jobs
        self.compressLevel = compressLevel
    }

    /// Pretty-printed JSON with sorted keys and a trailing newline: the same manifest always encodes
    /// to the same bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.iso8601Millis(date))
        }
        do {
            return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
        } catch {
            throw DRDError(.internal, "unable to encode manifest for backup '\(backupID)': \(error)")
        }
    }

    /// Parses and checks a manifest read from `source` (a key or path, for messages).
    ///
    /// - Throws: `DRDError(.corrupt, "invalid manifest '<source>': …")` on bad JSON (naming where), a
    ///   format version newer than this build understands, or members that do not tile the object.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Manifest {
        func invalid(_ what: String, hint: String? = nil) -> DRDError {
            DRDError(.corrupt, "invalid manifest '\(source)': \(what)", hint: hint)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 time")
            }
            return date
        }
        // Check the version first: a future format may not even have this version's fields.
        let version: Int
        do {
            version = try decoder.decode(VersionProbe.self, from: Data(bytes)).formatVersion
        } catch {
            throw invalid(describe(error, bytes: bytes))
        }
        guard version >= 1 else { throw invalid("formatVersion \(version) is not valid") }
        guard version <= currentFormatVersion else {
            throw invalid("formatVersion \(version) is newer than this drd understands (\(currentFormatVersion))",
                          hint: "upgrade drd to read this backup")
        }
        let manifest: Manifest
        do {
            manifest = try decoder.decode(Manifest.self, from: Data(bytes))
        } catch {
            throw invalid(describe(error, bytes: bytes))
        }
        if let problem = manifest.inconsistency() { throw invalid(problem) }
        return manifest
    }

    /// `"x/ID.sql.gz"` → `"x/ID.manifest.json"`.
    public static func key(forObjectKey objectKey: String) -> String {
        let base = objectKey.hasSuffix(".sql.gz") ? String(objectKey.dropLast(".sql.gz".count))
            : objectKey.hasSuffix(".gz") ? String(objectKey.dropLast(".gz".count)) : objectKey
        return base + ".manifest.json"
    }

    /// `"x/ID.manifest.json"` → `"x/ID.sql.gz"` (the inverse of `key(forObjectKey:)`).
    public static func objectKey(forManifestKey manifestKey: String) -> String {
        let suffix = ".manifest.json"
        let base = manifestKey.hasSuffix(suffix) ? String(manifestKey.dropLast(suffix.count)) : manifestKey
        return base + ".sql.gz"
    }

    /// The data members of one table in chunk order (for a single-table restore by ranged reads).
    public func dataMembers(schema: String, table: String) -> [MemberEntry] {
        members.filter { $0.section == .data && $0.schema == schema && $0.table == table }
            .sorted { ($0.chunk ?? 0) < ($1.chunk ?? 0) }
    }

    /// The members of one section, in artifact order.
    public func members(in section: Section) -> [MemberEntry] {
        members.filter { $0.section == section }
    }

    /// The first way the member index disagrees with itself or the sizes, or nil when it is consistent:
    /// members start at 0, are contiguous, and their lengths add up to the object's sizes.
    public func inconsistency() -> String? {
        var offset: Int64 = 0
        var uncompressed: Int64 = 0
        for (index, member) in members.enumerated() {
            let name = member.describe(index: index)
            if member.offset != offset {
                return "\(name) should start at byte \(offset) (members must be contiguous)"
            }
            if member.compressedLength <= 0 { return "\(name) has compressedLength \(member.compressedLength)" }
            if member.uncompressedLength < 0 { return "\(name) has uncompressedLength \(member.uncompressedLength)" }
            if !Self.isSHA256Hex(member.sha256) { return "\(name) has an invalid sha256 '\(member.sha256.prefix(80))'" }
            let (next, overflow) = offset.addingReportingOverflow(member.compressedLength)
            if overflow { return "\(name) length overflows" }
            offset = next
            uncompressed = uncompressed &+ member.uncompressedLength
        }
        if offset != compressedSize {
            return "members add up to \(offset) compressed bytes but compressedSize is \(compressedSize)"
        }
        if uncompressed != uncompressedSize {
            return "members add up to \(uncompressed) uncompressed bytes but uncompressedSize is \(uncompressedSize)"
        }
        if !Self.isSHA256Hex(sha256) { return "sha256 '\(sha256.prefix(80))' is not a hex SHA-256" }
        return nil
    }

    static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && Hex.decode(text) != nil
    }

    private struct VersionProbe: Decodable { var formatVersion: Int }

    /// Turns a DecodingError into "at members[2].offset: expected Int64" style text.
    private static func describe(_ error: Error, bytes: [UInt8]) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "top level" : text
        }
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field '\(key.stringValue)'" + (context.codingPath.isEmpty ? "" : " in \(parent)")
        case .typeMismatch(let type, let context):
            return "at \(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "at \(path(context.codingPath)): null where \(type) is required"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "not valid JSON: " + syntaxError(bytes, fallback: context.debugDescription)
            }
            return "at \(path(context.codingPath)): \(context.debugDescription.lowercasedFirst)"
        @unknown default:
            return "\(error)"
        }
    }
}

extension Manifest {
    /// JSONDecoder drops the position of a syntax error; JSONSerialization reports "around character N",
    /// which becomes a line and column here.
    fileprivate static func syntaxError(_ bytes: [UInt8], fallback: String) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return fallback.lowercasedFirst
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? fallback
            var text = detail.lowercasedFirst
            if text.hasSuffix(".") { text.removeLast() }
            guard let range = text.range(of: "character "),
                  let offset = Int(text[range.upperBound...].prefix(while: \.isNumber)) else { return text }
            var line = 1, column = 1
            for byte in bytes.prefix(offset) {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return "\(text) (line \(line), column \(column))"
        }
    }
}

extension String {
    fileprivate var lowercasedFirst: String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
