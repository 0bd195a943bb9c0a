import Archive
import Compliance
import Control
import Foundation
import Policy
import Postgres
import Storage
import Support

/// The control verbs. Each handler streams progress events and ends with one result or error.
extension Daemon {
    func handle(_ request: Request, peer: Peer, writer: ResponseWriter) throws {
        let who = peer.userName ?? "uid \(peer.uid)"
        switch request.verb {
        case .status: _ = writer.result(encoding: try status())
        case .list: _ = writer.result(encoding: try list(policy: try request.string("policy")))
        case .jobs: _ = writer.result(encoding: JobsPayload(jobs: jobs.all))
        case .cancel:
            guard let id = try request.string("job") else { throw DRDError(.usage, "cancel needs a job id", hint: "drctl jobs lists them") }
            guard jobs.cancel(id, reason: "cancelled by \(who)") else {
                throw DRDError(.notFound, "no running job '\(id)'", hint: "drctl jobs lists the running jobs")
            }
            log.info("job cancel requested", [("job", id), ("by", who)])
            _ = writer.result(["cancelled": .string(id)])
        case .reload:
            if let error = reload() { throw error }
            _ = writer.result(["reloaded": true])
        case .backup: try backupVerb(request, who: who, writer: writer)
        case .drill:
            guard let policy = try request.string("policy") else { throw DRDError(.usage, "drill needs a policy name") }
            _ = writer.event(ProgressEvent(phase: "drill", message: "restoring the newest backup of \(policy) into a scratch database"))
            let record = try runDrillJob(policy, requestedBy: who, cancel: request.cancellation)
            guard record.passed else {
                throw DRDError(.query, "drill of policy '\(policy)' failed: \(record.reasons.joined(separator: "; "))")
            }
            _ = writer.result(encoding: record)
        case .restore: try restoreVerb(request, peer: peer, who: who, writer: writer)
        case .verify: try verifyVerb(request, writer: writer)
        case .prune: try pruneVerb(request, writer: writer)
        case .report: try reportVerb(request, writer: writer)
        case .policyCheck:
            // Checking runs in drctl, as the caller: the daemon never opens paths a client names, and
            // echoing lines of files it can read (credentials) to a socket-group member would leak them.
            throw DRDError(.usage, "policy check runs offline", hint: "run 'drctl policy check [FILES]' (no daemon needed)")
        default:
            throw DRDError(.protocolError, "unknown verb '\(request.verb)'")
        }
    }

    func status() throws -> StatusPayload {
        let rt = current
        let snapshot = states.withLock { $0 }
        let errors = lastErrors.withLock { $0 }
        let drills = drillOutcomes.withLock { $0 }
        let plan = SchedulerPlan.evaluate(policies: rt.config.policies, states: snapshot, now: Date())
        let policies = rt.config.policies.map { policy -> PolicyStatus in
            let state = snapshot[policy.name] ?? PolicyState()
            let entry = plan.first { $0.policy == policy.name }
            return PolicyStatus(name: policy.name, schedule: policy.schedule.text, source: policy.source,
                                nextRun: entry?.nextRun, lastBackupID: nil, lastSnapshot: state.lastSuccess,
                                dataAgeSeconds: entry?.dataAge, rpoSeconds: policy.rpo, rtoSeconds: policy.rto,
                                lastDrill: state.lastDrill, lastDrillPassed: drills[policy.name],
                                consecutiveFailures: state.consecutiveFailures, lastError: errors[policy.name])
        }
        return StatusPayload(version: Self.version, pid: getpid(), startedAt: startedAt, configFile: configPath,
                             store: rt.catalog.store.displayURL, policies: policies, jobs: jobs.all)
    }

    func list(policy: String?) throws -> ListPayload {
        let rt = current
        var names = rt.config.policies.map(\.name)
        if let policy {
            guard names.contains(policy) else { throw DRDError(.notFound, "no policy named '\(policy)'") }
            names = [policy]
        }
        var items: [BackupListItem] = []
        var problems: [String] = []
        for name in names {
            let history = try rt.catalog.history(policy: name)
            problems += history.problems
            for b in history.backups {
                items.append(BackupListItem(policy: name, id: b.id, database: history.manifest(for: b.id)?.database ?? "",
                                            snapshotTime: b.snapshotTime, completedTime: b.completedTime,
                                            compressedSize: b.compressedSize, uncompressedSize: b.uncompressedSize,
                                            rows: b.rows, tables: b.tables, drilled: b.drilled, verified: b.verified))
            }
        }
        return ListPayload(backups: items.sorted { $0.snapshotTime > $1.snapshotTime }, problems: problems)
    }

