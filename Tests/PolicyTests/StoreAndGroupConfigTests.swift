import Foundation
import Testing
import Support
@testable import Policy

/// The [store] transfer/credential keys, the group keys of [daemon], and diagnostics' wording.
@Suite struct StoreAndGroupConfigTests {
    static let store = "url = file:///var/backups/drd"

    func daemon(store extra: String) -> String {
        ConfigFixture.daemon.replacingOccurrences(of: Self.store, with: Self.store + "\n" + extra)
    }

    /// Checks a daemon configuration alone (drd.conf, with environment `env`), file names shortened.
    func check(_ text: String, env: [String: String] = [:],
               groupExists: @escaping (String) -> Bool = { _ in true }) throws -> [ConfigDiagnostic] {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let d = try f.write("drd.conf", text)
        let p = try f.write("p.conf", ConfigFixture.validPolicy)
        return ConfigLoader.check(files: [d, p], configPath: nil, environment: env, now: ConfigFixture.now,
                                  groupExists: groupExists)
            .map { var x = $0; x.file = URL(fileURLWithPath: x.file).lastPathComponent; return x }
    }

    @Test func cloudflareR2StoreIsAccepted() throws {
        let text = """
        [store]
        url = s3://backups/prod
        endpoint = https://acct.r2.cloudflarestorage.com
        region = auto
        storage_class = standard
        equal_parts = true
        part_size = 32MiB
        upload_concurrency = 8
        profile = r2
        """
        let (config, problems) = DaemonConfigReader.read(try IniFile.parse(text, path: "drd.conf"))
        #expect(problems.isEmpty, "\(problems)")
        let store = try #require(config.store)
        #expect(store.values["equal_parts"] == "true" && store.values["part_size"] == "32MiB")
        #expect(store.values["upload_concurrency"] == "8" && store.values["profile"] == "r2")
        // What StoreBridge hands to StoreSettings.fromConfig: typed keys from the validated fields.
        #expect(store.settingValues == ["url": "s3://backups/prod", "endpoint": "https://acct.r2.cloudflarestorage.com",
                                        "region": "auto", "storage_class": "STANDARD", "equal_parts": "true",
                                        "part_size": "32MiB", "upload_concurrency": "8", "profile": "r2"])
    }

    @Test func settingValuesFollowTypedFields() {
        var store = StoreConfig(url: "s3://b/p", values: ["region": "x", "sse_kms_key_id": "k", "equal_parts": "on"])
        store.region = nil
        store.pathStyle = false
        #expect(store.settingValues == ["url": "s3://b/p", "path_style": "false", "equal_parts": "on"])
        store.sse = .kms
        store.sseKMSKeyID = "alias/drd"
        #expect(store.settingValues["sse"] == "aws:kms" && store.settingValues["sse_kms_key_id"] == "alias/drd")
    }

    @Test func transferKeyErrorsNameTheLine() throws {
        expectOne(try check(daemon(store: "part_size = 1MiB")), "drd.conf:7: part_size 1MiB out of range: S3 parts are 5MiB to 5GiB")
        expectOne(try check(daemon(store: "part_size = 16 MB")), "drd.conf:7: invalid part_size '16 MB'")
        expectOne(try check(daemon(store: "upload_concurrency = 0")), "drd.conf:7: upload_concurrency 0 out of range: expected 1 to 64")
        expectOne(try check(daemon(store: "equal_parts = sometimes")), "drd.conf:7: invalid equal_parts 'sometimes'")
        expectOne(try check(daemon(store: "profile = my profile")), "drd.conf:7: invalid profile 'my profile'")
        #expect(try check(daemon(store: "part_size = 8388608\nupload_concurrency = 2\nequal_parts = no")).isEmpty)
        #expect(DaemonConfigReader.byteSize("16MiB") == 16 << 20 && DaemonConfigReader.byteSize("5120k") == 5 << 20)
        #expect(DaemonConfigReader.byteSize("-1") == nil && DaemonConfigReader.byteSize("1G") == nil)
    }

    @Test func credentialKeysComeInPairs() throws {
        expectOne(try check(daemon(store: "access_key_id = AKIAEXAMPLE")),
                  "drd.conf:7: access_key_id is set but secret_access_key is not")
        let lone = try check(daemon(store: "secret_access_key = ${S}"), env: ["S": "x"])
        expectOne(lone, "drd.conf:7: secret_access_key is set but access_key_id is not")
        let token = try check(daemon(store: "session_token = ${T}"), env: ["T": "x"])
        expectOne(token, "drd.conf:7: session_token needs access_key_id and secret_access_key")
    }

    @Test func literalSecretsAreWarnedAboutWithTheirLine() throws {
        let text = daemon(store: "access_key_id = AKIAEXAMPLE\nsecret_access_key = wJalrXUtnFEMI\nsession_token = FwoGZXIvYXdzEXAMPLE")
        let d = try check(text)
        #expect(d.map(\.severity) == [.warning, .warning], "\(d)")
        #expect(d.map(\.line) == [8, 9])
        #expect(d.first?.description.hasPrefix("drd.conf:8: warning: [store] secret_access_key is written in the file") == true)
        #expect(!d.map(\.description).joined().contains("wJalr") && !d.map(\.description).joined().contains("FwoG"))
        // From the environment: accepted without a warning, and never shown in a printed configuration.
        let viaEnv = daemon(store: "access_key_id = AKIAEXAMPLE\nsecret_access_key = ${AWS_SECRET}")
        #expect(try check(viaEnv, env: ["AWS_SECRET": "wJalrXUtnFEMI"]).isEmpty)
        let (config, _) = DaemonConfigReader.read(try IniFile.parse(viaEnv, path: "drd.conf", environment: ["AWS_SECRET": "wJalrXUtnFEMI"]))
        let store = try #require(config.store)
        #expect(store.settingValues["secret_access_key"] == "wJalrXUtnFEMI")
        #expect(!"\(store)".contains("wJalr") && !"\(config)".contains("wJalr"))
        #expect("\(store)".contains("secret_access_key=<redacted>"))
    }

    @Test func operatorAndSocketGroups() throws {
        let text = ConfigFixture.daemon.replacingOccurrences(
            of: "[daemon]", with: "[daemon]\nadmin_group = drd-admin\noperator_group = drd-ops\nsocket_group = drd")
        let known: Set<String> = ["drd-admin", "drd-ops", "drd"]
        let (config, problems) = DaemonConfigReader.read(try IniFile.parse(text, path: "drd.conf"), groupExists: { known.contains($0) })
        #expect(problems.isEmpty, "\(problems)")
        #expect(config.adminGroup == "drd-admin" && config.operatorGroup == "drd-ops" && config.socketGroup == "drd")
        expectOne(try check(text, groupExists: { $0 != "drd-ops" }),
                  "drd.conf:3: operator_group 'drd-ops' is not a group on this host", hint: "groupadd --system drd-ops")
        expectOne(try check(text, groupExists: { $0 != "drd" }), "drd.conf:4: socket_group 'drd' is not a group on this host")
        expectOne(try check(text.replacingOccurrences(of: "drd-ops", with: "a,b")), "drd.conf:3: invalid operator_group 'a,b': expected one group name")
    }

    @Test func groupsAreLookedUpOnThisHost() throws {
        #expect(UserDatabase.groupExists("root"))
        #expect(!UserDatabase.groupExists("drd-no-such-group-7f3a"))
        #expect(!UserDatabase.groupExists(""))
        let text = ConfigFixture.daemon.replacingOccurrences(of: "[daemon]", with: "[daemon]\nadmin_group = drd-no-such-group-7f3a")
        // The default lookup is the host's: drctl policy check and drd --check report the line.
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let path = try f.write("drd.conf", text)
        let d = ConfigLoader.check(files: [], configPath: path, environment: [:], now: ConfigFixture.now)
        expectOne(d, "\(path):2: admin_group 'drd-no-such-group-7f3a' is not a group on this host")
        #expect(try ConfigLoader.load(configPath: try f.write("ok.conf", ConfigFixture.daemon.replacingOccurrences(
            of: "[daemon]", with: "[daemon]\nadmin_group = root")), environment: [:], now: ConfigFixture.now).daemon.adminGroup == "root")
    }

    @Test func summaryIsPluralised() {
        let w = ConfigDiagnostic(file: "x.conf", line: 7, "w", severity: .warning)
        let e = ConfigDiagnostic(file: "x.conf", line: 8, "e")
        #expect(ConfigDiagnostic.summary([w]) == "1 warning")
        #expect(ConfigDiagnostic.summary([w, w]) == "2 warnings")
        #expect(ConfigDiagnostic.summary([e, w, w]) == "1 error, 2 warnings")
        #expect(ConfigDiagnostic.summary([]) == "no problems")
        #expect(w.description == "x.conf:7: warning: w")
    }

    @Test func hintsHaveNoNestedParentheses() throws {
        let policy = "[policy]\nname = optim\nsource = production\nschedule = hourly\n"
        let cases = [
            try ConfigFixture.check(policy: policy + "drill_schedule = daily 05:00\n"),
            try ConfigFixture.check(policy: "[policy]\nname = optim\nsource = production\n"),
            try ConfigFixture.check(policy: policy + "rto = ${NOPE}\n"),
            try ConfigFixture.check(policy: policy + "drill_target = production\n"),
            try ConfigFixture.check(policy: "[policy]\nname = x\nsource = staging\nschedule = hourly\ndrill_target = production\n"),
        ]
        for d in cases {
            let hint = try #require(d.first?.hint)
            #expect(!hint.contains("(") && !hint.contains(")"), "\(hint)")
        }
        #expect(cases[0].first?.hint == "add drill_target naming a non-protected environment, e.g. 'drill_target = staging'")
    }

    @Test func drillMessagesSayWhatADrillDoes() throws {
        let d = try ConfigFixture.check(policy: "[policy]\nname = optim\nsource = production\nschedule = hourly\ndrill_target = production\n")
        expectOne(d, "drill_target 'production' is the policy's source: a drill creates a scratch drd_drill_* database on its target's server and drops it afterwards")
        #expect(d.first?.hint?.contains("CREATEDB") == true)
        #expect(d.first?.description.contains("replaces") == false)
    }
}
