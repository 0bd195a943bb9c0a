import Foundation
import Support

// The history the compliance engine works from. The daemon reads these from the store (so a rebuilt
// host reports the same numbers) and writes `RunRecord`/`DrillRecord` as JSON under
// `<policy>/runs/<run-id>.json` and `<policy>/drills/<drill-id>.json`. JSON keys are the Swift
// property names (camelCase); dates are ISO 8601 UTC strings with milliseconds. Encode and decode
// with `RecordCoding` so every writer and reader agrees. New optional fields may be added within a
// format version; a reader rejects a `formatVersion` it does not know.

/// One committed backup, derived from its manifest (the manifest is the commit marker).
public struct BackupRecord: Codable, Sendable, Hashable {
    /// Backup id, e.g. `20261121T030000Z-7f3a`.
    public var id: String
    public var policy: String
    /// When the consistent snapshot was taken: the point in time the backup restores to.
    public var snapshotTime: Date
    /// When the manifest was written (commit). Data age only drops at this instant.
    public var completedTime: Date
    public var compressedSize: Int64
    public var uncompressedSize: Int64
    public var rows: Int64
    public var tables: Int
    /// A later `drctl verify` re-read the object and every checksum matched.
    public var verified: Bool
    /// A drill restored this backup and passed.
    public var drilled: Bool

    public init(id: String, policy: String, snapshotTime: Date, completedTime: Date, compressedSize: Int64,
                uncompressedSize: Int64, rows: Int64 = 0, tables: Int = 0, verified: Bool = false,
                drilled: Bool = false) {
        self.id = id
        self.policy = policy
        self.snapshotTime = snapshotTime
        self.completedTime = completedTime
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.rows = rows
        self.tables = tables
        self.verified = verified
        self.drilled = drilled
    }
}

/// One scheduled or manual backup run, successful or not (`<policy>/runs/<run-id>.json`).
public struct RunRecord: Codable, Sendable, Hashable {
    public static let currentFormatVersion = 1

    public enum Kind: String, Codable, Sendable { case backup }
    public enum Outcome: String, Codable, Sendable { case success, failed, cancelled }

    public var formatVersion: Int
    public var runID: String
    public var policy: String
    public var kind: Kind
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: Outcome
    /// Redacted, human-readable error for failed runs.
    public var error: String?
    /// The committed backup for a successful run.
    public var backupID: String?
    /// Compressed bytes written to the store.
    public var bytes: Int64
    public var durationSeconds: Double

    public init(runID: String, policy: String, kind: Kind = .backup, startedAt: Date, finishedAt: Date,
                outcome: Outcome, error: String? = nil, backupID: String? = nil, bytes: Int64 = 0,
                durationSeconds: Double? = nil, formatVersion: Int = RunRecord.currentFormatVersion) {
        self.formatVersion = formatVersion
        self.runID = runID
        self.policy = policy
        self.kind = kind
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.error = error
        self.backupID = backupID
        self.bytes = bytes
        self.durationSeconds = durationSeconds ?? finishedAt.timeIntervalSince(startedAt)
    }
}

/// One restore drill (`<policy>/drills/<drill-id>.json`).
public struct DrillRecord: Codable, Sendable, Hashable {
    public static let currentFormatVersion = 1

    /// Seconds spent in each phase of the restore.
    public struct Phases: Codable, Sendable, Hashable {
        public var download: Double
        public var load: Double
        public var postData: Double
        public var checks: Double
        public init(download: Double = 0, load: Double = 0, postData: Double = 0, checks: Double = 0) {
            self.download = download
            self.load = load
            self.postData = postData
            self.checks = checks
        }
        public var total: Double { download + load + postData + checks }
    }

    /// One verification: a row-count comparison or a policy `drill_check`.
    public struct Check: Codable, Sendable, Hashable {
        public var name: String
        public var passed: Bool
        public var detail: String
        public init(name: String, passed: Bool, detail: String = "") {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    public var formatVersion: Int
    public var drillID: String
    public var policy: String
    public var backupID: String
    public var startedAt: Date
    public var finishedAt: Date
    public var passed: Bool
    public var phases: Phases
    public var checks: [Check]
    /// Why the drill failed (empty when it passed).
    public var reasons: [String]
    /// Compressed size of the drilled backup, to scale the measured duration to today's backup.
    public var backupSize: Int64

    public init(drillID: String, policy: String, backupID: String, startedAt: Date, finishedAt: Date,
                passed: Bool, phases: Phases = Phases(), checks: [Check] = [], reasons: [String] = [],
                backupSize: Int64, formatVersion: Int = DrillRecord.currentFormatVersion) {
        self.formatVersion = formatVersion
        self.drillID = drillID
        self.policy = policy
        self.backupID = backupID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.passed = passed
        self.phases = phases
        self.checks = checks
        self.reasons = reasons
        self.backupSize = backupSize
    }

    /// Restore time measured by this drill: start to verified, usable database.
    public var durationSeconds: Double { max(0, finishedAt.timeIntervalSince(startedAt)) }
}

/// A multipart upload the store reports as still open.
public struct PendingUploadInfo: Codable, Sendable, Hashable {
    public var key: String
    public var uploadID: String
    public var initiated: Date
    public init(key: String, uploadID: String = "", initiated: Date) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// One object in a store listing of a policy prefix.
public struct ObjectListing: Codable, Sendable, Hashable {
    public var key: String
    public var size: Int64
    public var lastModified: Date
    public init(key: String, size: Int64, lastModified: Date) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
    }
}

/// The one JSON encoding of compliance records and reports: sorted keys, ISO 8601 UTC dates with
/// milliseconds. Decoding accepts any form `Timestamp.parse` does.
public enum RecordCoding {
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(Timestamp.iso8601Millis(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { dec in
            let c = try dec.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return decoder
    }

    /// JSON bytes of a record (pretty, sorted keys, trailing newline).
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        var data = try encoder().encode(value)
        data.append(0x0A)
        return data
    }

    /// Decodes a run record, naming `source` (a store key) in errors.
    public static func decodeRun(_ data: Data, source: String) throws -> RunRecord {
        let record: RunRecord = try decode(data, source: source)
        guard record.formatVersion <= RunRecord.currentFormatVersion else {
            throw DRDError(.corrupt, "run record '\(source)' has format version \(record.formatVersion)",
                           hint: "this drctl understands version \(RunRecord.currentFormatVersion); upgrade drd")
        }
        return record
    }

    /// Decodes a drill record, naming `source` (a store key) in errors.
    public static func decodeDrill(_ data: Data, source: String) throws -> DrillRecord {
        let record: DrillRecord = try decode(data, source: source)
        guard record.formatVersion <= DrillRecord.currentFormatVersion else {
            throw DRDError(.corrupt, "drill record '\(source)' has format version \(record.formatVersion)",
                           hint: "this drctl understands version \(DrillRecord.currentFormatVersion); upgrade drd")
        }
        return record
    }

    /// Decodes any record type, mapping decoding failures to a `.corrupt` error naming `source`.
    public static func decode<T: Decodable>(_ data: Data, source: String) throws -> T {
        do {
            return try decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw DRDError(.corrupt, "unable to read '\(source)': \(describe(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "invalid json" : "invalid value at '\(path)'"
        @unknown default: return "invalid json"
        }
    }
}
