import Foundation

/// The daemon configuration (`drd.conf`): `[daemon]`, `[store]` and `[environment.NAME]` sections.
public struct DaemonConfig: Sendable, Equatable {
    public static let defaultSocket = "/run/drd/drd.sock"
    public static let defaultStateDirectory = "/var/lib/drd"
    public static let defaultPolicyDirectory = "/etc/drd/policies.d"

    /// The file this came from, if any.
    public var file: String?
    /// Control socket path (`socket`).
    public var socketPath: String
    /// Local state: job records, caches (`state_dir`). The store stays the source of truth.
    public var stateDirectory: String
    /// Directory of `*.conf` policy files (`policy_dir`); relative paths resolve against drd.conf's directory.
    public var policyDirectory: String
    /// Group whose members may run protected restores besides root (`admin_group`).
    public var adminGroup: String?
    /// Group whose members may run every mutating verb except protected restores (`operator_group`).
    public var operatorGroup: String?
    /// Group owning the control socket (`socket_group`). nil = not set: the daemon then uses
    /// `DRD_SOCKET_GROUP`, else `drd` when that group exists.
    public var socketGroup: String?
    /// node_exporter textfile to write metrics to (`metrics_textfile`, ends in `.prom`).
    public var metricsTextfile: String?
    /// HTTP endpoint for `/metrics` (`metrics_listen`, `host:port`).
    public var metricsListen: ListenAddress?
    public var store: StoreConfig?
    /// Environments in file order.
    public var environments: [EnvironmentConfig]

    public init(file: String? = nil, socketPath: String = DaemonConfig.defaultSocket,
                stateDirectory: String = DaemonConfig.defaultStateDirectory,
                policyDirectory: String = DaemonConfig.defaultPolicyDirectory,
                adminGroup: String? = nil, operatorGroup: String? = nil, socketGroup: String? = nil,
                metricsTextfile: String? = nil, metricsListen: ListenAddress? = nil,
                store: StoreConfig? = nil, environments: [EnvironmentConfig] = []) {
        self.file = file
        self.socketPath = socketPath
        self.stateDirectory = stateDirectory
        self.policyDirectory = policyDirectory
        self.adminGroup = adminGroup
        self.operatorGroup = operatorGroup
        self.socketGroup = socketGroup
        self.metricsTextfile = metricsTextfile
        self.metricsListen = metricsListen
        self.store = store
        self.environments = environments
    }

    /// The environment named `name`, if configured.
    public func environment(named name: String) -> EnvironmentConfig? {
        environments.first { $0.name == name }
    }
}

/// `metrics_listen = host:port` (`[::1]:9187` for IPv6; an empty host means all interfaces).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host:port`, `[v6]:port` or `:port`; nil when malformed.
    public static func parse(_ text: String) -> ListenAddress? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard let port = Int(portText), (1...65_535).contains(port), !host.contains(where: { $0 == " " }) else { return nil }
        return ListenAddress(host: String(host), port: port)
    }
}

/// `[store]`: where backups go. Unset fields fall back to the standard AWS variables at run time.
///
/// The commonly validated keys are typed fields; `values` keeps every `[store]` key as set (after
/// `${VAR}` expansion), including profile, part_size, upload_concurrency, equal_parts and the
/// optional literal credentials, for the Storage module's `StoreSettings.fromConfig`.
/// `description` never shows secret_access_key or session_token.
public struct StoreConfig: Sendable, Equatable, CustomStringConvertible {
    /// Keys whose values are secrets: never printed, and warned about when written literally.
    public static let secretKeys: Set<String> = ["secret_access_key", "session_token"]
    /// The keys held in typed fields; `settingValues` takes them from the fields.
    static let typedKeys = ["url", "region", "endpoint", "path_style", "sse", "sse_kms_key_id", "storage_class"]

    public enum Encryption: String, Sendable, Equatable, CaseIterable {
        case aes256 = "AES256"
        case kms = "aws:kms"
    }

    /// `s3://bucket/prefix` or `file:///path`.
    public var url: String
    public var region: String?
    /// Custom S3 endpoint (MinIO, Ceph, moto), e.g. `https://minio.internal:9000`.
    public var endpoint: String?
    /// Path-style addressing; nil means "decide": on for a custom endpoint, off for AWS.
    public var pathStyle: Bool?
    public var sse: Encryption?
    public var sseKMSKeyID: String?
    /// e.g. `STANDARD_IA`; nil means the bucket default.
    public var storageClass: String?
    /// Every `[store]` key as set in the file (after `${VAR}` expansion; empty values left out).
    public var values: [String: String]

    public init(url: String, region: String? = nil, endpoint: String? = nil, pathStyle: Bool? = nil,
                sse: Encryption? = nil, sseKMSKeyID: String? = nil, storageClass: String? = nil,
                values: [String: String] = [:]) {
        self.url = url
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle
        self.sse = sse
        self.sseKMSKeyID = sseKMSKeyID
        self.storageClass = storageClass
        self.values = values
    }

