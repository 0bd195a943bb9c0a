import Foundation
import Testing
@testable import Compliance
import Support

@Suite struct RecordsTests {
    @Test func runRecordJSONIsStable() throws {
        let r = RunRecord(runID: "20261121T030000Z-7f3a", policy: "orders", startedAt: at(3), finishedAt: at(3, 2),
                          outcome: .failed, error: "connection refused", bytes: 0)
        let json = String(decoding: try RecordCoding.encode(r), as: UTF8.self)
        #expect(json == """
        {
          "bytes" : 0,
          "durationSeconds" : 120,
          "error" : "connection refused",
          "finishedAt" : "2026-11-01T03:02:00.000Z",
          "formatVersion" : 1,
          "kind" : "backup",
          "outcome" : "failed",
          "policy" : "orders",
          "runID" : "20261121T030000Z-7f3a",
          "startedAt" : "2026-11-01T03:00:00.000Z"
        }

        """)
        #expect(try RecordCoding.decodeRun(Data(json.utf8), source: "orders/runs/x.json") == r)
    }

    @Test func drillRecordRoundTripsAndAcceptsPlainISODates() throws {
        let d = drill("20261121T040000Z-d001", backupID: "20261121T030000Z-7f3a", start: at(4), seconds: 95.5,
                      passed: false, size: 123)
        let data = try RecordCoding.encode(d)
        #expect(try RecordCoding.decodeDrill(data, source: "d") == d)
        #expect(d.durationSeconds == 95.5)
        let text = String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "2026-11-01T04:00:00.000Z", with: "2026-11-01T04:00:00Z")
        #expect(try RecordCoding.decodeDrill(Data(text.utf8), source: "d").startedAt == at(4))
    }

    @Test func unknownVersionsAndGarbageAreRejectedWithTheKey() throws {
        var r = RunRecord(runID: "x", policy: "p", startedAt: at(0), finishedAt: at(1), outcome: .success)
        r.formatVersion = 99
        let future = #expect(throws: DRDError.self) {
            try RecordCoding.decodeRun(try RecordCoding.encode(r), source: "p/runs/x.json")
        }
        #expect(future?.code == .corrupt)
        #expect(future?.message == "run record 'p/runs/x.json' has format version 99")
        let garbage = #expect(throws: DRDError.self) {
            try RecordCoding.decodeDrill(Data("{\"drillID\": 1}".utf8), source: "p/drills/y.json")
        }
        #expect(garbage?.message.hasPrefix("unable to read 'p/drills/y.json'") == true)
    }
}
