import Foundation
import Support
import TestHelpers
import Testing

/// Drills against the real PostgreSQL, their records in the store, and `drctl report` in every format.
@Suite(.enabled(if: TestEnv.hasPostgres), .serialized)
struct DrillReportTests {
    func policy(check: String) -> String {
        """
        [policy]
        name = app
        source = production
        schedule = hourly
        rpo = 2h
        rto = 4h
        drill_schedule = daily 04:00
        drill_target = staging
        drill_check = \(check)

        """
    }

    func setUp(check: String) throws -> (TestDatabase, TestDatabase, DaemonHarness) {
        let source = try TestDatabase(prefix: "dr_src")
        try source.psql("CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g;")
        let staging = try TestDatabase(prefix: "dr_stg")
        let daemon = try DaemonHarness(environments: ["production": (source.conninfo, false), "staging": (staging.conninfo, false)],
                                       policies: ["app.conf": policy(check: check)])
        try daemon.start()
        return (source, staging, daemon)
    }

    func drillRecords(_ daemon: DaemonHarness) throws -> [[String: Any]] {
        let dir = daemon.dir.appendingPathComponent("store/app/drills")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return try files.map { try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent($0))) as? [String: Any] ?? [:] }
    }

    @Test func passingDrillIsRecordedAndReportedInEveryFormat() throws {
        let (source, staging, daemon) = try setUp(check: "SELECT count(*) = 1000 FROM public.orders")
        defer { daemon.cleanup(); source.drop(); staging.drop() }
        #expect(try daemon.drctl(["backup", "app"]).status == 0, "\(daemon.log)")
        // The report window starts once the first backup is committed (before it, data age is undefined).
        let started = Timestamp.iso8601Millis(Date().addingTimeInterval(0.001))
        let drill = try daemon.drctl(["drill", "app"])
        #expect(drill.status == 0, "drill failed: \(drill.stderr)\n\(daemon.log)")
        let records = try drillRecords(daemon)
        #expect(records.count == 1)
        #expect(records.first?["passed"] as? Bool == true)
        let list = try daemon.drctl(["list", "--json"]).stdout
        #expect(list.contains("\"drilled\" : true") || list.contains("\"drilled\":true"), "\(list)")
        // No scratch database is left on the drill target's server.
        let leftovers = try Shell.run(["psql", "-X", "-At", "-d", try #require(TestEnv.pgConninfo), "-c",
                                       "SELECT count(*) FROM pg_database WHERE datname LIKE 'drd_drill_%'"]).stdout
        #expect(leftovers.trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        // Window from just before the backup: RPO met, drill passed → compliant, exit 0.
        let compliant = try daemon.drctl(["report", "app", "--from", started])
        #expect(compliant.status == 0, "\(compliant.stdout)\(compliant.stderr)")
        // A window that starts 2 hours before the first backup contains a breach → exit 3.
        for format in ["text", "json", "markdown", "html"] {
            let out = try daemon.drctl(["report", "--from", "2h", "--format", format])
            #expect(out.status == 3, "\(format): \(out.stderr)")
            switch format {
            case "json": #expect((try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) != nil)
            case "html": #expect(out.stdout.contains("<svg") && out.stdout.contains("</html>"))
            case "markdown": #expect(out.stdout.contains("| "))
            default: #expect(out.stdout.contains("app"))
            }
        }
        // Metrics were written for the policy.
        let metrics = try String(contentsOf: daemon.dir.appendingPathComponent("drd.prom"), encoding: .utf8)
        #expect(metrics.contains("drd_backup_last_success_timestamp_seconds{policy=\"app\"}"))
        #expect(metrics.contains("drd_drill_last_success_timestamp_seconds{policy=\"app\"}"))
    }

    @Test func failingDrillCheckIsRecordedAsFailed() throws {
        let (source, staging, daemon) = try setUp(check: "SELECT count(*) = 999999 FROM public.orders")
        defer { daemon.cleanup(); source.drop(); staging.drop() }
        #expect(try daemon.drctl(["backup", "app"]).status == 0)
        let drill = try daemon.drctl(["drill", "app"])
        #expect(drill.status == 1)
        #expect(drill.stderr.contains("check"), "\(drill.stderr)")
        let records = try drillRecords(daemon)
        #expect(records.count == 1)
        #expect(records.first?["passed"] as? Bool == false)
        let report = try daemon.drctl(["report", "app", "--from", "10m"])
        #expect(report.status == 3)
        #expect(report.stdout.lowercased().contains("fail"), "\(report.stdout)")
    }
}