    /// The key/values to hand to `StoreSettings.fromConfig`: `values`, with the typed keys taken
    /// from the (validated, normalised) typed fields so both always agree.
    public var settingValues: [String: String] {
        var out = values
        for key in Self.typedKeys { out[key] = nil }
        out["url"] = url
        out["region"] = region
        out["endpoint"] = endpoint
        out["path_style"] = pathStyle.map { $0 ? "true" : "false" }
        out["sse"] = sse?.rawValue
        out["sse_kms_key_id"] = sse == .kms ? sseKMSKeyID : nil
        out["storage_class"] = storageClass
        return out
    }

    /// The settings with secrets masked, so a logged configuration never leaks them.
    public var description: String {
        let shown = settingValues.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(Self.secretKeys.contains($0.key) ? "<redacted>" : $0.value)" }
        return "StoreConfig(\(shown.joined(separator: ", ")))"
    }
}

/// `[environment.NAME]`: a database drd backs up from, drills into or restores to.
public struct EnvironmentConfig: Sendable, Equatable {
    public var name: String
    /// A libpq conninfo (`service=prod dbname=optim`) or URI; secrets belong in .pgpass / service files.
    public var database: String
    /// Restores into a protected environment need `--force-protected` and a typed confirmation;
    /// drills never target one.
    public var protected: Bool
    public var location: SourceLocation?

    public init(name: String, database: String, protected: Bool = false, location: SourceLocation? = nil) {
        self.name = name
        self.database = database
        self.protected = protected
        self.location = location
    }
}

/// One backup policy (`policy_dir/NAME.conf`, section `[policy]`).
public struct Policy: Sendable, Equatable {
    public static let defaultCompressLevel = 6
    public static let defaultJobs = 2
    public static let defaultRetention: TimeInterval = 30 * 86_400
    public static let defaultMinKeep = 3
    public static let defaultLockTimeout: TimeInterval = 30

    /// Unique; also the store prefix (`<store url>/<name>/`).
    public var name: String
    /// The environment backed up.
    public var source: String
    public var schedule: Schedule
    /// The schedule's IANA time zone (UTC unless `timezone` is set); also used by `drill_schedule`.
    public var timeZone: TimeZone
    /// gzip level 0-9.
    public var compressLevel: Int
    /// Parallel table readers for a backup (and loaders for a drill).
    public var jobs: Int
    /// How long a backup waits for each table's ACCESS SHARE lock before failing (`lock_timeout`).
    public var lockTimeout: TimeInterval = Policy.defaultLockTimeout
    public var retention: TimeInterval
    /// Successful backups kept beyond the retention window, whatever their age (at least 1).
    public var minKeep: Int
    /// Recovery point objective: the largest acceptable data age. nil = not tracked.
    public var rpo: TimeInterval?
    /// Recovery time objective, checked against drills. nil = not tracked.
    public var rto: TimeInterval?
    public var drillSchedule: Schedule?
    /// The environment drills restore into (never a protected one).
    public var drillTarget: String?
    /// SQL statements that must each return true after a drill or restore, in file order.
    public var drillChecks: [String]
    /// The file it came from and where each key was set, for messages that point at the line.
    public var file: String
    public var keyLocations: [String: SourceLocation]

    public init(name: String, source: String, schedule: Schedule,
                timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current,
                compressLevel: Int = Policy.defaultCompressLevel, jobs: Int = Policy.defaultJobs,
                retention: TimeInterval = Policy.defaultRetention, minKeep: Int = Policy.defaultMinKeep,
                rpo: TimeInterval? = nil, rto: TimeInterval? = nil, drillSchedule: Schedule? = nil,
                drillTarget: String? = nil, drillChecks: [String] = [], file: String = "",
                keyLocations: [String: SourceLocation] = [:]) {
        self.name = name
        self.source = source
        self.schedule = schedule
        self.timeZone = timeZone
        self.compressLevel = compressLevel
        self.jobs = jobs
        self.retention = retention
        self.minKeep = minKeep
        self.rpo = rpo
        self.rto = rto
        self.drillSchedule = drillSchedule
        self.drillTarget = drillTarget
        self.drillChecks = drillChecks
        self.file = file
        self.keyLocations = keyLocations
    }
}

/// A validated configuration: the daemon config and every policy, plus non-blocking warnings.
public struct LoadedConfig: Sendable, Equatable {
    public var daemon: DaemonConfig
    /// Sorted by file name.
    public var policies: [Policy]
    public var warnings: [ConfigDiagnostic]

    public init(daemon: DaemonConfig, policies: [Policy], warnings: [ConfigDiagnostic] = []) {
        self.daemon = daemon
        self.policies = policies
        self.warnings = warnings
    }

    public func policy(named name: String) -> Policy? { policies.first { $0.name == name } }
}
