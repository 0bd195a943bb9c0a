import Foundation
import Support

/// A parsed store URL: `s3://bucket/prefix` or `file:///path` (a bare absolute path is a file store).
public enum StoreURL: Sendable, Equatable, CustomStringConvertible {
    /// `prefix` is empty or ends with `/`.
    case s3(bucket: String, prefix: String)
    /// An absolute directory path without a trailing slash (except `/`).
    case file(path: String)

    /// Parses a store URL; errors name the text and say what is accepted.
    public static func parse(_ text: String) throws -> StoreURL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("s3://") {
            let rest = trimmed.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            guard isValidBucket(bucket) else {
                throw DRDError(.config, "invalid bucket name '\(bucket)' in store url '\(trimmed)'",
                               hint: "bucket names are 3-63 lowercase letters, digits, '.' and '-'")
            }
            var prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !prefix.isEmpty { prefix += "/" }
            if prefix.contains("//") {
                throw DRDError(.config, "invalid prefix in store url '\(trimmed)': empty path segment")
            }
            return .s3(bucket: bucket, prefix: prefix)
        }
        var path = trimmed
        if trimmed.lowercased().hasPrefix("file://") {
            path = SigV4Signer.decode(String(trimmed.dropFirst(7)))
            // file://localhost/path is the same as file:///path
            if path.hasPrefix("localhost/") { path = String(path.dropFirst(9)) }
        } else if trimmed.contains("://") {
            throw DRDError(.config, "unsupported store url '\(trimmed)'",
                           hint: "use s3://bucket/prefix or file:///absolute/path")
        }
        guard path.hasPrefix("/") else {
            throw DRDError(.config, "store url '\(trimmed)' is not absolute",
                           hint: "use s3://bucket/prefix or file:///absolute/path")
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return .file(path: path)
    }

    static func isValidBucket(_ name: String) -> Bool {
        guard (3...63).contains(name.count) else { return false }
        // Lenient about underscores and capitals: some S3-compatible stores accept them.
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
    }

    public var description: String {
        switch self {
        case .s3(let bucket, let prefix): return "s3://\(bucket)/\(prefix)"
        case .file(let path): return "file://\(path)"
        }
    }
}

/// Where a single-object argument (`s3://bucket/dir/x.sql.gz`, `/tmp/x.sql.gz`, `-`) points.
public struct ObjectLocation: Sendable, Equatable {
    /// The store holding the object; nil for `-` (standard input/output).
    public var store: StoreURL?
    /// The object's key inside `store` (its file name for a local path); "-" for stdio.
    public var key: String

    public var isStandardStream: Bool { store == nil }
}

/// Factory and helpers: turns URLs and settings into `ObjectStore`s.
public enum Store {
    /// Opens the store at `url` (`s3://bucket/prefix`, `file:///path` or an absolute path).
    ///
    /// S3 settings come from `settings` first, then `environment` (see `StoreSettings.resolveS3`).
    public static func open(url: String, settings: StoreSettings = StoreSettings(),
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any ObjectStore {
        switch try StoreURL.parse(url) {
        case .file(let path):
            return try FileStore(root: path)
        case .s3(let bucket, let prefix):
            let config = try settings.resolveS3(bucket: bucket, prefix: prefix, environment: environment)
            return try S3Store(config: config)
        }
    }

    /// Splits a single-object argument into a store and a key: `s3://b/dir/x.sql.gz` → (`s3://b/dir/`,
    /// `x.sql.gz`); `/tmp/x.sql.gz` or `x.sql.gz` (relative to `currentDirectory`) → (`file:///tmp`,
    /// `x.sql.gz`); `-` → standard stream. The manifest can then be written beside it in the same store.
    public static func locate(_ target: String,
                              currentDirectory: String = FileManager.default.currentDirectoryPath) throws -> ObjectLocation {
        if target == "-" { return ObjectLocation(store: nil, key: "-") }
        if target.lowercased().hasPrefix("s3://") {
            let rest = String(target.dropFirst(5))
            guard let slash = rest.firstIndex(of: "/"), rest.index(after: slash) < rest.endIndex,
                  !rest.hasSuffix("/") else {
                throw DRDError(.usage, "'\(target)' does not name an object",
                               hint: "give the whole object url, e.g. s3://bucket/dir/backup.sql.gz")
            }
            let path = rest[rest.index(after: slash)...]
            let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            let dir = String(rest[..<slash]) + "/" + String(path.dropLast(name.count))
            return ObjectLocation(store: try StoreURL.parse("s3://" + dir), key: name)
        }
        var path = target
        if target.lowercased().hasPrefix("file://") {
            guard case .file(let p) = try StoreURL.parse(target) else { throw DRDError(.internal, "file url parse") }
            path = p
        } else if !path.hasPrefix("/") {
            path = (currentDirectory.hasSuffix("/") ? currentDirectory : currentDirectory + "/") + path
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let name = url.lastPathComponent
        guard !name.isEmpty, name != "/", !path.hasSuffix("/") else {
            throw DRDError(.usage, "'\(target)' does not name a file", hint: "give a file path such as /tmp/backup.sql.gz")
        }
        return ObjectLocation(store: .file(path: url.deletingLastPathComponent().path), key: name)
    }

    /// `locate` plus `open`: the store and key for a single-object argument. Throws `.usage` for `-`
    /// (the caller reads stdin or writes stdout itself).
    public static func openObject(_ target: String, settings: StoreSettings = StoreSettings(),
                                  environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> (store: any ObjectStore, key: String) {
        let location = try locate(target)
        guard let store = location.store else {
            throw DRDError(.usage, "'-' is standard input/output, not a store object")
        }
        return (try open(url: store.description, settings: settings, environment: environment), location.key)
    }
}
