import Archive
import Compliance
import Control
import Dump
import Foundation
import Policy
import Storage
import Support

/// Scheduling, backup/drill jobs, retention and metrics: the daemon's work loop.
extension Daemon {
    /// Rebuilds each policy's scheduling state from the store (the source of truth).
    func refreshStates() {
        let rt = current
        for policy in rt.config.policies {
            refreshState(policy.name, catalog: rt.catalog)
        }
    }

    func refreshState(_ policy: String, catalog: Catalog) {
        do {
            let history = try catalog.history(policy: policy)
            var state = PolicyState()
            state.lastSuccess = history.backups.map(\.snapshotTime).max()
            state.lastAttempt = history.runs.last?.startedAt
            state.consecutiveFailures = history.runs.reversed().prefix { $0.outcome != .success }.count
            state.lastDrill = history.drills.filter(\.passed).map(\.finishedAt).max()
            let lastDrillPassed = history.drills.last?.passed
            drillOutcomes.withLock { $0[policy] = lastDrillPassed }
            let running = jobs.isRunning(kind: "backup", policy: policy)
            let drilling = jobs.isRunning(kind: "drill", policy: policy)
            state.running = running
            state.drilling = drilling
            states.withLock { $0[policy] = state }
            if let failed = history.runs.last, failed.outcome == .failed {
                lastErrors.withLock { $0[policy] = failed.error }
            } else {
                _ = lastErrors.withLock { $0.removeValue(forKey: policy) }
            }
        } catch {
            log.error("unable to read the history of a policy from the store", [("policy", policy), ("error", "\(error)")])
        }
    }

    /// Starts every backup and drill that is due now, each on its own thread.
    func scheduleDueWork() {
        let rt = current
        let snapshot = states.withLock { $0 }
        for entry in SchedulerPlan.evaluate(policies: rt.config.policies, states: snapshot, now: Date()) {
            guard !stopping.isCancelled, let policy = rt.config.policy(named: entry.policy) else { continue }
            if entry.due, !jobs.isRunning(kind: "backup", policy: policy.name) {
                log.info("backup due", [("policy", policy.name), ("reason", entry.reason.map { "\($0)" } ?? "scheduled")])
                startDetached { [self] in _ = try? self.runBackupJob(policy.name, requestedBy: "scheduler", progress: nil) }
            } else if entry.drillDue, !jobs.isRunning(kind: "drill", policy: policy.name),
                      !jobs.isRunning(kind: "backup", policy: policy.name) {
                startDetached { [self] in _ = try? self.runDrillJob(policy.name, requestedBy: "scheduler") }
            }
        }
    }

