import Foundation
import Testing
@testable import Policy

/// The shipped examples (policies/, docs/examples/drd.conf) must validate cleanly.
@Suite struct ExampleConfigTests {
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static let installedGroups: Set<String> = ["drd", "drd-admin", "drd-operator"]

    @Test func shippedExamplesValidate() throws {
        let policies = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/policies")
            .filter { $0.hasSuffix(".conf") }.sorted().map { Self.root + "/policies/" + $0 }
        #expect(policies.count >= 2)
        let files = [Self.root + "/docs/examples/drd.conf"] + policies
        // The groups the install steps in docs/operations.md create.
        let diagnostics = ConfigLoader.check(files: files, configPath: nil, environment: [:], now: utc("2026-11-21T00:00:00Z"),
                                             groupExists: { Self.installedGroups.contains($0) })
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.description))")
    }

    @Test func optimProductionIsWhatTheIssueAsks() throws {
        let text = try String(contentsOfFile: Self.root + "/policies/optim_production.conf", encoding: .utf8)
        let (p, problems) = PolicyReader.read(try IniFile.parse(text, path: "optim_production.conf"), now: utc("2026-11-21T00:00:00Z"))
        #expect(problems.isEmpty)
        let policy = try #require(p)
        #expect(policy.name == "optim_production")
        #expect(policy.schedule.text == "hourly")
        #expect(policy.rpo == 3600 && policy.rto == 4 * 3600 && policy.retention == 30 * 86_400)
        #expect(policy.drillTarget == "staging")
        #expect(policy.drillChecks.count >= 2)
    }

    @Test func exampleDaemonConfigHasTheThreeEnvironments() throws {
        let text = try String(contentsOfFile: Self.root + "/docs/examples/drd.conf", encoding: .utf8)
        let (config, problems) = DaemonConfigReader.read(try IniFile.parse(text, path: "drd.conf"),
                                                         groupExists: { Self.installedGroups.contains($0) })
        #expect(problems.isEmpty, "\(problems)")
        #expect(config.adminGroup == "drd-admin")
        for name in ["production", "staging", "development"] {
            #expect(config.environment(named: name) != nil)
        }
        #expect(config.environment(named: "production")?.protected == true)
        #expect(!text.lowercased().contains("password="))
    }
}
