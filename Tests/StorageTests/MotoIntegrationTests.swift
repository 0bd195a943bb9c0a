#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Storage
import Support
import Synchronization
import TestHelpers
import Testing

/// S3Store against moto_server: big multipart streams checked with the aws CLI, pagination,
/// batch delete, and moto's signature checking.
@Suite(.enabled(if: TestEnv.hasS3), .serialized)
struct MotoIntegrationTests {
    static var awsEnv: [String: String] {
        ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
         "AWS_PAGER": ""]
    }

    @Test func bigStreamInSeveralPartsDownloadsWithAwsCli() throws {
        var settings = StoreSettings(uploadConcurrency: 3)
        settings.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.01)
        let (store, cleanup) = try TestStores.make("s3", settings: settings)
        defer { cleanup() }
        let s3 = try #require(store as? S3Store)
        let data = TestStores.bytes(42 << 20 + 4_321)
        let info = try TestStores.upload(store, key: "big/x.sql.gz", data: data, chunk: 1 << 20)
        #expect(info.size == Int64(data.count))
        // 8 MiB parts: 5 full + 1 trailing → multipart ETag "…-6".
        let head = try #require(try store.head(key: "big/x.sql.gz"))
        #expect(head.etag?.hasSuffix("-6\"") == true, "etag \(head.etag ?? "nil")")
        #expect(try store.pendingUploads(prefix: "").isEmpty)

        let dir = try TestEnv.tempDirectory("awscp")
        defer { try? FileManager.default.removeItem(at: dir) }
        let local = dir.appendingPathComponent("x.sql.gz").path
        try Shell.run(["aws", "--endpoint-url", TestEnv.s3Endpoint ?? "", "s3", "cp",
                       "s3://\(s3.config.bucket)/some/prefix/big/x.sql.gz", local], environment: Self.awsEnv)
        let downloaded = try Data(contentsOf: URL(fileURLWithPath: local))
        #expect(Digest.sha256Hex(downloaded) == Digest.sha256Hex(data))
        // And drd's own ranged, windowed reader.
        #expect(try TestStores.readAll(store.get(key: "big/x.sql.gz")) == data)
    }

    @Test func listingPastOneThousandAndBatchDelete() throws {
        let (store, cleanup) = try TestStores.make("s3")
        defer { cleanup() }
        let keys = (0..<1_050).map { String(format: "many/k%05d", $0) }
        try Parallel.run(4) { worker in
            for (i, key) in keys.enumerated() where i % 4 == worker {
                try store.putSmall(key: key, data: [UInt8(i & 0xff)], ifAbsent: false)
            }
        }
        try store.putSmall(key: "other/z", data: [1], ifAbsent: false)
        let listed = try store.list(prefix: "many/")
        #expect(listed.count == 1_050)
        #expect(listed.map(\.key) == keys)
        let failed = try store.delete(keys: keys)
        #expect(failed.isEmpty)
        #expect(try store.list(prefix: "many/").isEmpty)
        #expect(try store.list(prefix: "").map(\.key) == ["other/z"])
        #expect(try store.pendingUploads(prefix: "").isEmpty)
    }

    @Test func multipartUploadsAreListedAcrossKeys() throws {
        let (store, cleanup) = try TestStores.make("s3")
        defer { cleanup() }
        let a = try store.beginUpload(key: "u/a")
        let b = try store.beginUpload(key: "u/b")
        let chunk = TestStores.bytes(5 << 20 + 1)
        try a.write(chunk)
        try b.write(chunk)
        let pending = try store.pendingUploads(prefix: "u/")
        #expect(Set(pending.map(\.key)) == ["u/a", "u/b"])
        a.abort()
        #expect(try store.pendingUploads(prefix: "u/").map(\.key) == ["u/b"])
        try b.commit()
        #expect(try store.pendingUploads(prefix: "").isEmpty)
        #expect(try store.head(key: "u/b")?.size == Int64(chunk.count))
    }

    @Test func virtualHostedAddressing() throws {
        // curl resolves *.localhost to loopback, so bucket.localhost reaches moto.
        guard let port = URLComponents(string: TestEnv.s3Endpoint ?? "")?.port else { return }
        var settings = TestStores.smallParts
        settings.pathStyle = false
        let (store, cleanup) = try TestStores.make("s3", settings: settings, endpoint: "http://localhost:\(port)")
        defer { cleanup() }
        let s3 = try #require(store as? S3Store)
        #expect(s3.config.hostHeader == "\(s3.config.bucket).localhost:\(port)")
        let data = TestStores.bytes(6 << 20)
        _ = try TestStores.upload(store, key: "v/a b.bin", data: data)
        #expect(try TestStores.readAll(store.get(key: "v/a b.bin")) == data)
        #expect(try store.list(prefix: "v/").map(\.key) == ["v/a b.bin"])
        #expect(try store.delete(keys: ["v/a b.bin"]).isEmpty)
        #expect(try store.pendingUploads(prefix: "").isEmpty)
    }

    // MARK: signature checking (a separate moto_server with authentication on)

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw DRDError(.io, "no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static var hasMotoServer: Bool {
        TestEnv.hasS3 && (try? Shell.run(["which", "moto_server"], check: false).status) == 0
    }

    @Test(.enabled(if: MotoIntegrationTests.hasMotoServer))
    func wrongSecretIsReportedClearly() throws {
        let port = try Self.freePort()
        let endpoint = "http://127.0.0.1:\(port)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", "\(port)"]
        var env = ProcessInfo.processInfo.environment
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // SIGKILL: moto_server's SIGTERM handling can wait on open connections.
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        var up = false
        for _ in 0..<100 {
            if (try? Shell.run(["curl", "-s", "-o", "/dev/null", endpoint + "/moto-api/"], check: false).status) == 0 { up = true; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        try #require(up, "moto_server did not start on \(endpoint)")
        // Let three IAM calls through unauthenticated to create a user and its key, then enforce.
        try Shell.run(["curl", "-sf", "-X", "POST", "-H", "Content-Type: text/plain", "--data", "3",
                       endpoint + "/moto-api/reset-auth"])
        let aws = ["aws", "--endpoint-url", endpoint, "--output", "json", "iam"]
        try Shell.run(aws + ["create-user", "--user-name", "drd"], environment: Self.awsEnv)
        try Shell.run(aws + ["put-user-policy", "--user-name", "drd", "--policy-name", "all", "--policy-document",
                             #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#],
                      environment: Self.awsEnv)
        let keyJSON = try Shell.run(aws + ["create-access-key", "--user-name", "drd"], environment: Self.awsEnv).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(keyJSON.utf8)) as? [String: Any])
        let accessKey = try #require(object["AccessKey"] as? [String: Any])
        let id = try #require(accessKey["AccessKeyId"] as? String)
        let secret = try #require(accessKey["SecretAccessKey"] as? String)

        var settings = TestStores.smallParts
        settings.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0.01)
        // Right secret: works (plain keys only: moto mis-verifies percent-encoded paths).
        let good = try TestStores.make("s3", settings: settings, endpoint: endpoint,
                                       environment: ["AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret])
        defer { good.cleanup() }
        try good.store.putSmall(key: "plain-key.txt", data: [1, 2, 3], ifAbsent: false)
        #expect(try good.store.getAll(key: "plain-key.txt") == [1, 2, 3])

        // Wrong secret: a clear, non-retried error that names the problem and never the secret.
        let badSecret = "wrong-secret-\(UUID().uuidString)"
        guard let s3 = good.store as? S3Store else { return }
        var badConfig = s3.config
        badConfig.credentials = AWSCredentials(accessKeyID: id, secretAccessKey: badSecret, source: "test")
        let bad = try S3Store(config: badConfig)
        let error = #expect(throws: DRDError.self) { try bad.putSmall(key: "plain-key-2.txt", data: [1], ifAbsent: false) }
        #expect(error?.message.contains("SignatureDoesNotMatch") == true, "\(error?.description ?? "")")
        #expect(error?.hint?.contains("secret") == true)
        #expect(error?.description.contains(badSecret) == false)
        #expect(error?.description.contains(secret) == false)
        #expect(error?.code == .permission)

        // Unknown access key: also clear.
        badConfig.credentials = AWSCredentials(accessKeyID: "AKIAUNKNOWNKEY000000", secretAccessKey: badSecret)
        let unknown = #expect(throws: DRDError.self) { _ = try S3Store(config: badConfig).list(prefix: "") }
        #expect(unknown?.message.contains("InvalidAccessKeyId") == true, "\(unknown?.description ?? "")")
    }
}
