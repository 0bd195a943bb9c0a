import Foundation
import Testing
import Support
@testable import Policy

/// A temporary directory with a drd.conf and a policies.d, removed by `cleanup()`.
struct ConfigFixture {
    let dir: String

    static let daemon = """
    [daemon]
    policy_dir = policies.d
    socket = /tmp/drd-test.sock

    [store]
    url = file:///var/backups/drd

    [environment.production]
    database = service=prod
    protected = true

    [environment.staging]
    database = service=staging

    [environment.prodcopy]
    database = service=prod
    """

    static let now = utc("2026-11-21T04:00:00Z")

    init() throws {
        dir = NSTemporaryDirectory() + "drd-policy-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/policies.d", withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }

    /// Checks one policy text (as p.conf) against the standard daemon configuration.
    static func check(policy: String, daemon: String = ConfigFixture.daemon) throws -> [ConfigDiagnostic] {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let d = try f.write("drd.conf", daemon)
        let p = try f.write("p.conf", policy)
        return ConfigLoader.check(files: [d, p], configPath: nil, environment: [:], now: now)
            .map { var x = $0; x.file = URL(fileURLWithPath: x.file).lastPathComponent; return x }
    }

    static func checkDaemon(_ daemon: String) throws -> [ConfigDiagnostic] {
        try check(policy: validPolicy, daemon: daemon)
    }

    static let validPolicy = """
    [policy]
    name = optim
    source = production
    schedule = hourly
    rpo = 1h
    drill_target = staging
    """
}

