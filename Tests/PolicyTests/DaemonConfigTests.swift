import Foundation
import Testing
import Support
@testable import Policy

@Suite struct DaemonConfigTests {
    func daemon(_ replace: String, with text: String) -> String {
        ConfigFixture.daemon.replacingOccurrences(of: replace, with: text)
    }

    @Test func defaultsAndValues() throws {
        let text = """
        [daemon]
        admin_group = dba
        metrics_textfile = /var/lib/node-exporter/drd.prom
        metrics_listen = [::1]:9187

        [store]
        url = s3://acme-backups/drd
        region = eu-central-1
        endpoint = http://127.0.0.1:9000
        path_style = yes
        sse = aws:kms
        sse_kms_key_id = alias/drd
        storage_class = standard_ia

        [environment.staging]
        database = service=staging
        """
        let (config, problems) = DaemonConfigReader.read(try IniFile.parse(text, path: "/etc/drd/drd.conf"),
                                                         groupExists: { $0 == "dba" })
        #expect(problems.isEmpty, "\(problems)")
        #expect(config.socketPath == "/run/drd/drd.sock")
        #expect(config.stateDirectory == "/var/lib/drd")
        #expect(config.policyDirectory == "/etc/drd/policies.d")
        #expect(config.adminGroup == "dba")
        #expect(config.metricsListen == ListenAddress(host: "::1", port: 9187))
        #expect(config.store == StoreConfig(url: "s3://acme-backups/drd", region: "eu-central-1",
                                            endpoint: "http://127.0.0.1:9000", pathStyle: true, sse: .kms,
                                            sseKMSKeyID: "alias/drd", storageClass: "STANDARD_IA",
                                            values: ["url": "s3://acme-backups/drd", "region": "eu-central-1",
                                                     "endpoint": "http://127.0.0.1:9000", "path_style": "yes",
                                                     "sse": "aws:kms", "sse_kms_key_id": "alias/drd",
                                                     "storage_class": "standard_ia"]))
        #expect(config.operatorGroup == nil && config.socketGroup == nil)
        #expect(config.environment(named: "staging")?.protected == false)
    }

    @Test func listenAddresses() {
        #expect(ListenAddress.parse("127.0.0.1:9187") == ListenAddress(host: "127.0.0.1", port: 9187))
        #expect(ListenAddress.parse(":9187") == ListenAddress(host: "", port: 9187))
        #expect(ListenAddress.parse("localhost") == nil)
        #expect(ListenAddress.parse("host:99999") == nil)
        #expect(ListenAddress.parse("::1:9187") == nil)
    }

    @Test func errors() throws {
        expectOne(try ConfigFixture.checkDaemon(daemon("[store]", with: "[stor]")), "unknown section [stor]", hint: "did you mean [store]?")
        expectOne(try ConfigFixture.checkDaemon(daemon("file:///var/backups/drd", with: "ftp://x")),
                  "drd.conf:6: invalid store url 'ftp://x': expected s3://bucket/prefix or file:///path")
        expectOne(try ConfigFixture.checkDaemon(daemon("file:///var/backups/drd", with: "s3://Bad_Bucket/x")),
                  "invalid bucket 'Bad_Bucket'")
        expectOne(try ConfigFixture.checkDaemon(daemon("protected = true", with: "protected = maybe")),
                  "drd.conf:10: invalid protected 'maybe': expected true or false")
        expectOne(try ConfigFixture.checkDaemon(daemon("socket = /tmp/drd-test.sock", with: "socket = drd.sock")),
                  "drd.conf:3: socket 'drd.sock' must be an absolute path")
        expectOne(try ConfigFixture.checkDaemon(daemon("socket = /tmp/drd-test.sock", with: "sockett = /x")),
                  "unknown key 'sockett' in [daemon]", hint: "did you mean 'socket'?")
        expectOne(try ConfigFixture.checkDaemon(daemon("socket = /tmp/drd-test.sock", with: "metrics_listen = 9187")),
                  "invalid metrics_listen '9187': expected host:port")
        expectOne(try ConfigFixture.checkDaemon(daemon("socket = /tmp/drd-test.sock", with: "metrics_textfile = /var/lib/drd.txt")),
                  "metrics_textfile '/var/lib/drd.txt' must end in .prom")
        let store = "url = file:///var/backups/drd"
        expectOne(try ConfigFixture.checkDaemon(daemon(store, with: store + "\nsse = des")), "invalid sse 'des': expected AES256 or aws:kms")
        expectOne(try ConfigFixture.checkDaemon(daemon(store, with: store + "\nsse_kms_key_id = k")),
                  "sse_kms_key_id is set but sse is not aws:kms")
        expectOne(try ConfigFixture.checkDaemon(daemon(store, with: store + "\nstorage_class = DEEP_ARCHIVE")),
                  "storage_class DEEP_ARCHIVE is refused")
        expectOne(try ConfigFixture.checkDaemon(daemon(store, with: store + "\nendpoint = minio:9000")),
                  "invalid endpoint 'minio:9000'")
        expectOne(try ConfigFixture.checkDaemon(daemon("database = service=staging", with: "")),
                  "drd.conf:12: missing required key 'database' in [environment.staging]")
        expectOne(try ConfigFixture.checkDaemon(daemon("[environment.prodcopy]", with: "[environment.prod.copy]")),
                  "drd.conf:15: invalid environment name 'prod.copy'")
    }

    @Test func literalPasswordIsAWarning() throws {
        let d = try ConfigFixture.checkDaemon(daemon("database = service=staging", with: "database = host=x password=hunter2"))
        #expect(d.count == 1)
        #expect(d.first?.severity == .warning)
        #expect(d.first?.description.contains("hunter2") == false)
        let uri = try ConfigFixture.checkDaemon(daemon("database = service=staging", with: "database = postgresql://drd:pw@db/x"))
        #expect(uri.map(\.severity) == [.warning])
        let fromVar = try ConfigFixture.checkDaemon(daemon("database = service=staging", with: "database = host=x password=${PW}"))
        // PW is not set in the empty test environment: an error, not a warning about a literal password.
        expectOne(fromVar, "database: environment variable 'PW' is not set")
    }
}

