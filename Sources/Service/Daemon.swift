import Compliance
import Control
import Foundation
import Policy
import Storage
import Support
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The drd daemon: schedules backups and drills, serves drctl over the control socket, applies
/// retention, writes metrics. Runs in the foreground; SIGTERM stops it cleanly (running work is
/// cancelled, uploads aborted, runs recorded as cancelled) and SIGHUP reloads the configuration,
/// keeping the last good one on error.
public final class Daemon: Sendable {
    public static let version = "0.1.0"

    /// What a reload replaces as a whole.
    struct Runtime: Sendable {
        let config: LoadedConfig
        let catalog: Catalog
    }

    let configPath: String
    let environment: [String: String]
    let log = Logger("drd")
    let runtime: Mutex<Runtime>
    let jobs: JobRegistry
    let states = Mutex<[String: PolicyState]>([:])
    let lastErrors = Mutex<[String: String]>([:])
    /// Whether each policy's most recent drill passed (nil: never drilled).
    let drillOutcomes = Mutex<[String: Bool]>([:])
    let stopping = CancellationToken()
    let wake = DispatchSemaphore(value: 0)
    let startedAt = Date()
    let server: Mutex<ControlServer?> = Mutex(nil)
    /// Seconds between scheduler evaluations (tests shorten it with DRD_SCHEDULER_TICK).
    let tick: TimeInterval

    /// Loads and validates the configuration; throws (and the daemon does not start) when invalid.
    public init(configPath: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.configPath = configPath
        self.environment = environment
        let config = try ConfigLoader.load(configPath: configPath, environment: environment)
        let store = try StoreBridge.open(config.daemon.store, environment: environment)
        runtime = Mutex(Runtime(config: config, catalog: Catalog(store: store)))
        let limit = Int(environment["DRD_MAX_JOBS"] ?? "") ?? 2
        jobs = JobRegistry(limit: max(limit, 1))
        tick = TimeInterval(environment["DRD_SCHEDULER_TICK"] ?? "") ?? 15
        for warning in config.warnings { log.warning("\(warning)") }
        _ = try makeAuthorizer(config)  // unknown groups fail here, so `drd --check` reports them
    }

    var current: Runtime { runtime.withLock { $0 } }

    /// Runs until SIGTERM/SIGINT; returns the process exit status.
    public func run() throws -> Int32 {
        let config = current.config
        let authorizer = try makeAuthorizer(config)
        var options = ControlServerOptions(path: config.daemon.socketPath, group: socketGroup(config))
        options.verbs = Verb.builtin
        let control = ControlServer(options: options, authorizer: authorizer, logger: Logger("control")) { [self] request, peer, writer in
            try self.handle(request, peer: peer, writer: writer)
        }
        try control.start()
        server.withLock { $0 = control }
        log.info("drd started", [("version", Self.version), ("config", configPath), ("socket", config.daemon.socketPath),
                                 ("store", current.catalog.store.displayURL), ("policies", "\(config.policies.count)")])

        var metricsServer: MetricsServer?
        if let listen = config.daemon.metricsListen {
            let server = try MetricsServer(host: listen.host, port: listen.port) { [self] in
                (try? self.metricsText()) ?? "# drd: metrics unavailable (see the daemon log)\n"
            }
            server.start()
            metricsServer = server
            log.info("serving metrics", [("address", "http://\(listen)/metrics")])
        }
        defer { metricsServer?.stop() }
        let signals = installSignals()
        defer { withExtendedLifetime(signals) {} }
        refreshStates()
        writeMetrics()
        let notify = SdNotify.fromEnvironment(environment)
        try? notify?.send("READY=1\nSTATUS=running \(config.policies.count) policies")
        let watchdog = notify?.watchdogPingInterval

        var lastWatchdog = Date()
        // DRD_SCHEDULER_PAUSED=1 serves drctl but starts no scheduled work (maintenance windows, tests).
        let paused = environment["DRD_SCHEDULER_PAUSED"] == "1"
        if paused { log.warning("scheduler paused by DRD_SCHEDULER_PAUSED=1: no scheduled backups or drills") }
        var lastMetrics = Date()
        while !stopping.isCancelled {
            if !paused { scheduleDueWork() }
            // Data age grows between backups: refresh the textfile every minute, not only after jobs.
            if Date().timeIntervalSince(lastMetrics) >= 60 {
                writeMetrics()
                lastMetrics = Date()
            }
            _ = wake.wait(timeout: .now() + min(tick, watchdog.map { Double($0.components.seconds) } ?? tick))
            if let notify, watchdog != nil, Date().timeIntervalSince(lastWatchdog) >= 1 {
                try? notify.send("WATCHDOG=1")
                lastWatchdog = Date()
            }
        }

        log.info("stopping: cancelling running jobs", [("jobs", "\(jobs.all.count)")])
        try? notify?.send("STOPPING=1")
        jobs.cancelAll(reason: "drd is shutting down")
        if !jobs.waitForAll(timeout: 120) {
            log.warning("some jobs did not stop within 120 s")
        }
        _ = control.stop(timeout: 10)
        log.info("drd stopped")
        return 0
    }

    /// Asks the main loop to stop (SIGTERM, SIGINT).
    public func requestStop(_ reason: String) {
        stopping.cancel(reason)
        wake.signal()
    }

    /// SIGHUP: reload config and policies; on error keep running the last good set.
    public func reload() -> DRDError? {
        do {
            let config = try ConfigLoader.load(configPath: configPath, environment: environment)
            let store = try StoreBridge.open(config.daemon.store, environment: environment)
            let authorizer = try makeAuthorizer(config)
            runtime.withLock { $0 = Runtime(config: config, catalog: Catalog(store: store)) }
            server.withLock { $0?.updateAuthorizer(authorizer) }
            log.info("configuration reloaded", [("policies", "\(config.policies.count)")])
            refreshStates()
            wake.signal()
            return nil
        } catch let error as DRDError {
            log.error("reload failed; keeping the previous configuration", [("error", error.message)])
            return error
        } catch {
            return DRDError(.config, "\(error)")
        }
    }

    /// Who may do what on the socket, from `[daemon]`; an unknown group is a configuration error.
    func makeAuthorizer(_ config: LoadedConfig) throws -> Authorizer {
        try Authorizer.resolving(socketGroup: socketGroup(config), mutatingGroups: config.daemon.operatorGroup.map { [$0] } ?? [],
                                 adminGroup: config.daemon.adminGroup)
    }

    func socketGroup(_ config: LoadedConfig) -> String? {
        config.daemon.socketGroup ?? environment["DRD_SOCKET_GROUP"] ?? (UserDatabase.groupID(name: "drd") != nil ? "drd" : nil)
    }

    private func installSignals() -> [DispatchSourceSignal] {
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                if sig == SIGHUP { _ = self.reload() } else { self.requestStop(sig == SIGTERM ? "SIGTERM" : "SIGINT") }
            }
            source.resume()
            sources.append(source)
        }
        return sources
    }
}
