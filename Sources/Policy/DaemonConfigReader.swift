import Foundation
import Support

/// Builds a `DaemonConfig` from a parsed `drd.conf`, validating every key.
enum DaemonConfigReader {
    static let daemonKeys = ["socket", "state_dir", "policy_dir", "admin_group", "operator_group", "socket_group",
                             "metrics_textfile", "metrics_listen"]
    static let storeKeys = ["url", "region", "endpoint", "path_style", "sse", "sse_kms_key_id", "storage_class",
                            "profile", "part_size", "upload_concurrency", "equal_parts",
                            "access_key_id", "secret_access_key", "session_token"]
    static let environmentKeys = ["database", "protected"]
    static let sectionNames = ["daemon", "store", "environment.NAME"]

    /// S3 storage classes drd accepts. GLACIER and DEEP_ARCHIVE are refused: objects there cannot be
    /// read back without a restore request, so drills, verify and ranged restores would all fail.
    static let storageClasses = ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR",
                                 "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE"]

    /// `groupExists` checks `admin_group`, `operator_group` and `socket_group` (this host's groups by default).
    static func read(_ ini: IniFile, groupExists: (String) -> Bool = UserDatabase.groupExists) -> (DaemonConfig, [ConfigDiagnostic]) {
        var config = DaemonConfig(file: ini.path)
        var diagnostics: [ConfigDiagnostic] = []

        for section in ini.sections {
            switch section.name {
            case "daemon":
                var r = SectionReader(section, known: daemonKeys)
                if let v = r.absolutePath("socket") { config.socketPath = v }
                if let v = r.absolutePath("state_dir") { config.stateDirectory = v }
                if let e = r.optional("policy_dir") {
                    // Relative to drd.conf's directory, so a checkout can be tested in place.
                    config.policyDirectory = e.value.hasPrefix("/") ? e.value
                        : URL(fileURLWithPath: ini.path).deletingLastPathComponent().appendingPathComponent(e.value).path
                }
                config.adminGroup = group("admin_group", &r, groupExists)
                config.operatorGroup = group("operator_group", &r, groupExists)
                config.socketGroup = group("socket_group", &r, groupExists)
                if let v = r.absolutePath("metrics_textfile") {
                    if v.hasSuffix(".prom") {
                        config.metricsTextfile = v
                    } else if let e = r.entry("metrics_textfile") {
                        r.error(e, "metrics_textfile '\(v)' must end in .prom",
                                hint: "node_exporter's textfile collector reads only *.prom files")
                    }
                }
                if let e = r.optional("metrics_listen") {
                    if let address = ListenAddress.parse(e.value) {
                        config.metricsListen = address
                    } else {
                        r.error(e, "invalid metrics_listen '\(e.value)': expected host:port, e.g. 127.0.0.1:9187 or [::1]:9187")
                    }
                }
                diagnostics += r.diagnostics
            case "store":
                var r = SectionReader(section, known: storeKeys)
                config.store = readStore(&r)
                diagnostics += r.diagnostics
            case let name where name.hasPrefix("environment."):
                var r = SectionReader(section, known: environmentKeys)
                let envName = String(name.dropFirst("environment.".count))
                if !Names.isValid(envName) {
                    diagnostics.append(.init(section.location, "invalid environment name '\(envName)': expected \(Names.rule)"))
                }
                let database = r.required("database", what: "a libpq conninfo such as 'service=staging' or a postgresql:// URI")
                let protected = r.bool("protected") ?? false
                if let database { diagnostics += secretWarnings(database, environment: envName) }
                // Kept even without a database (already an error) so policies naming it do not also fail.
                config.environments.append(EnvironmentConfig(
                    name: envName, database: database?.value ?? "", protected: protected, location: section.location))
                diagnostics += r.diagnostics
            case "policy":
                diagnostics.append(.init(section.location, "[policy] does not belong in the daemon configuration",
                                         hint: "put each policy in its own file under policy_dir"))
            default:
                let hint = Suggest.closest(to: section.name, in: ["daemon", "store", "environment"])
                    .map { $0 == "environment" ? "environments are named: [environment.NAME], e.g. [environment.staging]"
                                               : "did you mean [\($0)]?" }
                    ?? "sections are [daemon], [store] and [environment.NAME]"
                diagnostics.append(.init(section.location, "unknown section [\(section.name)]", hint: hint))
            }
        }
        return (config, diagnostics)
    }

    /// A group-name key: one name, and a group that exists on this host (a typo would otherwise
    /// silently grant nobody access, or make the socket unreachable).
    private static func group(_ key: String, _ r: inout SectionReader, _ groupExists: (String) -> Bool) -> String? {
        guard let e = r.optional(key) else { return nil }
        if e.value.contains(where: { $0 == " " || $0 == "\t" || $0 == ":" || $0 == "," }) {
            r.error(e, "invalid \(key) '\(e.value)': expected one group name")
            return nil
        }
        guard groupExists(e.value) else {
            r.error(e, "\(key) '\(e.value)' is not a group on this host",
                    hint: "create it with 'groupadd --system \(e.value)' or name an existing group")
            return nil
        }
        return e.value
    }

    private static func readStore(_ r: inout SectionReader) -> StoreConfig? {
        guard let urlEntry = r.required("url", what: "s3://bucket/prefix or file:///path") else { return nil }
        var store = StoreConfig(url: urlEntry.value)
        for e in r.section.entries where storeKeys.contains(e.key) && !e.isUnresolved && !e.value.isEmpty {
            store.values[e.key] = store.values[e.key] ?? e.value
        }
        let url = urlEntry.value
        if url.hasPrefix("s3://") {
            let bucket = url.dropFirst(5).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            let ok = (3...63).contains(bucket.count)
                && bucket.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }
            if !ok {
                r.error(urlEntry, "invalid bucket '\(bucket)' in store url '\(url)'",
                        hint: "bucket names are 3-63 lowercase letters, digits, '-' and '.'")
            }
        } else if url.hasPrefix("file://") {
            if !url.dropFirst(7).hasPrefix("/") {
                r.error(urlEntry, "invalid store url '\(url)': expected file:///absolute/path")
            }
        } else {
            r.error(urlEntry, "invalid store url '\(url)': expected s3://bucket/prefix or file:///path")
        }
        store.region = r.optional("region")?.value
        if let e = r.optional("endpoint") {
            if e.value.hasPrefix("http://") || e.value.hasPrefix("https://") {
                store.endpoint = e.value
            } else {
                r.error(e, "invalid endpoint '\(e.value)': expected an http:// or https:// URL")
            }
        }
        store.pathStyle = r.bool("path_style")
        if let e = r.optional("sse") {
            if let sse = StoreConfig.Encryption.allCases.first(where: { $0.rawValue.lowercased() == e.value.lowercased() }) {
                store.sse = sse
            } else {
                r.error(e, "invalid sse '\(e.value)': expected AES256 or aws:kms")
            }
        }
        if let e = r.optional("sse_kms_key_id") {
            if store.sse == .kms {
                store.sseKMSKeyID = e.value
            } else {
                r.error(e, "sse_kms_key_id is set but sse is not aws:kms", hint: "add 'sse = aws:kms' or remove sse_kms_key_id")
            }
        }
        if let e = r.optional("storage_class") {
            let upper = e.value.uppercased()
            if storageClasses.contains(upper) {
                store.storageClass = upper
            } else if upper == "GLACIER" || upper == "DEEP_ARCHIVE" {
                r.error(e, "storage_class \(upper) is refused: objects there cannot be read without a restore request, so drills and restores would fail",
                        hint: "use STANDARD_IA or GLACIER_IR, and a bucket lifecycle rule for colder tiers")
            } else {
                r.error(e, "invalid storage_class '\(e.value)': expected one of \(storageClasses.joined(separator: ", "))")
            }
        }
        readTransfer(&r)
        readCredentials(&r)
        if store.sse == .kms, store.sseKMSKeyID == nil, let e = r.entry("sse") {
            // Allowed (the bucket's default KMS key is used), but worth saying.
            r.diagnostics.append(.init(e.location, "sse aws:kms without sse_kms_key_id uses the account's default aws/s3 key",
                                       severity: .warning))
        }
        return store
    }

    /// part_size, upload_concurrency, equal_parts: checked here with file:line; the Storage module
    /// (`StoreSettings.fromConfig`) parses them again when the store is opened.
    private static func readTransfer(_ r: inout SectionReader) {
        if let e = r.optional("part_size") {
            if let bytes = byteSize(e.value) {
                if bytes < minPartSize || bytes > maxPartSize {
                    r.error(e, "part_size \(e.value) out of range: S3 parts are 5MiB to 5GiB")
                }
            } else {
                r.error(e, "invalid part_size '\(e.value)': expected bytes or a size such as 16MiB, 8M or 5120KiB")
            }
        }
        _ = r.integer("upload_concurrency", range: 1...64)
        _ = r.bool("equal_parts")
        if let e = r.optional("profile"), e.value.contains(where: { $0 == " " || $0 == "\t" || $0 == "[" || $0 == "]" }) {
            r.error(e, "invalid profile '\(e.value)': expected a profile name from the AWS credentials file")
        }
    }

    static let minPartSize = 5 << 20
    static let maxPartSize = 5 << 30

    /// `N`, `NK`/`NKiB`, `NM`/`NMiB` (any case), as `StoreSettings.fromConfig` reads them; nil when malformed.
    static func byteSize(_ text: String) -> Int? {
        var number = text.lowercased().trimmingWhitespace()
        var scale = 1
        for (suffix, mult) in [("mib", 1 << 20), ("m", 1 << 20), ("kib", 1 << 10), ("k", 1 << 10)] where number.hasSuffix(suffix) {
            number.removeLast(suffix.count)
            scale = mult
            break
        }
        guard let n = Int(number.trimmingWhitespace()), n > 0, n <= Int.max / scale else { return nil }
        return n * scale
    }

    /// Literal credentials in `[store]`: both halves or neither; secrets written in the file are a warning.
    private static func readCredentials(_ r: inout SectionReader) {
        let id = r.entry("access_key_id"), secret = r.entry("secret_access_key"), token = r.entry("session_token")
        if let id, secret == nil {
            r.error(id, "access_key_id is set but secret_access_key is not",
                    hint: "set both in [store], or neither to use the environment or a credentials file")
        }
        if let secret, id == nil {
            r.error(secret, "secret_access_key is set but access_key_id is not",
                    hint: "set both in [store], or neither to use the environment or a credentials file")
        }
        if let token, id == nil || secret == nil {
            r.error(token, "session_token needs access_key_id and secret_access_key in [store]")
        }
        for e in [secret, token].compactMap({ $0 }) where !e.isUnresolved && !e.raw.contains("${") {
            r.diagnostics.append(.init(e.location, "[store] \(e.key) is written in the file",
                                       hint: "use ${VAR} expansion, LoadCredential= in the unit or the AWS credentials file instead",
                                       severity: .warning))
        }
    }

    /// A literal password in the file works, but the design keeps secrets out of config files.
    private static func secretWarnings(_ entry: IniEntry, environment: String) -> [ConfigDiagnostic] {
        let raw = entry.raw.lowercased()
        let literalKeyword = raw.range(of: #"(^|\s)password\s*="#, options: .regularExpression) != nil
        var literalURI = false
        if let scheme = raw.range(of: "://") {
            let rest = raw[scheme.upperBound...]
            if let at = rest.firstIndex(of: "@"), rest[..<at].contains(":") { literalURI = true }
        }
        guard literalKeyword || literalURI || raw.contains("password=") else { return [] }
        if raw.contains("${") { return [] }
        return [.init(entry.location, "environment \(environment): database has a password written in the file",
                      hint: "use ~/.pgpass, PGPASSFILE, a pg_service.conf entry or ${VAR} expansion instead",
                      severity: .warning)]
    }
}
