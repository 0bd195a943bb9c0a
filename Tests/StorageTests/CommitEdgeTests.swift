import Foundation
@testable import Storage
import Support
import TestHelpers
import Testing

/// Edges of committing an object: a conditional PUT whose first reply was lost, a wrong-sized
/// file after rename, and an upload of exactly the maximum number of parts.
@Suite struct CommitEdgeTests {
    static func s3(_ server: ScriptedS3Server) throws -> S3Store {
        let settings = StoreSettings(partSize: 5 << 20, uploadConcurrency: 2,
                                     retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.005, maxDelay: 0.02),
                                     timeouts: Timeouts(connect: 2, lowSpeedLimit: 100_000, lowSpeedTime: 1),
                                     readWindow: 1 << 20)
        let store = try Store.open(url: "s3://scripted-bucket/pre", settings: settings,
                                   environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
                                                 "AWS_ENDPOINT_URL": server.endpoint])
        return try #require(store as? S3Store)
    }

    // MARK: - If-None-Match retried after a lost reply

    @Test func conditionalPutRetriedAfterLostReplyIsASuccess() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        let manifest = Array(#"{"id":"20261121T050000Z"}"#.utf8)
        server.script(.head, .error(status: 404, code: "NoSuchKey"))          // absent before the put
        server.script(.put, .dropReply)                                        // stored, reply lost
        server.script(.put, .error(status: 412, code: "PreconditionFailed"))   // the retry meets it
        try Self.s3(server).putSmall(key: "m.json", data: manifest, ifAbsent: true)
        #expect(server.object == manifest)
        #expect(server.count(.put) == 2)
        #expect(server.log.first { $0.kind == .put }?.headers["if-none-match"] == "*")
    }

    @Test func conditionalPutMeetingOtherBytesIsAConflict() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.setObject([9, 9, 9])
        server.script(.head, .error(status: 404, code: "NoSuchKey"))
        server.script(.put, .error(status: 412, code: "PreconditionFailed"))
        let error = #expect(throws: DRDError.self) {
            try Self.s3(server).putSmall(key: "m.json", data: [1, 2, 3], ifAbsent: true)
        }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("'m.json' already exists") == true)
        #expect(server.object == [9, 9, 9])
        // A different size is settled by HEAD alone.
        server.script(.head, .error(status: 404, code: "NoSuchKey"))
        server.script(.put, .error(status: 412, code: "PreconditionFailed"))
        let gets = server.count(.get)
        #expect(throws: DRDError.self) { try Self.s3(server).putSmall(key: "m.json", data: [1, 2], ifAbsent: true) }
        #expect(server.count(.get) == gets)
    }

    // MARK: - File store size check

    @Test func wrongSizedFileIsRemovedAfterCommit() throws {
        let dir = try TestEnv.tempDirectory("commit-edge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.sql.gz").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3, 4, 5])))
        #expect(try FileUpload.verifySize(path: path, expected: 5).st_size == 5)
        let error = #expect(throws: DRDError.self) { _ = try FileUpload.verifySize(path: path, expected: 6) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("holds 5 bytes after writing 6; deleted it") == true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    // MARK: - Part-count boundary

    @Test func partLimitAllowsExactlyTheLastPartNumber() {
        let sizer = PartSizer(base: 8 << 20, equalParts: true)
        #expect(sizer.partLimit == 10_000)
        #expect(sizer.size(ofPart: 10_000) == 8 << 20)
        #expect(sizer.size(ofPart: 10_001) == nil)
        #expect(sizer.size(ofPart: 0) == nil)
        #expect(PartSizer.grouped(10_000) == "10,000")
        #expect(PartSizer.grouped(999) == "999")
    }

    /// The same code path as 10,000 parts, with the limit lowered to 3 so the test stays small:
    /// exactly 3 parts upload; one byte more is refused before part 3 is sent, and aborted.
    @Test func uploadOfExactlyTheMaximumPartCountSucceeds() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        let store = try Self.s3(server)
        var sizer = PartSizer(base: 5 << 20, equalParts: true)
        sizer.partLimit = 3

        let exact = TestStores.bytes(15 << 20, seed: 7)
        let upload = try S3Upload(client: store.client, key: "pre/x.sql.gz", displayKey: "x.sql.gz", sizer: sizer)
        try write(exact, to: upload)
        let info = try upload.commit()
        #expect(info.size == Int64(exact.count))
        #expect(server.object == exact)
        #expect(server.count(.part(3)) == 1)
        #expect(server.count(.part(4)) == 0)

        let over = TestStores.bytes(15 << 20 + 1, seed: 8)
        let tooBig = try S3Upload(client: store.client, key: "pre/y.sql.gz", displayKey: "y.sql.gz", sizer: sizer)
        let error = #expect(throws: DRDError.self) {
            try write(over, to: tooBig)
            _ = try tooBig.commit()
        }
        #expect(error?.message.contains("needs more than 3 parts of 5 MiB") == true)
        #expect(server.count(.part(3)) == 1)   // the second upload never sent its part 3
        #expect(server.count(.abort) == 1)
        #expect(server.openUploads.isEmpty)
    }

    private func write(_ data: [UInt8], to upload: S3Upload) throws {
        var offset = 0
        while offset < data.count {
            let n = min(1 << 20, data.count - offset)
            try data[offset..<(offset + n)].withUnsafeBytes { try upload.write($0) }
            offset += n
        }
    }
}