    func backupVerb(_ request: Request, who: String, writer: ResponseWriter) throws {
        guard let policy = try request.string("policy") else { throw DRDError(.usage, "backup needs a policy name") }
        let outcome = try runBackupJob(policy, requestedBy: who, cancel: request.cancellation) { event in
            _ = writer.event(event)
        }
        guard outcome.run.outcome == .success, let manifest = outcome.manifest else {
            throw DRDError(outcome.run.outcome == .cancelled ? .cancelled : .query,
                           "backup of policy '\(policy)' \(outcome.run.outcome.rawValue): \(outcome.run.error ?? "")")
        }
        _ = writer.result(encoding: BackupPayload(policy: policy, backupID: manifest.backupID, bytes: manifest.compressedSize,
                                                  rows: manifest.tables.reduce(0) { $0 + $1.rows },
                                                  tables: manifest.tables.count, seconds: outcome.run.durationSeconds))
    }

    /// BACKUP is a backup id, a store URL, or a local file the client passed as a descriptor.
    func resolveBackup(_ request: Request) throws -> (ObjectTarget, policy: String?) {
        let rt = current
        if request.passedFD != nil {
            let fd = try request.readablePassedFile(purpose: "the backup file")
            let name = try request.string("file_name") ?? "passed file"
            let manifest = try request.string("manifest").map { Array($0.utf8) }
            let store = try DescriptorStore(fd: fd, name: name, manifest: manifest)
            return (ObjectTarget(store: store, key: DescriptorStore.objectKey, describe: name), nil)
        }
        guard let backup = try request.string("backup") else { throw DRDError(.usage, "missing BACKUP (an id, a store URL or a file)") }
        if backup.contains("://") {
            guard backup.lowercased().hasPrefix("s3://") else {
                throw DRDError(.usage, "the daemon does not open '\(backup)' on a client's behalf",
                               hint: "name a local file without file:// so drctl opens it and passes it, or use a backup id or an s3:// URL")
            }
            let settings = try StoreBridge.settings(rt.config.daemon.store)
            return (try Targets.resolve(backup, environment: environment, settings: settings), nil)
        }
        guard BackupID.isValid(backup) else {
            throw DRDError(.usage, "'\(backup)' is not a backup id, a store URL or a local file",
                           hint: "drctl list shows backup ids; a local file must exist on the drctl side")
        }
        guard let found = try rt.catalog.find(backupID: backup, policies: rt.config.policies.map(\.name)) else {
            throw DRDError(.notFound, "no backup '\(backup)' in the store \(rt.catalog.store.displayURL)", hint: "drctl list shows the backups")
        }
        let key = "\(found.policy)/\(found.manifest.objectKey)"
        guard try rt.catalog.store.head(key: key) != nil else {
            throw DRDError(.notFound, "backup '\(backup)' has a manifest but its object '\(key)' is missing from the store")
        }
        return (ObjectTarget(store: rt.catalog.store, key: key, describe: "\(rt.catalog.store.displayURL)/\(key)"), found.policy)
    }

    func restoreVerb(_ request: Request, peer: Peer, who: String, writer: ResponseWriter) throws {
        let rt = current
        guard let envName = try request.string("environment") else { throw DRDError(.usage, "restore needs an ENVIRONMENT") }
        guard let env = rt.config.daemon.environment(named: envName) else {
            let known = rt.config.daemon.environments.map(\.name).joined(separator: ", ")
            throw DRDError(.notFound, "no environment named '\(envName)'", hint: "configured environments: \(known)")
        }
        let dbname = Conninfo.database(env.database) ?? envName
        if env.protected {
            guard try request.bool("force_protected") else {
                throw DRDError(.permission, "environment '\(envName)' is protected: restore refused",
                               hint: "pass --force-protected and confirm by typing the database name '\(dbname)'")
            }
            guard try request.string("confirm") == dbname else {
                throw DRDError(.permission, "restore into protected environment '\(envName)' needs the database name '\(dbname)' typed back",
                               hint: "answer the prompt, or pass --confirm \(dbname) when not on a terminal")
            }
            try server.withLock { $0 }?.authorizer.check(.protectedRestore, peer: peer)
        }
        let (source, policy) = try resolveBackup(request)
        let job = try jobs.start(kind: "restore", policy: nil, requestedBy: who, parent: request.cancellation)
        defer { jobs.finish(job.id) }
        var restore = SafeRestoreRequest(targetConninfo: env.database)
        restore.table = try request.string("table")
        restore.checks = policy.flatMap { rt.config.policy(named: $0)?.drillChecks } ?? []
        log.info("restore started", [("environment", envName), ("source", source.describe), ("by", who), ("job", job.id)])
        _ = writer.event(ProgressEvent(phase: "restore", job: job.id, message: "restoring \(source.describe) into a new database beside \(dbname)"))
        do {
            let result = try SafeRestore.run(source: source, request: restore, token: job.token) { p in
                _ = writer.event(ProgressEvent(phase: p.phase, job: job.id, bytes: p.bytesDone, totalBytes: p.totalBytes, rows: p.rows))
            }
            log.info("restore finished", [("environment", envName), ("database", dbname), ("rows", "\(result.load.totalRows)")])
            _ = writer.result(encoding: RestorePayload(
                environment: envName, database: result.database, backupID: result.load.manifest?.backupID,
                tables: result.load.rowsByTable.count, rows: result.load.totalRows, seconds: result.seconds,
                missingRoles: result.load.missingRoles, replacedExisting: result.replacedExisting))
        } catch {
            log.error("restore failed; target untouched", [("environment", envName), ("error", "\(error)")])
            throw error
        }
    }

