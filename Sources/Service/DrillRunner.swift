import Archive
import Compliance
import Foundation
import Postgres
import Storage
import Support

/// A restore drill: restore a backup into a scratch database on the drill target, verify it (row
/// counts per table against the manifest, each `drill_check`), record the result in the store,
/// and drop the scratch database. The duration is the measured RTO.
public enum DrillRunner {
    public static func run(policy: String, manifest: Manifest, targetConninfo: String, checks: [String],
                           catalog: Catalog, token: CancellationToken, log: Logger = Logger("drill")) throws -> DrillRecord {
        let started = Date()
        let drillID = BackupID.make(at: started)
        let scratch = "drd_drill_" + String(drillID.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30))
        var phases = DrillRecord.Phases()
        var results: [DrillRecord.Check] = []
        var reasons: [String] = []
        log.info("drill started", [("policy", policy), ("backup", manifest.backupID), ("database", scratch)])

        let admin = try Connection(conninfo: targetConninfo, overrides: ["dbname": "postgres"], applicationName: "drd drill")
        defer { admin.close() }
        try admin.execute("CREATE DATABASE \(Connection.quoteIdentifier(scratch)) TEMPLATE template0")
        defer { ScratchDatabase.drop(scratch, admin: admin, conninfo: targetConninfo, log: log) }
        let scratchConninfo = try Conninfo.replacingDatabase(targetConninfo, with: scratch)

        let source = ObjectTarget(store: catalog.store, key: "\(policy)/\(manifest.objectKey)",
                                  describe: "\(catalog.store.displayURL)/\(policy)/\(manifest.objectKey)")
        var request = LoadRequest(conninfo: scratchConninfo)
        request.jobs = max(manifest.jobs, 2)
        request.applyGlobals = false
        request.skipMissingRoles = true
        let loadStart = Date()
        do {
            let loaded = try LoadService.load(from: source, request: request, token: token)
            phases.load = Date().timeIntervalSince(loadStart)
            let checkStart = Date()
            for table in manifest.tables {
                let name = "\(table.schema).\(table.table)"
                let got = loaded.rowsByTable[name]
                let ok = got == table.rows
                results.append(.init(name: "rows \(name)", passed: ok, detail: "expected \(table.rows), loaded \(got.map(String.init) ?? "none")"))
                if !ok { reasons.append("row count mismatch in \(name): expected \(table.rows), loaded \(got.map(String.init) ?? "none")") }
            }
            for (sql, passed, detail) in try SafeRestore.runChecks(checks, conninfo: scratchConninfo) {
                results.append(.init(name: sql, passed: passed, detail: detail))
                if !passed { reasons.append("check failed: \(sql) \(detail)") }
            }
            phases.checks = Date().timeIntervalSince(checkStart)
        } catch {
            // A cancelled drill proves nothing either way: it is not recorded as a failed one.
            if token.isCancelled { throw DRDError(.cancelled, "drill of policy '\(policy)' cancelled: \(token.reason)") }
            phases.load = Date().timeIntervalSince(loadStart)
            reasons.append("restore failed: \(Redact.conninfo("\(error)"))")
        }
        let record = DrillRecord(drillID: drillID, policy: policy, backupID: manifest.backupID, startedAt: started,
                                 finishedAt: Date(), passed: reasons.isEmpty, phases: phases, checks: results,
                                 reasons: reasons, backupSize: manifest.compressedSize)
        try catalog.write(drill: record)
        if record.passed {
            log.info("drill passed", [("policy", policy), ("backup", manifest.backupID),
                                      ("seconds", String(format: "%.1f", record.durationSeconds))])
        } else {
            log.error("drill failed", [("policy", policy), ("backup", manifest.backupID), ("reasons", reasons.joined(separator: "; "))])
        }
        return record
    }
}