@Suite struct ConfigLoaderTests {
    @Test func loadsDaemonAndPolicies() throws {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let path = try f.write("drd.conf", ConfigFixture.daemon)
        try f.write("policies.d/optim.conf", ConfigFixture.validPolicy)
        try f.write("policies.d/other.conf", "[policy]\nname = other\nsource = ${SRC}\nschedule = every 30m\n")
        try f.write("policies.d/notes.txt", "not a policy")
        try f.write("policies.d/.optim.conf.swp", "garbage")
        let loaded = try ConfigLoader.load(configPath: path, environment: ["SRC": "staging"], now: ConfigFixture.now)
        #expect(loaded.policies.map(\.name) == ["optim", "other"])
        #expect(loaded.policy(named: "other")?.source == "staging")
        #expect(loaded.daemon.policyDirectory == f.dir + "/policies.d")
        #expect(loaded.daemon.socketPath == "/tmp/drd-test.sock")
        #expect(loaded.warnings.isEmpty)
    }

    @Test func lockTimeoutDefaultsAndParses() throws {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let path = try f.write("drd.conf", ConfigFixture.daemon)
        try f.write("policies.d/optim.conf", ConfigFixture.validPolicy)
        try f.write("policies.d/slow.conf", "[policy]\nname = slow\nsource = staging\nschedule = hourly\nlock_timeout = 5m\n")
        let loaded = try ConfigLoader.load(configPath: path, environment: [:], now: ConfigFixture.now)
        #expect(loaded.policy(named: "optim")?.lockTimeout == Policy.defaultLockTimeout)
        #expect(loaded.policy(named: "slow")?.lockTimeout == 300)
        let bad = try ConfigFixture.check(policy: ConfigFixture.validPolicy + "\nlock_timeout = soon\n")
        expectOne(bad, "invalid duration 'soon' for lock_timeout")
    }

    @Test func loadRefusesAnInvalidPolicy() throws {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let path = try f.write("drd.conf", ConfigFixture.daemon)
        try f.write("policies.d/a.conf", "[policy]\nname = a\nsource = production\nschedule = dialy 03:00\n")
        try f.write("policies.d/b.conf", "[policy]\nname = b\nsource = nowhere\nschedule = hourly\n")
        #expect {
            _ = try ConfigLoader.load(configPath: path, environment: [:], now: ConfigFixture.now)
        } throws: { error in
            guard let e = error as? DRDError else { return false }
            return e.code == .config && e.message.contains("policies.d/a.conf:4: invalid schedule 'dialy 03:00'")
                && e.message.contains("(and 1 more)") && e.exitCode == 2
        }
        // check() with no files checks the config and its policy_dir, reporting both.
        let all = ConfigLoader.check(files: [], configPath: path, environment: [:], now: ConfigFixture.now)
        #expect(all.filter(\.isError).count == 2)
    }

    @Test func missingStoreAndPolicyDir() throws {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let path = try f.write("drd.conf", "[daemon]\npolicy_dir = /nonexistent/drd\n")
        let (loaded, d) = ConfigLoader.evaluate(configPath: path, environment: [:], now: ConfigFixture.now)
        #expect(loaded == nil)
        #expect(d.map(\.message) == ["missing [store] section", "policy_dir '/nonexistent/drd' is not a directory"])
        #expect(d.map(\.line) == [0, 2])
        let missing = ConfigLoader.check(files: [f.dir + "/nope.conf"], configPath: nil, environment: [:])
        #expect(missing.map(\.message) == ["file does not exist"])
    }

    @Test func emptyPolicyDirIsAWarning() throws {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let path = try f.write("drd.conf", ConfigFixture.daemon)
        let loaded = try ConfigLoader.load(configPath: path, environment: [:], now: ConfigFixture.now)
        #expect(loaded.policies.isEmpty)
        #expect(loaded.warnings.map(\.severity) == [.warning])
        // The warning points at policy_dir (line 2), not at the whole file.
        #expect(loaded.warnings.first?.description.hasPrefix("\(path):2: warning: no policies in") == true, "\(loaded.warnings)")
    }
}