    func verifyVerb(_ request: Request, writer: ResponseWriter) throws {
        let (source, policy) = try resolveBackup(request)
        guard let manifest = try LoadService.readManifest(source) else {
            throw DRDError(.notFound, "'\(source.describe)' has no manifest: only drd backups can be verified")
        }
        _ = writer.event(ProgressEvent(phase: "verify", message: "reading \(source.describe)"))
        let report = try ArtifactVerifier.verify(try source.store.get(key: source.key), manifest: manifest, name: source.describe)
        if let policy {
            try current.catalog.markVerified(policy: policy, id: manifest.backupID, bytes: report.bytes, members: report.members)
        }
        _ = writer.result(encoding: VerifyPayload(backupID: manifest.backupID, bytes: report.bytes, members: report.members,
                                                  uncompressedBytes: report.uncompressedBytes))
    }

    func pruneVerb(_ request: Request, writer: ResponseWriter) throws {
        let rt = current
        let dryRun = try request.bool("dry_run")
        var asOf = Date()
        if let text = try request.string("as_of") {
            guard let date = Timestamp.parse(text) else { throw DRDError(.usage, "invalid --as-of '\(text)': expected an ISO 8601 time") }
            // Judging retention as of a future time deletes what is still inside the real window.
            guard dryRun || date <= Date() else {
                throw DRDError(.usage, "--as-of in the future is only allowed with --dry-run", hint: "preview the plan with --dry-run")
            }
            asOf = date
        }
        var policies = rt.config.policies
        if let name = try request.string("policy") {
            guard let policy = rt.config.policy(named: name) else { throw DRDError(.notFound, "no policy named '\(name)'") }
            policies = [policy]
        }
        let json = try request.bool("json")
        var bodies: [String] = []
        var plans: [RetentionPlan] = []
        for policy in policies {
            guard let plan = prune(policy, catalog: rt.catalog, dryRun: dryRun, asOf: asOf) else {
                throw DRDError(.storage, "unable to plan retention for policy '\(policy.name)' (see the daemon log)")
            }
            plans.append(plan)
            bodies.append(RetentionRender.text(plan, dryRun: dryRun))
        }
        let body = json ? String(decoding: try RecordCoding.encoder().encode(plans), as: UTF8.self) : bodies.joined(separator: "\n")
        _ = writer.result(encoding: RenderedPayload(format: json ? "json" : "text", body: body, compliant: true))
    }

    func reportVerb(_ request: Request, writer: ResponseWriter) throws {
        let formatName = try request.string("format") ?? "text"
        guard let format = ReportFormat(rawValue: formatName) else {
            throw DRDError(.usage, "invalid --format '\(formatName)': expected text, json, markdown or html")
        }
        let to = try request.string("to").map { try parseTime($0, "--to") } ?? Date()
        let from = try request.string("from").map { try parseTime($0, "--from") } ?? to.addingTimeInterval(-30 * 86_400)
        let names = try request.string("policy").map { [$0] }
        if let names, current.config.policy(named: names[0]) == nil { throw DRDError(.notFound, "no policy named '\(names[0])'") }
        let report = ComplianceReport(histories: try complianceHistories(names), from: from, to: to)
        _ = writer.result(encoding: RenderedPayload(format: formatName, body: try format.render(report),
                                                    compliant: report.exitStatus == 0))
    }

    func parseTime(_ text: String, _ flag: String) throws -> Date {
        if let d = Timestamp.parse(text) { return d }
        if let ago = DurationText.parse(text) { return Date().addingTimeInterval(-ago) }
        throw DRDError(.usage, "invalid \(flag) '\(text)': expected an ISO 8601 time (2026-11-01T00:00:00Z) or an age like 7d")
    }
}
#if canImport(Glibc)
import Glibc
#endif