/// The one error expected: its `file:line: message` text contains `text`.
func expectOne(_ diagnostics: [ConfigDiagnostic], _ text: String, line: Int? = nil, hint: String? = nil,
               sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let errors = diagnostics.filter(\.isError)
    #expect(errors.count == 1, "\(diagnostics)", sourceLocation: sourceLocation)
    guard let e = errors.first else { return }
    #expect(e.description.contains(text), "\(e)", sourceLocation: sourceLocation)
    if let line { #expect(e.line == line, "\(e)", sourceLocation: sourceLocation) }
    if let hint { #expect(e.hint?.contains(hint) == true, "\(e)", sourceLocation: sourceLocation) }
}

@Suite struct PolicyValidationTests {
    func policy(_ extra: String, schedule: String = "hourly") -> String {
        "[policy]\nname = optim\nsource = production\nschedule = \(schedule)\n\(extra)\n"
    }

    @Test func validPolicyHasNoDiagnostics() throws {
        #expect(try ConfigFixture.check(policy: ConfigFixture.validPolicy).isEmpty)
    }

    @Test func badScheduleNamesFileLineAndWhatIsValid() throws {
        let d = try ConfigFixture.check(policy: "[policy]\nname = x\nsource = production\n\n# nightly\n\nschedule = dialy 03:00\n")
        expectOne(d, "p.conf:7: invalid schedule 'dialy 03:00': expected hourly, daily HH:MM, every N{m,h} or a 5-field cron expression")
    }

    @Test func unknownKeySuggestsClosest() throws {
        expectOne(try ConfigFixture.check(policy: policy("retension = 30d")), "unknown key 'retension' in [policy]",
                  line: 5, hint: "did you mean 'retention'?")
        expectOne(try ConfigFixture.check(policy: policy("drillcheck = SELECT true")), "unknown key 'drillcheck'",
                  hint: "did you mean 'drill_check'?")
    }

    @Test(arguments: ["name", "source", "schedule"])
    func missingRequiredKey(key: String) throws {
        let lines = ["name = optim", "source = production", "schedule = hourly"].filter { !$0.hasPrefix(key) }
        expectOne(try ConfigFixture.check(policy: "[policy]\n" + lines.joined(separator: "\n")),
                  "p.conf:1: missing required key '\(key)' in [policy]")
    }

    @Test func badDurations() throws {
        expectOne(try ConfigFixture.check(policy: policy("retention = 30 days")),
                  "invalid duration '30 days' for retention: expected a positive duration", line: 5)
        expectOne(try ConfigFixture.check(policy: policy("rto = 0h")), "invalid duration '0h' for rto")
        expectOne(try ConfigFixture.check(policy: policy("retention = 30d # a month")), "invalid duration",
                  hint: "comments must be on their own line")
    }

    @Test func numericRanges() throws {
        expectOne(try ConfigFixture.check(policy: policy("compress_level = 10")), "compress_level 10 out of range: expected 0 to 9", line: 5)
        expectOne(try ConfigFixture.check(policy: policy("compress_level = fast")), "invalid compress_level 'fast'")
        expectOne(try ConfigFixture.check(policy: policy("jobs = 0")), "jobs 0 out of range: expected 1 to 64")
        expectOne(try ConfigFixture.check(policy: policy("min_keep = 0")), "min_keep 0 out of range: expected 1 to")
    }

    @Test func keySetTwice() throws {
        expectOne(try ConfigFixture.check(policy: policy("rpo = 1h\nrpo = 2h")), "key 'rpo' set twice in [policy] (first at line 5)", line: 6)
    }

    @Test func invalidName() throws {
        expectOne(try ConfigFixture.check(policy: "[policy]\nname = optim/prod\nsource = production\nschedule = hourly\n"),
                  "invalid policy name 'optim/prod'", line: 2)
    }

    @Test func unknownEnvironments() throws {
        expectOne(try ConfigFixture.check(policy: "[policy]\nname = x\nsource = prodution\nschedule = hourly\n"),
                  "p.conf:3: unknown environment 'prodution' in source", hint: "did you mean 'production'?")
        expectOne(try ConfigFixture.check(policy: policy("drill_target = qa")),
                  "unknown environment 'qa' in drill_target (configured: production, staging, prodcopy)", line: 5)
    }

    @Test func duplicatePolicyNames() throws {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let d = try f.write("drd.conf", ConfigFixture.daemon)
        let a = try f.write("a.conf", ConfigFixture.validPolicy)
        let b = try f.write("b.conf", "# copy\n" + ConfigFixture.validPolicy)
        let diagnostics = ConfigLoader.check(files: [d, a, b], configPath: nil, environment: [:], now: ConfigFixture.now)
        expectOne(diagnostics, "b.conf:3: duplicate policy name 'optim' (also at \(a):2)")
    }

    @Test func scheduleCannotMeetRPO() throws {
        let d = try ConfigFixture.check(policy: policy("rpo = 1h", schedule: "daily 03:00"))
        expectOne(d, "p.conf:5: schedule 'daily 03:00' cannot meet rpo 1h: it leaves up to 1d between backups",
                  hint: "set rpo to at least 1d")
        expectOne(try ConfigFixture.check(policy: policy("rpo = 20m", schedule: "every 30m")),
                  "schedule 'every 30m' cannot meet rpo 20m: it leaves up to 30m")
        // Weekdays only: the weekend gap (Fri 01:00 to Mon 01:00) is 3 days.
        expectOne(try ConfigFixture.check(policy: policy("rpo = 1d", schedule: "0 1 * * mon-fri")), "it leaves up to 3d")
        // Local time: the fall-back night is 25h long.
        expectOne(try ConfigFixture.check(policy: policy("rpo = 24h\ntimezone = Europe/Berlin", schedule: "daily 02:30")),
                  "schedule 'daily 02:30 (Europe/Berlin)' cannot meet rpo 24h: it leaves up to 1d1h between backups (e.g. 2027-10-31T00:30:00Z to 2027-11-01T01:30:00Z)")
        #expect(try ConfigFixture.check(policy: policy("rpo = 25h\ntimezone = Europe/Berlin", schedule: "daily 02:30")).isEmpty)
        #expect(try ConfigFixture.check(policy: policy("rpo = 15m", schedule: "*/15 * * * *")).isEmpty)
    }

    @Test func drillIntoProtectedIsRefusedWithReason() throws {
        let d = try ConfigFixture.check(policy: "[policy]\nname = x\nsource = staging\nschedule = hourly\ndrill_target = production\n")
        expectOne(d, "p.conf:5: drill_target 'production' is a protected environment: a drill creates a scratch drd_drill_* database on its target's server",
                  hint: "whose role has CREATEDB")
        #expect(d.first?.description.contains("drops and recreates") == false)
    }

    @Test func drillIntoSourceIsRefused() throws {
        expectOne(try ConfigFixture.check(policy: policy("drill_target = production")),
                  "drill_target 'production' is the policy's source")
        expectOne(try ConfigFixture.check(policy: policy("drill_target = prodcopy")),
                  "drill_target 'prodcopy' has the same database as source 'production'")
    }

    @Test func drillScheduleNeedsTarget() throws {
        expectOne(try ConfigFixture.check(policy: policy("drill_schedule = daily 05:00")),
                  "drill_schedule is set but drill_target is not", line: 5)
        expectOne(try ConfigFixture.check(policy: policy("drill_target = staging\ndrill_schedule = weekly")),
                  "p.conf:6: drill_schedule: invalid schedule 'weekly'")
        expectOne(try ConfigFixture.check(policy: policy("drill_check =")), "empty drill_check")
    }

    @Test func unknownTimezone() throws {
        expectOne(try ConfigFixture.check(policy: policy("timezone = Europe/Berln")),
                  "p.conf:5: unknown timezone 'Europe/Berln': expected an IANA zone name")
        expectOne(try ConfigFixture.check(policy: policy("timezone = CEST")), "unknown timezone 'CEST'")
    }

    @Test func structuralProblems() throws {
        expectOne(try ConfigFixture.check(policy: "# nothing\n"), "p.conf: no [policy] section")
        let d = try ConfigFixture.check(policy: ConfigFixture.validPolicy + "\n[store]\nurl = s3://x/y\n")
        expectOne(d, "unexpected section [store] in a policy file", hint: "belongs in drd.conf")
    }

    @Test func parsedPolicyCarriesDefaultsAndChecks() throws {
        let text = policy("drill_target = staging\ndrill_check = SELECT true\ndrill_check = SELECT 1 = 1")
        let ini = try IniFile.parse(text, path: "p.conf")
        let (parsed, problems) = PolicyReader.read(ini, now: ConfigFixture.now)
        #expect(problems.isEmpty)
        let p = try #require(parsed)
        #expect(p.compressLevel == 6 && p.jobs == 2 && p.minKeep == 3 && p.retention == 30 * 86_400)
        #expect(p.rpo == nil && p.rto == nil && p.timeZone.secondsFromGMT(for: ConfigFixture.now) == 0)
        #expect(p.drillChecks == ["SELECT true", "SELECT 1 = 1"])
        #expect(p.keyLocations["schedule"]?.line == 4)
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let d = try ConfigFixture.check(policy: "[policy]\nname = x\nsource = prodution\nschedule = hourly\njobs = 99\nrpo = soon\n")
        #expect(d.map(\.line) == [3, 5, 6])
    }

    @Test func withoutDaemonConfigEnvironmentsAreNotChecked() throws {
        let f = try ConfigFixture()
        defer { f.cleanup() }
        let p = try f.write("p.conf", ConfigFixture.validPolicy)
        let d = ConfigLoader.check(files: [p], configPath: f.dir + "/missing.conf", environment: [:], now: ConfigFixture.now)
        #expect(d.count == 1)
        #expect(d.first?.severity == .warning)
        #expect(d.first?.message.contains("environment references not checked") == true)
        // Warnings carry a line too: the policy's source key.
        #expect(d.first?.description.hasSuffix("p.conf:3: warning: environment references not checked: no daemon configuration given (pass drd.conf too: drctl policy check drd.conf \(p))") == true,
                "\(d)")
    }
}
