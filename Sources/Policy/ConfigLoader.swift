import Foundation
import Support

/// Loads and validates drd's configuration: `drd.conf` plus every `policy_dir/*.conf`.
///
/// All problems are collected (not just the first), each with `file:line`. The daemon calls `load`
/// (throws on any error, so it refuses to start or keeps the last good set on reload);
/// `drctl policy check` calls `check` and prints every diagnostic.
public enum ConfigLoader {
    public static let defaultConfigPath = "/etc/drd/drd.conf"

    /// Loads `configPath` and its policies. Throws a `.config` error naming the first problem and
    /// how many more there are; warnings are returned in `LoadedConfig.warnings`.
    ///
    /// `groupExists` decides whether `admin_group`/`operator_group`/`socket_group` name real groups
    /// (this host's groups by default; tests inject their own).
    public static func load(configPath: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            now: Date = Date(), groupExists: (String) -> Bool = UserDatabase.groupExists) throws -> LoadedConfig {
        let (loaded, diagnostics) = evaluate(configPath: configPath, environment: environment, now: now,
                                             groupExists: groupExists)
        let errors = diagnostics.filter(\.isError)
        if let first = errors.first {
            let more = errors.count > 1 ? " (and \(errors.count - 1) more)" : ""
            throw DRDError(.config, "invalid configuration: \(first)\(more)",
                           hint: "run 'drctl policy check --config \(configPath)' to list every problem")
        }
        guard let loaded else { throw DRDError(.internal, "configuration '\(configPath)' produced no result and no error") }
        return loaded
    }

    /// Everything `load` finds, without throwing: the configuration when there is no error, and all diagnostics.
    public static func evaluate(configPath: String, environment: [String: String], now: Date = Date(),
                                groupExists: (String) -> Bool = UserDatabase.groupExists) -> (LoadedConfig?, [ConfigDiagnostic]) {
        var diagnostics: [ConfigDiagnostic] = []
        guard let ini = parseFile(configPath, environment: environment, into: &diagnostics) else { return (nil, diagnostics) }
        let (daemon, daemonProblems) = DaemonConfigReader.read(ini, groupExists: groupExists)
        diagnostics += daemonProblems
        if daemon.store == nil, ini.section("store") == nil {
            diagnostics.append(.init(file: configPath, line: 0, "missing [store] section",
                                     hint: "add [store] with url = s3://bucket/prefix or file:///path"))
        }
        var policies: [Policy] = []
        let dirAt = ini.section("daemon")?.first("policy_dir")?.location ?? SourceLocation(file: configPath, line: 0)
        let files = policyFiles(in: daemon.policyDirectory, setAt: dirAt, into: &diagnostics)
        for file in files {
            guard let policyIni = parseFile(file, environment: environment, into: &diagnostics) else { continue }
            let (policy, problems) = PolicyReader.read(policyIni, now: now)
            diagnostics += problems
            if let policy { policies.append(policy) }
        }
        diagnostics += crossCheck(policies: policies, daemon: daemon)
        if files.isEmpty, !diagnostics.contains(where: \.isError) {
            // Point at policy_dir, else [daemon], else line 1: warnings always carry a line.
            let at = ini.section("daemon")?.first("policy_dir")?.location ?? ini.section("daemon")?.location
                ?? SourceLocation(file: configPath, line: 1)
            diagnostics.append(.init(at, "no policies in '\(daemon.policyDirectory)'",
                                     hint: "the daemon will run but back nothing up", severity: .warning))
        }
        let hasError = diagnostics.contains(where: \.isError)
        return (hasError ? nil : LoadedConfig(daemon: daemon, policies: policies, warnings: diagnostics), diagnostics)
    }

    /// `drctl policy check [FILES]`: validates offline and returns every diagnostic (empty = valid).
    ///
    /// With no files, checks `configPath` and its policy directory. Each given file is classified by
    /// its sections: `[policy]` files are policies, `[daemon]`/`[store]`/`[environment.*]` files are a
    /// daemon configuration. Environment references are checked against the daemon configuration among
    /// the files, else against `configPath` when it exists; if there is none, a warning says so.
    public static func check(files: [String], configPath: String? = ConfigLoader.defaultConfigPath,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             now: Date = Date(), groupExists: (String) -> Bool = UserDatabase.groupExists) -> [ConfigDiagnostic] {
        if files.isEmpty {
            guard let configPath else {
                return [.init(file: "drctl", line: 0, "no files to check", hint: "name policy files or --config FILE")]
            }
            return evaluate(configPath: configPath, environment: environment, now: now, groupExists: groupExists).1
        }
        var diagnostics: [ConfigDiagnostic] = []
        var daemon: DaemonConfig?
        var policies: [Policy] = []
        for file in files {
            guard let ini = parseFile(file, environment: environment, into: &diagnostics) else { continue }
            let isPolicy = ini.sections.contains { $0.name == "policy" }
            let isDaemon = ini.sections.contains { ["daemon", "store"].contains($0.name) || $0.name.hasPrefix("environment.") }
            if isDaemon && !isPolicy {
                let (config, problems) = DaemonConfigReader.read(ini, groupExists: groupExists)
                diagnostics += problems
                if daemon != nil {
                    diagnostics.append(.init(file: file, line: 0, "more than one daemon configuration given",
                                             hint: "check one drd.conf at a time"))
                } else {
                    daemon = config
                }
            } else {
                let (policy, problems) = PolicyReader.read(ini, now: now)
                diagnostics += problems
                if let policy { policies.append(policy) }
            }
        }
        if daemon == nil, let configPath, FileManager.default.fileExists(atPath: configPath) {
            var problems: [ConfigDiagnostic] = []
            if let ini = parseFile(configPath, environment: environment, into: &problems) {
                let (config, more) = DaemonConfigReader.read(ini, groupExists: groupExists)
                problems += more
                daemon = config
            }
            diagnostics += problems.filter(\.isError)
        }
        if daemon == nil, let first = policies.first {
            let at = first.keyLocations["source"] ?? first.keyLocations["name"] ?? SourceLocation(file: first.file, line: 1)
            diagnostics.append(.init(at, "environment references not checked: no daemon configuration given",
                                     hint: "pass drd.conf too: drctl policy check drd.conf \(first.file)",
                                     severity: .warning))
        }
        diagnostics += crossCheck(policies: policies, daemon: daemon)
        return sorted(diagnostics, fileOrder: files)
    }

