import Foundation
@testable import Compliance
import Support

/// A fixed origin so expected numbers are exact: 2026-11-01T00:00:00Z.
let origin = Date(timeIntervalSince1970: 1_793_491_200)

/// `origin` + hours and minutes.
func at(_ hours: Double, _ minutes: Double = 0) -> Date {
    origin.addingTimeInterval(hours * 3600 + minutes * 60)
}

func days(_ d: Double) -> TimeInterval { d * 86_400 }

/// A committed backup with snapshot `snap` and commit `commit`; id derived from the snapshot.
func backup(_ snap: Date, _ commit: Date, size: Int64 = 1000, drilled: Bool = false, policy: String = "orders",
            suffix: String = "0000") -> BackupRecord {
    BackupRecord(id: "\(Timestamp.compact(snap))-\(suffix)", policy: policy, snapshotTime: snap,
                 completedTime: commit, compressedSize: size, uncompressedSize: size * 4, rows: 10, tables: 2,
                 verified: true, drilled: drilled)
}

func drill(_ id: String, backupID: String, start: Date, seconds: Double, passed: Bool, size: Int64,
           policy: String = "orders") -> DrillRecord {
    DrillRecord(drillID: id, policy: policy, backupID: backupID, startedAt: start,
                finishedAt: start.addingTimeInterval(seconds), passed: passed,
                phases: DrillRecord.Phases(download: seconds * 0.2, load: seconds * 0.5, postData: seconds * 0.2,
                                           checks: seconds * 0.1),
                checks: [DrillRecord.Check(name: "rows", passed: passed, detail: passed ? "ok" : "orders: 9 != 10")],
                reasons: passed ? [] : ["row count mismatch on public.orders"], backupSize: size)
}

func run(_ id: String, start: Date, seconds: Double, outcome: RunRecord.Outcome, backupID: String? = nil,
         error: String? = nil, policy: String = "orders") -> RunRecord {
    RunRecord(runID: id, policy: policy, startedAt: start, finishedAt: start.addingTimeInterval(seconds),
              outcome: outcome, error: error, backupID: backupID, bytes: 1000)
}

/// SplitMix64: a tiny seeded PRNG so property tests are reproducible (seed printed on failure).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