    func startDetached(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Runs one backup of `policyName` now (scheduled or requested), then retention and metrics.
    func runBackupJob(_ policyName: String, requestedBy: String, cancel: CancellationToken? = nil,
                      progress: (@Sendable (ProgressEvent) -> Void)?) throws -> BackupRunner.Outcome {
        let rt = current
        guard let policy = rt.config.policy(named: policyName) else {
            throw DRDError(.notFound, "no policy named '\(policyName)'", hint: "drctl status lists the policies")
        }
        guard let env = rt.config.daemon.environment(named: policy.source) else {
            throw DRDError(.config, "policy '\(policyName)' names environment '\(policy.source)', which is not configured")
        }
        let job = try jobs.start(kind: "backup", policy: policyName, requestedBy: requestedBy, parent: cancel)
        states.withLock { $0[policyName, default: PolicyState()].running = true }
        defer {
            jobs.finish(job.id)
            refreshState(policyName, catalog: rt.catalog)
            writeMetrics()
            wake.signal()
        }
        let outcome = BackupRunner.run(policy: policyName, sourceConninfo: env.database, jobs: policy.jobs,
                                       compressLevel: policy.compressLevel, lockTimeout: policy.lockTimeout,
                                       catalog: rt.catalog, token: job.token) { [self] p in
            jobs.update(job.id) {
                $0.phase = p.phase.rawValue
                $0.bytes = p.bytesOut
                $0.rows = p.rows
                $0.tablesDone = p.tablesDone
                $0.tablesTotal = p.tablesTotal
                $0.totalBytes = p.estimatedBytes
            }
            let elapsed = max(Date().timeIntervalSince(p.startedAt), 0.001)
            let rate = Double(p.bytesIn) / elapsed
            let eta = rate > 0 && p.estimatedBytes > p.bytesIn ? Double(p.estimatedBytes - p.bytesIn) / rate : nil
            progress?(ProgressEvent(phase: p.phase.rawValue, job: job.id, bytes: p.bytesIn, totalBytes: p.estimatedBytes,
                                    rows: p.rows, tablesDone: p.tablesDone, tablesTotal: p.tablesTotal,
                                    rate: rate, eta: eta))
        }
        if outcome.run.outcome == .success {
            prune(policy, catalog: rt.catalog, dryRun: false, asOf: Date())
        }
        return outcome
    }

    /// Restores the newest backup of a policy into a scratch database on its drill target.
    func runDrillJob(_ policyName: String, requestedBy: String, cancel: CancellationToken? = nil) throws -> DrillRecord {
        let rt = current
        guard let policy = rt.config.policy(named: policyName) else {
            throw DRDError(.notFound, "no policy named '\(policyName)'", hint: "drctl status lists the policies")
        }
        guard let targetName = policy.drillTarget else {
            throw DRDError(.config, "policy '\(policyName)' has no drill_target",
                           hint: "set drill_target = ENVIRONMENT (a server where a scratch database may be created, never production)")
        }
        guard let target = rt.config.daemon.environment(named: targetName) else {
            throw DRDError(.config, "policy '\(policyName)' names drill_target '\(targetName)', which is not configured")
        }
        let history = try rt.catalog.history(policy: policyName)
        guard let newest = history.backups.last, let manifest = history.manifest(for: newest.id) else {
            throw DRDError(.notFound, "policy '\(policyName)' has no committed backup to drill yet", hint: "run drctl backup \(policyName) first")
        }
        let job = try jobs.start(kind: "drill", policy: policyName, requestedBy: requestedBy, parent: cancel)
        states.withLock { $0[policyName, default: PolicyState()].drilling = true }
        defer {
            jobs.finish(job.id)
            refreshState(policyName, catalog: rt.catalog)
            writeMetrics()
        }
        jobs.update(job.id) { $0.phase = "restoring" }
        return try DrillRunner.run(policy: policyName, manifest: manifest, targetConninfo: target.database,
                                   checks: policy.drillChecks, catalog: rt.catalog, token: job.token)
    }

    /// Applies (or, with dryRun, only plans) retention for one policy.
    @discardableResult
    func prune(_ policy: Policy, catalog: Catalog, dryRun: Bool, asOf: Date) -> RetentionPlan? {
        do {
            let history = try catalog.history(policy: policy.name)
            let pending = try catalog.store.pendingUploads(prefix: "\(policy.name)/")
            let plan = RetentionPlanner.plan(
                backups: history.backups, runs: history.runs, drills: history.drills,
                objects: history.objects.map { ObjectListing(key: $0.key, size: $0.size, lastModified: $0.lastModified) },
                pending: pending.map { PendingUploadInfo(key: $0.key, uploadID: $0.uploadID, initiated: $0.initiated) },
                policy: RetentionPolicy(window: policy.retention, minKeep: policy.minKeep), now: asOf,
                lastRunSucceeded: RetentionPlanner.lastRunSucceeded(runs: history.runs, asOf: asOf), policyName: policy.name)
            guard !dryRun else { return plan }
            // Manifests first: once the commit marker is gone the backup is no longer listed, so a
            // crash midway never leaves a listed backup without its data.
            let keys = plan.deletions.flatMap(\.keys) + plan.deleteOrphans.map(\.key)
            if !keys.isEmpty {
                let failures = try catalog.store.delete(keys: keys)
                for (key, error) in failures { log.error("unable to delete", [("key", key), ("error", error.message)]) }
            }
            for upload in plan.abortUploads {
                do {
                    try catalog.store.abortUpload(PendingUpload(key: upload.key, uploadID: upload.uploadID, initiated: upload.initiated))
                } catch {
                    log.error("unable to abort a stale upload", [("key", upload.key), ("error", "\(error)")])
                }
            }
            if !plan.isEmpty {
                log.info("retention applied", [("policy", policy.name), ("deleted", "\(plan.deletions.count)"),
                                               ("orphans", "\(plan.deleteOrphans.count)"), ("aborted", "\(plan.abortUploads.count)")])
            }
            return plan
        } catch {
            log.error("retention failed", [("policy", policy.name), ("error", "\(error)")])
            return nil
        }
    }

    /// Compliance inputs for every policy, from the store.
    func complianceHistories(_ names: [String]? = nil) throws -> [Compliance.PolicyHistory] {
        let rt = current
        return try rt.config.policies.filter { names?.contains($0.name) ?? true }.map { policy in
            let h = try rt.catalog.history(policy: policy.name)
            // No rpo: the schedule's own promise (its longest gap). No rto: one day. Reports and
            // metrics then judge the policy against what it can be expected to do (docs/compliance.md).
            let targets = PolicyTargets(
                name: policy.name, rpoSeconds: policy.rpo ?? policy.schedule.maxInterval(startingAt: Date()),
                rtoSeconds: policy.rto ?? 86_400,
                drillIntervalSeconds: policy.drillSchedule.map { $0.maxInterval(startingAt: Date()) } ?? DrillAnalysis.defaultInterval,
                retention: RetentionPolicy(window: policy.retention, minKeep: policy.minKeep), schedule: policy.schedule.text)
            return Compliance.PolicyHistory(targets: targets, backups: h.backups, runs: h.runs, drills: h.drills)
        }
    }

    /// Writes the Prometheus textfile, if configured.
    func writeMetrics() {
        guard let path = current.config.daemon.metricsTextfile else { return }
        do {
            try MetricsTextfile.write(try metricsText(), to: path)
        } catch {
            log.error("unable to write metrics", [("path", path), ("error", "\(error)")])
        }
    }

    /// The Prometheus exposition for every policy, from the store.
    func metricsText() throws -> String {
        ComplianceMetrics.exposition(try complianceHistories(), now: Date()).text
    }
}
