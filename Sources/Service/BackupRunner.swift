import Archive
import Compliance
import Dump
import Foundation
import Storage
import Support

/// One policy backup: dump to `<policy>/<id>.sql.gz`, manifest committed last, and a run record
/// (success, failure with its error, or cancelled) written to `<policy>/runs/<run-id>.json`.
public enum BackupRunner {
    public struct Outcome: Sendable {
        public var run: RunRecord
        public var manifest: Manifest?
    }

    public static func run(policy: String, sourceConninfo: String, jobs: Int, compressLevel: Int,
                           lockTimeout: TimeInterval = 30, catalog: Catalog, token: CancellationToken, log: Logger = Logger("backup"),
                           progress: DumpProgressHandler? = nil) -> Outcome {
        let started = Date()
        var options = DumpOptions()
        options.jobs = jobs
        options.compressLevel = compressLevel
        options.lockTimeout = lockTimeout
        options.policy = policy
        options.backupID = BackupID.make(at: started)
        let key = Catalog.objectKey(policy: policy, id: options.backupID)
        log.info("backup started", [("policy", policy), ("backup", options.backupID)])
        var manifest: Manifest?
        var outcome = RunRecord.Outcome.success
        var message: String?
        do {
            manifest = try DumpEngine.run(conninfo: sourceConninfo, store: catalog.store, objectKey: key,
                                          options: options, token: token, progress: progress)
        } catch let error as DRDError where token.isCancelled {
            outcome = .cancelled
            message = error.message
        } catch {
            outcome = .failed
            message = Redact.conninfo("\(error)")
        }
        let finished = Date()
        let run = RunRecord(runID: options.backupID, policy: policy, startedAt: started, finishedAt: finished,
                            outcome: outcome, error: message, backupID: manifest?.backupID,
                            bytes: manifest?.compressedSize ?? 0)
        do {
            try catalog.write(run: run)
        } catch {
            log.error("unable to write the run record", [("policy", policy), ("run", run.runID), ("error", "\(error)")])
        }
        switch outcome {
        case .success:
            log.info("backup committed", [("policy", policy), ("backup", options.backupID),
                                          ("bytes", "\(manifest?.compressedSize ?? 0)"),
                                          ("seconds", String(format: "%.1f", run.durationSeconds))])
        case .failed:
            log.error("backup failed", [("policy", policy), ("run", run.runID), ("error", message ?? "")])
        case .cancelled:
            log.warning("backup cancelled", [("policy", policy), ("run", run.runID)])
        }
        return Outcome(run: run, manifest: manifest)
    }
}
