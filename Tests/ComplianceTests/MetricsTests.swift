import Foundation
import Testing
@testable import Compliance
import Support

/// The path of `promtool`, or nil when it is not installed.
func promtoolPath() -> String? {
    ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Skip promtool tests when it is missing, unless DRD_TEST_REQUIRE_SERVICES=1 (then they fail).
let promtoolRequired = ProcessInfo.processInfo.environment["DRD_TEST_REQUIRE_SERVICES"] == "1"

/// Runs promtool with `arguments`, feeding `stdin`; returns exit status and combined output.
func promtool(_ arguments: [String], stdin: String? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: promtoolPath() ?? "/usr/bin/promtool")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func complianceRepoRoot() -> URL {
    // Tests/ComplianceTests/MetricsTests.swift → repository root; resolve symlinks (harness builds).
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

@Suite struct MetricsTests {
    func sampleExposition() -> PrometheusExposition {
        var orders = hourlyHistory(hours: 48, skip: [47])
        orders.drills = [drill("20261102T000000Z-d001", backupID: orders.backups[10].id, start: at(20), seconds: 1800,
                               passed: true, size: orders.backups[10].compressedSize)]
        let weird = hourlyHistory(hours: 3, policy: "we\"ird\\na\nme")
        let empty = PolicyHistory(targets: PolicyTargets(name: "empty", rpoSeconds: 3600, rtoSeconds: 7200), backups: [])
        return ComplianceMetrics.exposition([orders, weird, empty], now: at(47, 30))
    }

    @Test func seriesValuesAndEscaping() {
        let text = sampleExposition().text
        #expect(text.contains("# HELP drd_backup_last_success_timestamp_seconds "))
        #expect(text.contains("# TYPE drd_backup_failures_total counter\n"))
        #expect(text.contains("# TYPE drd_data_age_seconds gauge\n"))
        #expect(text.contains("drd_up 1\n"))
        #expect(text.contains("drd_data_age_seconds{policy=\"orders\"} 5400\n"))   // newest snapshot 46:00 at 47:30
        #expect(text.contains("drd_backup_failures_total{policy=\"orders\"} 1\n"))
        #expect(text.contains("drd_backup_last_run_success{policy=\"orders\"} 0\n"))
        #expect(text.contains("drd_rpo_target_seconds{policy=\"orders\"} 7200\n"))
        #expect(text.contains("drd_drill_duration_seconds{policy=\"orders\"} 1800\n"))
        #expect(text.contains("drd_compliance_status{policy=\"orders\"} 1\n"))     // at risk: the last run failed
        #expect(text.contains("drd_compliance_status{policy=\"empty\"} 2\n"))      // never backed up: breached
        #expect(text.contains("drd_data_age_seconds{policy=\"empty\"} +Inf\n"))
        #expect(text.contains("drd_backup_last_success_timestamp_seconds{policy=\"empty\"} 0\n"))
        #expect(text.contains("{policy=\"we\\\"ird\\\\na\\nme\"}"))
        for name in ["drd_backup_last_success_timestamp_seconds", "drd_backup_duration_seconds", "drd_backup_size_bytes",
                     "drd_data_age_seconds", "drd_rpo_target_seconds", "drd_drill_last_success_timestamp_seconds",
                     "drd_drill_duration_seconds", "drd_rto_target_seconds", "drd_backup_failures_total"] {
            #expect(text.contains("\n\(name){policy=\"orders\"} "), "missing \(name)")
        }
        // One HELP and one TYPE per family, samples directly after their TYPE line.
        let helps = text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] }
        #expect(Set(helps).count == helps.count)
    }

    @Test func valueAndEscapeHelpers() {
        #expect(PrometheusExposition.valueText(3) == "3")
        #expect(PrometheusExposition.valueText(0.25) == "0.25")
        #expect(PrometheusExposition.valueText(-.infinity) == "-Inf")
        #expect(PrometheusExposition.valueText(.nan) == "NaN")
        #expect(PrometheusExposition.escapeHelp("a\\b\nc") == "a\\\\b\\nc")
        #expect(PrometheusExposition.labelText([("a", "x\"y"), ("b", "z")]) == "{a=\"x\\\"y\",b=\"z\"}")
    }

    @Test func textfileIsWrittenAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("drd-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("drd.prom").path
        try MetricsTextfile.write("old 1\n", to: path)
        try MetricsTextfile.write(sampleExposition(), to: path)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written == sampleExposition().text)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["drd.prom"])  // no temp left
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)

        let error = #expect(throws: DRDError.self) {
            try MetricsTextfile.write("x 1\n", to: dir.path + "/missing/drd.prom")
        }
        #expect(error?.message.contains("unable to create metrics file") == true)
    }

    @Test(.enabled(if: promtoolPath() != nil || promtoolRequired, "promtool not installed"))
    func promtoolAcceptsExposition() throws {
        let (status, output) = try promtool(["check", "metrics"], stdin: sampleExposition().text)
        #expect(status == 0, "promtool check metrics: \(output)")
    }

    @Test(.enabled(if: promtoolPath() != nil || promtoolRequired, "promtool not installed"))
    func promtoolAcceptsAlertRules() throws {
        let rules = complianceRepoRoot().appendingPathComponent("docs/alerts.yml").path
        let (status, output) = try promtool(["check", "rules", rules])
        #expect(status == 0, "promtool check rules: \(output)")
        #expect(output.contains("SUCCESS"))
    }
}
