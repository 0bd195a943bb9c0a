import Foundation
import Storage
import Support
import TestHelpers
import Testing

/// Retries, aborts and timeouts against a scripted local HTTP server (no real S3 needed).
@Suite struct FaultInjectionTests {
    static func store(_ server: ScriptedS3Server, attempts: Int = 4) throws -> any ObjectStore {
        let settings = StoreSettings(partSize: 5 << 20, uploadConcurrency: 2,
                                     retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.005, maxDelay: 0.02),
                                     timeouts: Timeouts(connect: 2, lowSpeedLimit: 100_000, lowSpeedTime: 1),
                                     readWindow: 1 << 20)
        return try Store.open(url: "s3://scripted-bucket/pre", settings: settings,
                              environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
                                            "AWS_ENDPOINT_URL": server.endpoint])
    }

    /// 12 MiB + 1: parts 1 and 2 of 5 MiB and a trailing part 3.
    static let data = TestStores.bytes(12 << 20 + 1, seed: 42)

    @Test func serverErrorsAndSlowDownAreRetried() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.script(.createUpload, .error(status: 500, code: "InternalError"))
        server.script(.part(1), times: 2, .error(status: 503, code: "SlowDown"))
        server.script(.part(2), .error(status: 429, code: "TooManyRequests"))
        server.script(.part(3), .error(status: 502, code: "BadGateway"))
        server.script(.complete, .okWithError(code: "InternalError"))   // 200 with an error body
        server.script(.head, .error(status: 503, code: "ServiceUnavailable"))
        let info = try TestStores.upload(try Self.store(server), key: "x.sql.gz", data: Self.data)
        #expect(info.size == Int64(Self.data.count))
        #expect(server.object == Self.data)
        #expect(server.count(.createUpload) == 2)
        #expect(server.count(.part(1)) == 3)
        #expect(server.count(.part(2)) == 2)
        #expect(server.count(.part(3)) == 2)
        #expect(server.count(.complete) == 2)
        #expect(server.openUploads.isEmpty)
        // Each part carried its checksum and the signed payload hash.
        let part = try #require(server.log.first { $0.kind == .part(1) })
        #expect(part.headers["content-md5"] == Data(Digest.md5(Array(Self.data[0..<(5 << 20)]))).base64EncodedString())
        #expect(part.headers["x-amz-content-sha256"]?.count == 64)
        #expect(part.headers["authorization"]?.contains("Credential=AKID/") == true)
        #expect(part.target.hasPrefix("/scripted-bucket/pre/x.sql.gz?"))
    }

    @Test func smallPutRetriedOnServerError() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.script(.put, times: 2, .error(status: 503, code: "SlowDown"))
        try Self.store(server).putSmall(key: "m.json", data: [1, 2, 3], ifAbsent: false)
        #expect(server.object == [1, 2, 3])
        #expect(server.count(.put) == 3)
    }

    @Test func connectionResetMidPartIsRetried() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.script(.part(2), .resetDuringRequest(bodyBytes: 1 << 20))
        let info = try TestStores.upload(try Self.store(server), key: "x.sql.gz", data: Self.data)
        #expect(info.size == Int64(Self.data.count))
        #expect(server.object == Self.data)
        #expect(server.count(.part(2)) == 2)
        #expect(server.openUploads.isEmpty)
    }

    @Test func forbiddenIsNotRetriedAndTheUploadIsAborted() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.script(.part(1), times: 100, .error(status: 403, code: "AccessDenied"))
        let store = try Self.store(server)
        let error = #expect(throws: DRDError.self) { _ = try TestStores.upload(store, key: "x.sql.gz", data: Self.data) }
        #expect(error?.code == .permission)
        #expect(error?.message.contains("AccessDenied") == true)
        #expect(error?.message.contains("part 1") == true)
        #expect(error?.hint?.contains("s3:PutObject") == true)
        #expect(error?.description.contains("not-a-real-secret") == false)
        #expect(server.count(.part(1)) == 1)
        #expect(server.count(.abort) == 1)
        #expect(server.count(.complete) == 0)
        #expect(server.openUploads.isEmpty)
    }

    @Test func signatureMismatchHasAHint() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.script(.put, times: 1, .error(status: 403, code: "SignatureDoesNotMatch"))
        let error = #expect(throws: DRDError.self) { try Self.store(server).putSmall(key: "a", data: [1], ifAbsent: false) }
        #expect(error?.hint?.contains("secret access key") == true)
        #expect(server.count(.put) == 1)
        server.script(.put, times: 10, .error(status: 403, code: "RequestTimeTooSkewed"))
        let skew = #expect(throws: DRDError.self) { try Self.store(server).putSmall(key: "a", data: [1], ifAbsent: false) }
        #expect(skew?.hint?.contains("clock") == true)
    }

    @Test func stalledReplyTimesOut() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        // The parts go up, then the completion reply never comes (curl's low-speed limit: 1 s here).
        server.script(.complete, times: 10, .stall(seconds: 8))
        let store = try Self.store(server, attempts: 2)
        let started = Date()
        let error = #expect(throws: DRDError.self) { _ = try TestStores.upload(store, key: "x.sql.gz", data: Self.data) }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("timed out") == true)
        #expect(error?.message.contains("after 2 attempts") == true)
        #expect(Date().timeIntervalSince(started) < 7)
        #expect(server.count(.complete) == 2)
        #expect(server.count(.abort) == 1)
        #expect(server.openUploads.isEmpty)
    }

    @Test func stalledDownloadTimesOut() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.setObject([1, 2, 3])
        server.script(.get, times: 10, .stall(seconds: 8))
        let started = Date()
        let error = #expect(throws: DRDError.self) { _ = try Self.store(server, attempts: 2).get(key: "x") }
        #expect(error?.code == .timeout)
        #expect(Date().timeIntervalSince(started) < 7)
    }

    @Test func completionWhoseReplyWasLostIsNotAFailure() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        // The store completes the upload but the reply is cut; the retry then finds no upload.
        server.script(.complete, .resetDuringReply(bodyBytes: 5))
        let info = try TestStores.upload(try Self.store(server), key: "x.sql.gz", data: Self.data)
        #expect(info.size == Int64(Self.data.count))
        #expect(server.count(.complete) == 2)
        #expect(server.count(.abort) == 0)
    }

    @Test func failedSinglePutLeavesNothing() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.script(.put, times: 100, .error(status: 500, code: "InternalError"))
        let store = try Self.store(server, attempts: 3)
        let error = #expect(throws: DRDError.self) { _ = try TestStores.upload(store, key: "small", data: [1, 2, 3]) }
        #expect(error?.message.contains("after 3 attempts") == true)
        #expect(server.count(.put) == 3)
        #expect(server.count(.createUpload) == 0)
    }

    @Test func brokenDownloadResumesFromTheLastByte() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        server.setObject(Self.data)
        // The first window's reply breaks after 300,000 bytes; the second after 10.
        server.script(.get, .resetDuringReply(bodyBytes: 300_000))
        server.script(.get, .resetDuringReply(bodyBytes: 10))
        let got = try TestStores.readAll(Self.store(server).get(key: "x.sql.gz"))
        #expect(got == Self.data)
        let ranges = server.log.filter { $0.kind == .get }.compactMap { $0.headers["range"] }
        #expect(ranges.prefix(3) == ["bytes=0-1048575", "bytes=300000-1048575", "bytes=300010-1048575"])
        // Resumed requests are pinned to the object version first seen.
        #expect(server.log.filter { $0.kind == .get }.dropFirst().allSatisfy { $0.headers["if-match"] == "\"obj\"" })
    }

    @Test func partLayoutIsEqualAndFollowsTheSizeHint() throws {
        let server = try ScriptedS3Server()
        defer { server.stop() }
        let store = try Self.store(server)
        // No hint: 5 MiB parts (the test setting), all equal but the last.
        _ = try TestStores.upload(store, key: "a", data: Self.data)
        let parts = server.log.filter { if case .part = $0.kind { return true } else { return false } }
        #expect(parts.map(\.bodyCount).sorted() == [2 << 20 + 1, 5 << 20, 5 << 20])
        // A 100 GiB hint needs parts of at least 100 GiB / 9,000 → 12 MiB.
        let data = TestStores.bytes(30 << 20, seed: 3)
        let upload = try store.beginUpload(key: "b", sizeHint: 100 << 30)
        try upload.write(data)
        try upload.commit()
        #expect(server.object == data)
        let hinted = server.log.filter { if case .part = $0.kind { return true } else { return false } }.dropFirst(3)
        #expect(hinted.map(\.bodyCount).sorted() == [6 << 20, 12 << 20, 12 << 20])
    }
}
