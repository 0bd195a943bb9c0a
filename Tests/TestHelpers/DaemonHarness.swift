import Foundation
import Support

/// Runs a real `drd` process on a temp socket with a generated config, for integration tests.
public final class DaemonHarness: @unchecked Sendable {
    public let dir: URL
    public let socket: String
    public let configPath: String
    public let storeURL: String
    public let process = Process()
    public let logPath: String
    public var environment: [String: String]

    /// `environments`: name → (conninfo, protected). `policies`: file name → policy text.
    public init(storeURL: String? = nil, environments: [String: (String, Bool)], policies: [String: String],
                extraEnvironment: [String: String] = [:], paused: Bool = true, daemonSettings: String = "") throws {
        dir = try TestEnv.tempDirectory("drd")
        socket = dir.appendingPathComponent("drd.sock").path
        configPath = dir.appendingPathComponent("drd.conf").path
        logPath = dir.appendingPathComponent("drd.log").path
        self.storeURL = storeURL ?? "file://" + dir.appendingPathComponent("store").path
        let policyDir = dir.appendingPathComponent("policies.d")
        try FileManager.default.createDirectory(at: policyDir, withIntermediateDirectories: true)
        var conf = """
            [daemon]
            socket = \(socket)
            state_dir = \(dir.appendingPathComponent("state").path)
            policy_dir = \(policyDir.path)
            metrics_textfile = \(dir.appendingPathComponent("drd.prom").path)
            \(daemonSettings)

            [store]
            url = \(self.storeURL)

            """
        for (name, (conninfo, protected)) in environments.sorted(by: { $0.key < $1.key }) {
            conf += "\n[environment.\(name)]\ndatabase = \(conninfo)\nprotected = \(protected)\n"
        }
        try conf.write(toFile: configPath, atomically: true, encoding: .utf8)
        for (file, text) in policies {
            try text.write(to: policyDir.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        var env = ProcessInfo.processInfo.environment
        env["DRD_SCHEDULER_TICK"] = "1"
        if paused { env["DRD_SCHEDULER_PAUSED"] = "1" }
        for (k, v) in extraEnvironment { env[k] = v }
        environment = env
    }

    /// Starts drd and waits for its socket.
    public func start() throws {
        process.executableURL = URL(fileURLWithPath: TestEnv.binary("drd"))
        process.arguments = ["--config", configPath]
        process.environment = environment
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: socket) { return }
            if !process.isRunning { throw DRDError(.internal, "drd exited \(process.terminationStatus): \(self.log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DRDError(.internal, "drd did not create its socket in 30 s: \(self.log)")
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs drctl against this daemon.
    @discardableResult
    public func drctl(_ args: [String], check: Bool = false, input: String? = nil) throws -> Shell.Output {
        try Shell.run([TestEnv.binary("drctl")] + args + ["--socket", socket], input: input.map { Data($0.utf8) },
                      environment: environment, check: check)
    }

    /// SIGTERM and wait; returns the exit status.
    public func stop(timeout: TimeInterval = 60) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }

    public func cleanup() {
        _ = stop()
        try? FileManager.default.removeItem(at: dir)
    }
}
#if canImport(Glibc)
import Glibc
#endif