    /// Diagnostics in the order people read them: by file (as given), then line; ties keep their order.
    static func sorted(_ diagnostics: [ConfigDiagnostic], fileOrder: [String]) -> [ConfigDiagnostic] {
        func rank(_ file: String) -> Int { fileOrder.firstIndex(of: file) ?? fileOrder.count }
        return diagnostics.enumerated().sorted { a, b in
            let (ra, rb) = (rank(a.element.file), rank(b.element.file))
            if ra != rb { return ra < rb }
            if a.element.line != b.element.line { return a.element.line < b.element.line }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// Checks that need several files: unique policy names, environments that exist, drill targets
    /// that are not protected and not the source's server.
    static func crossCheck(policies: [Policy], daemon: DaemonConfig?) -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        var byName: [String: Policy] = [:]
        for policy in policies {
            let nameAt = policy.keyLocations["name"] ?? SourceLocation(file: policy.file, line: 0)
            if let first = byName[policy.name] {
                let firstAt = first.keyLocations["name"].map(\.description) ?? first.file
                diagnostics.append(.init(nameAt, "duplicate policy name '\(policy.name)' (also at \(firstAt))",
                                         hint: "policy names must be unique: they are the store prefix"))
            } else {
                byName[policy.name] = policy
            }
            guard let daemon else { continue }
            let known = daemon.environments.map(\.name)
            let knownText = known.isEmpty ? "none are configured" : "configured: \(known.joined(separator: ", "))"
            if daemon.environment(named: policy.source) == nil {
                let at = policy.keyLocations["source"] ?? nameAt
                let hint = Suggest.closest(to: policy.source, in: known).map { "did you mean '\($0)'?" }
                diagnostics.append(.init(at, "unknown environment '\(policy.source)' in source (\(knownText))",
                                         hint: hint ?? "add [environment.\(policy.source)] to drd.conf"))
            }
            // drill_target == source is already reported by PolicyReader.
            if let target = policy.drillTarget, target != policy.source {
                let at = policy.keyLocations["drill_target"] ?? nameAt
                if let env = daemon.environment(named: target) {
                    if env.protected {
                        diagnostics.append(.init(at, "drill_target '\(target)' is a protected environment: a drill creates a scratch drd_drill_* database on its target's server and drops it afterwards, so drd never drills on a protected server",
                                                 hint: "drill into a non-protected environment such as staging, whose role has CREATEDB"))
                    } else if let source = daemon.environment(named: policy.source), source.database == env.database {
                        diagnostics.append(.init(at, "drill_target '\(target)' has the same database as source '\(policy.source)': the drill's scratch drd_drill_* database would load the source's server",
                                                 hint: "point the drill target at another server, e.g. staging, whose role has CREATEDB"))
                    }
                } else {
                    let hint = Suggest.closest(to: target, in: known).map { "did you mean '\($0)'?" }
                    diagnostics.append(.init(at, "unknown environment '\(target)' in drill_target (\(knownText))",
                                             hint: hint ?? "add [environment.\(target)] to drd.conf"))
                }
            }
        }
        return diagnostics
    }

    /// Reads and parses one file; a read failure becomes a diagnostic.
    static func parseFile(_ path: String, environment: [String: String],
                          into diagnostics: inout [ConfigDiagnostic]) -> IniFile? {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            diagnostics.append(.init(file: path, line: 0, exists ? "cannot read file (permission or encoding: UTF-8 expected)"
                                                                  : "file does not exist"))
            return nil
        }
        let (ini, problems) = IniFile.parseCollecting(text, path: path, environment: environment)
        diagnostics += problems
        return ini
    }

    /// `*.conf` in the policy directory, sorted; hidden files (editor temporaries) are skipped.
    static func policyFiles(in directory: String, setAt: SourceLocation,
                            into diagnostics: inout [ConfigDiagnostic]) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            diagnostics.append(.init(setAt, "policy_dir '\(directory)' is not a directory",
                                     hint: "create it or set policy_dir in [daemon]"))
            return []
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".conf") && !$0.hasPrefix(".") }.sorted()
            .map { URL(fileURLWithPath: directory).appendingPathComponent($0).path }
    }
}
