import Foundation
import Support
import TestHelpers
import Testing

/// `drctl prune` against a real store, and the `/metrics` HTTP endpoint.
@Suite(.enabled(if: TestEnv.hasPostgres), .serialized)
struct PruneMetricsTests {
    static let policy = """
        [policy]
        name = app
        source = production
        schedule = hourly
        rpo = 2h
        retention = 1d
        min_keep = 1

        """

    func backups(_ daemon: DaemonHarness) throws -> [String] {
        let out = try daemon.drctl(["list", "--json"]).stdout
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        return (json?["backups"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test func pruneShowsThePlanThenAppliesIt() throws {
        let source = try TestDatabase(prefix: "pm_src")
        defer { source.drop() }
        try source.psql("CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
        let daemon = try DaemonHarness(environments: ["production": (source.conninfo, false)], policies: ["app.conf": Self.policy])
        defer { daemon.cleanup() }
        try daemon.start()
        for _ in 0..<3 { #expect(try daemon.drctl(["backup", "app"]).status == 0) }
        let ids = try backups(daemon)
        #expect(ids.count == 3)

        // Today everything is inside the 1-day window: nothing to delete.
        let today = try daemon.drctl(["prune", "app", "--dry-run"])
        #expect(today.status == 0, "\(today.stderr)")
        #expect(try backups(daemon).count == 3)

        // Ten days on (dry run): the newest stays (newest backup, min_keep 1), the two older ones go.
        let later = Timestamp.iso8601(Date().addingTimeInterval(10 * 86_400))
        let plan = try daemon.drctl(["prune", "app", "--dry-run", "--as-of", later, "--json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.components(separatedBy: "\"delete\"").count - 1 == 2, "\(plan.stdout)")
        #expect(try backups(daemon).count == 3, "--dry-run must not delete")
        // Applying a plan judged in the future is refused: it would delete inside the real window.
        #expect(try daemon.drctl(["prune", "app", "--as-of", later]).status == 2)

        // Age the two older backups by rewriting their manifests' times, then prune for real.
        let store = daemon.dir.appendingPathComponent("store/app")
        let old = Timestamp.iso8601Millis(Date().addingTimeInterval(-10 * 86_400))
        for id in ids.dropFirst() {  // list is newest first
            let url = store.appendingPathComponent("\(id).manifest.json")
            var text = try String(contentsOf: url, encoding: .utf8)
            text = text.replacingOccurrences(of: #""snapshotTime" : "[^"]*""#, with: "\"snapshotTime\" : \"\(old)\"", options: .regularExpression)
            text = text.replacingOccurrences(of: #""completedTime" : "[^"]*""#, with: "\"completedTime\" : \"\(old)\"", options: .regularExpression)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        // The daemon caches manifests (immutable in real life): a reload starts a fresh catalog.
        kill(daemon.process.processIdentifier, SIGHUP)
        let deadline = Date().addingTimeInterval(60)
        while !daemon.log.contains("configuration reloaded") && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let applied = try daemon.drctl(["prune", "app"])
        #expect(applied.status == 0, "\(applied.stderr)")
        let left = try backups(daemon)
        #expect(left == [ids[0]], "left: \(left)")
        let files = try FileManager.default.contentsOfDirectory(atPath: store.path)
        #expect(files.filter { $0.hasSuffix(".sql.gz") || $0.hasSuffix(".manifest.json") }.count == 2, "\(files)")
    }

    @Test func metricsEndpointServesTheExposition() throws {
        let source = try TestDatabase(prefix: "pm_met")
        defer { source.drop() }
        let port = Int(try Shell.run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let daemon = try DaemonHarness(environments: ["production": (source.conninfo, false)], policies: ["app.conf": Self.policy],
                                       daemonSettings: "metrics_listen = 127.0.0.1:\(port)")
        defer { daemon.cleanup() }
        try daemon.start()
        #expect(try daemon.drctl(["backup", "app"]).status == 0)
        let body = try Shell.run(["curl", "-fsS", "http://127.0.0.1:\(port)/metrics"]).stdout
        #expect(body.contains("drd_backup_last_success_timestamp_seconds{policy=\"app\"}"), "\(body)")
        #expect(body.contains("drd_rpo_target_seconds{policy=\"app\"} 7200"), "\(body)")
        let missing = try Shell.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/nope"]).stdout
        #expect(missing == "404")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let check = try Shell.run(["promtool", "check", "metrics"], input: Data(body.utf8), check: false)
            #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
