import Foundation
import Support
import TestHelpers
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's own scheduling and reload, with a real drd process.
@Suite(.enabled(if: TestEnv.hasPostgres), .serialized)
struct SchedulerDaemonTests {
    static let policy = """
        [policy]
        name = auto
        source = production
        schedule = every 30m
        rpo = 1h

        """

    func waitFor(_ seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    @Test func neverBackedUpPolicyRunsAtOnceAndRetentionKeepsIt() throws {
        let source = try TestDatabase(prefix: "sd_src")
        defer { source.drop() }
        try source.psql("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);")
        let daemon = try DaemonHarness(environments: ["production": (source.conninfo, false)],
                                       policies: ["auto.conf": Self.policy], paused: false)
        defer { daemon.cleanup() }
        try daemon.start()
        let ran = try waitFor(30) { try daemon.drctl(["list", "--json"]).stdout.contains("\"policy\"") }
        #expect(ran, "no scheduled backup within 30 s:\n\(daemon.log)")
        #expect(daemon.log.contains("backup due"))
        let status = try daemon.drctl(["status", "--json"]).stdout
        #expect(status.contains("\"nextRun\""), "\(status)")
        #expect(daemon.stop() == 0)
    }

    @Test func sighupReloadsAndKeepsTheLastGoodConfiguration() throws {
        let source = try TestDatabase(prefix: "sd_hup")
        defer { source.drop() }
        let daemon = try DaemonHarness(environments: ["production": (source.conninfo, false)],
                                       policies: ["auto.conf": Self.policy])
        defer { daemon.cleanup() }
        try daemon.start()
        let policyDir = daemon.dir.appendingPathComponent("policies.d")

        // A broken file: the reload fails, the daemon keeps serving the previous set.
        try "[policy]\nname = broken\nschedule = dialy 03:00\n".write(to: policyDir.appendingPathComponent("broken.conf"), atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(waitFor(60) { daemon.log.contains("reload failed") }, "\(daemon.log)")
        let status = try daemon.drctl(["status"])
        #expect(status.status == 0 && status.stdout.contains("auto") && !status.stdout.contains("broken"))

        // Fixed: the reload succeeds and the new policy appears.
        try FileManager.default.removeItem(at: policyDir.appendingPathComponent("broken.conf"))
        try Self.policy.replacingOccurrences(of: "name = auto", with: "name = second")
            .write(to: policyDir.appendingPathComponent("second.conf"), atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(waitFor(60) { daemon.log.contains("configuration reloaded") }, "\(daemon.log)")
        #expect(try daemon.drctl(["status"]).stdout.contains("second"))
        #expect(daemon.stop() == 0)
    }

    @Test func invalidConfigurationRefusesToStart() throws {
        let daemon = try DaemonHarness(environments: ["production": ("host=127.0.0.1 dbname=x", false)],
                                       policies: ["bad.conf": "[policy]\nname = bad\nsource = nowhere\nschedule = hourly\n"])
        defer { daemon.cleanup() }
        #expect(throws: DRDError.self) { try daemon.start() }
        #expect(daemon.process.terminationStatus == 2)
        #expect(daemon.log.contains("bad.conf:"), "\(daemon.log)")
    }
}
