import Foundation
@testable import Storage
import Support
import TestHelpers
import Testing

@Suite struct StoreConfigTests {
    @Test func parsesStoreURLs() throws {
        #expect(try StoreURL.parse("s3://bucket") == .s3(bucket: "bucket", prefix: ""))
        #expect(try StoreURL.parse("s3://bucket/") == .s3(bucket: "bucket", prefix: ""))
        #expect(try StoreURL.parse("s3://my.bucket/a/b/") == .s3(bucket: "my.bucket", prefix: "a/b/"))
        #expect(try StoreURL.parse("s3://b-1/prod") == .s3(bucket: "b-1", prefix: "prod/"))
        #expect(try StoreURL.parse("file:///var/backups/") == .file(path: "/var/backups"))
        #expect(try StoreURL.parse("file://localhost/srv/x") == .file(path: "/srv/x"))
        #expect(try StoreURL.parse("/srv/with%20space") == .file(path: "/srv/with%20space"))
        #expect(try StoreURL.parse("file:///srv/with%20space") == .file(path: "/srv/with space"))
        #expect(StoreURL.s3(bucket: "b", prefix: "p/").description == "s3://b/p/")
        #expect(StoreURL.file(path: "/x").description == "file:///x")
        for bad in ["s3://", "s3://ab/x", "gs://bucket/x", "relative/path", "s3://bad bucket/x", "s3://b-1/a//b"] {
            let error = #expect(throws: DRDError.self, "\(bad)") { _ = try StoreURL.parse(bad) }
            #expect(error?.code == .config)
        }
    }

    @Test func locatesSingleObjects() throws {
        let s3 = try Store.locate("s3://bucket/dir/sub/x.sql.gz")
        #expect(s3 == ObjectLocation(store: .s3(bucket: "bucket", prefix: "dir/sub/"), key: "x.sql.gz"))
        #expect(try Store.locate("s3://bucket/x.sql.gz") == ObjectLocation(store: .s3(bucket: "bucket", prefix: ""), key: "x.sql.gz"))
        #expect(try Store.locate("/tmp/x.sql.gz") == ObjectLocation(store: .file(path: "/tmp"), key: "x.sql.gz"))
        #expect(try Store.locate("file:///tmp/a/x.sql.gz") == ObjectLocation(store: .file(path: "/tmp/a"), key: "x.sql.gz"))
        #expect(try Store.locate("x.sql.gz", currentDirectory: "/home/u") == ObjectLocation(store: .file(path: "/home/u"), key: "x.sql.gz"))
        #expect(try Store.locate("../b/x.sql.gz", currentDirectory: "/home/u") == ObjectLocation(store: .file(path: "/home/b"), key: "x.sql.gz"))
        #expect(try Store.locate("-").isStandardStream)
        for bad in ["s3://bucket", "s3://bucket/", "s3://bucket/dir/", "/tmp/"] {
            #expect(throws: DRDError.self, "\(bad)") { _ = try Store.locate(bad) }
        }
    }

    @Test func openObjectRoundTripsThroughAFileStore() throws {
        let dir = try TestEnv.tempDirectory("locate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, key) = try Store.openObject(dir.path + "/out/x.sql.gz")
        try store.putSmall(key: key, data: [9], ifAbsent: false)
        try store.putSmall(key: "x.manifest.json", data: [8], ifAbsent: false)   // beside it
        #expect(FileManager.default.fileExists(atPath: dir.path + "/out/x.sql.gz"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/out/x.manifest.json"))
        #expect(throws: DRDError.self) { _ = try Store.openObject("-") }
    }

    @Test func credentialChainOrder() throws {
        let dir = try TestEnv.tempDirectory("creds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("credentials").path
        try """
        [default]
        aws_access_key_id = AKIDFILE
        aws_secret_access_key = secretfile
        region = eu-west-3

        [profile other]
        aws_access_key_id=AKIDOTHER
        aws_secret_access_key=secretother
        aws_session_token=tok
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let credDir = dir.appendingPathComponent("systemd").path
        try FileManager.default.createDirectory(atPath: credDir, withIntermediateDirectories: true)
        try "AKIDSYSTEMD\n".write(toFile: credDir + "/aws_access_key_id", atomically: true, encoding: .utf8)
        try "secretsystemd\n".write(toFile: credDir + "/aws_secret_access_key", atomically: true, encoding: .utf8)

        let s = StoreSettings()
        var env = ["AWS_SHARED_CREDENTIALS_FILE": file]
        var c = try s.resolveS3(bucket: "bkt", prefix: "", environment: env)
        #expect(c.credentials.accessKeyID == "AKIDFILE")
        #expect(c.region == "eu-west-3")
        #expect(c.pathStyle == false)
        #expect(c.hostHeader == "bkt.s3.eu-west-3.amazonaws.com")
        #expect(c.scheme == "https")

        env["AWS_PROFILE"] = "other"
        c = try s.resolveS3(bucket: "bkt", prefix: "", environment: env)
        #expect(c.credentials == AWSCredentials(accessKeyID: "AKIDOTHER", secretAccessKey: "secretother", sessionToken: "tok",
                                                source: "credentials file profile other"))
        #expect(c.region == "us-east-1")

        env["CREDENTIALS_DIRECTORY"] = credDir
        c = try s.resolveS3(bucket: "bkt", prefix: "", environment: env)
        #expect(c.credentials.accessKeyID == "AKIDSYSTEMD")
        #expect(c.credentials.secretAccessKey == "secretsystemd")

        env["AWS_ACCESS_KEY_ID"] = "AKIDENV"
        env["AWS_SECRET_ACCESS_KEY"] = "secretenv"
        env["AWS_SESSION_TOKEN"] = "envtok"
        env["AWS_REGION"] = "ap-south-1"
        c = try s.resolveS3(bucket: "bkt", prefix: "", environment: env)
        #expect(c.credentials.accessKeyID == "AKIDENV")
        #expect(c.credentials.sessionToken == "envtok")
        #expect(c.region == "ap-south-1")

        // Config values override the environment.
        let configured = try StoreSettings.fromConfig([
            "region": "eu-north-1", "endpoint": "https://minio.example:9000", "access_key_id": "AKIDCONF",
            "secret_access_key": "secretconf", "sse": "aws:kms", "sse_kms_key_id": "key-1", "storage_class": "STANDARD_IA",
            "part_size": "16MiB", "upload_concurrency": "2", "equal_parts": "true",
        ])
        c = try configured.resolveS3(bucket: "bkt", prefix: "p/", environment: env)
        #expect(c.credentials.accessKeyID == "AKIDCONF")
        #expect(c.region == "eu-north-1")
        #expect(c.pathStyle)
        #expect(c.hostHeader == "minio.example:9000")
        #expect(configured.sse == .kms(keyID: "key-1"))
        #expect(configured.partSize == 16 << 20)
        #expect(configured.equalParts)
        #expect(!c.credentials.description.contains("secretconf"))

        // Explicit path_style = false wins for custom endpoints too (e.g. virtual-hosted R2 / MinIO).
        var virtual = configured
        virtual.pathStyle = false
        #expect(try virtual.resolveS3(bucket: "bkt", prefix: "", environment: env).hostHeader == "bkt.minio.example:9000")

        // AWS_ENDPOINT_URL → path style.
        c = try s.resolveS3(bucket: "bkt", prefix: "", environment: env.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:9000"]) { $1 })
        #expect(c.pathStyle && c.scheme == "http" && c.port == 9000)
    }

    @Test func credentialErrorsAreClear() throws {
        let missing = #expect(throws: DRDError.self) {
            _ = try StoreSettings().resolveS3(bucket: "bkt", prefix: "", environment: ["HOME": "/nonexistent"])
        }
        #expect(missing?.code == .config)
        #expect(missing?.hint?.contains("AWS_ACCESS_KEY_ID") == true)
        let half = #expect(throws: DRDError.self) {
            _ = try StoreSettings().resolveS3(bucket: "bkt", prefix: "", environment: ["AWS_ACCESS_KEY_ID": "AKID"])
        }
        #expect(half?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
        for bad in [["sse": "rot13"], ["part_size": "1MiB"], ["path_style": "maybe"], ["bogus": "1"], ["access_key_id": "x"]] {
            #expect(throws: DRDError.self, "\(bad)") { _ = try StoreSettings.fromConfig(bad) }
        }
    }

    @Test func partSizeRule() {
        let sizer = PartSizer(base: 8 << 20, equalParts: false)
        #expect(sizer.size(ofPart: 1) == 8 << 20)
        #expect(sizer.size(ofPart: 5_000) == 8 << 20)
        #expect(sizer.size(ofPart: 5_001) == 16 << 20)
        #expect(sizer.size(ofPart: 5_501) == 32 << 20)
        #expect(sizer.size(ofPart: 10_001) == nil)
        // Any stream up to S3's 5 TiB object limit fits in 10,000 parts.
        let total = (1...10_000).reduce(Int64(0)) { $0 + Int64(sizer.size(ofPart: $1) ?? 0) }
        #expect(total >= 5 << 40)
        #expect((1...10_000).allSatisfy { (sizer.size(ofPart: $0) ?? 0) <= 5 << 30 })

        let equal = PartSizer(base: 8 << 20, equalParts: true)
        #expect(equal.size(ofPart: 9_999) == 8 << 20)
        // A size hint raises the (equal) part size: 1 TiB → ~117 MiB parts, under 9,000 parts.
        let hinted = PartSizer(settings: StoreSettings(equalParts: true), sizeHint: 1 << 40)
        #expect(hinted.base % (1 << 20) == 0)
        #expect(Int64(hinted.base) * 9_000 >= 1 << 40)
        #expect(PartSizer(settings: StoreSettings(), sizeHint: 100).base == 8 << 20)
        #expect(PartSizer(base: 1, equalParts: false).base == 5 << 20)
    }

    @Test func retryBackoffIsBoundedJitter() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 0.5, maxDelay: 3)
        for attempt in 1...8 {
            let d = policy.delay(beforeRetry: attempt)
            #expect(d >= 0 && d <= min(3, 0.5 * pow(2, Double(attempt - 1))))
        }
    }

    @Test func errorRepliesAreParsed() {
        let body = Array("""
        <?xml version="1.0" encoding="UTF-8"?>
        <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>x</BucketName><RequestId>4442587FB7D0A2F9</RequestId></Error>
        """.utf8)
        let reply = S3ErrorReply(status: 404, body: body, headers: [:])
        #expect(reply.code == "NoSuchBucket")
        #expect(reply.requestID == "4442587FB7D0A2F9")
        let error = reply.error(operation: "put of 'a' on s3://x/")
        #expect(error.message == "put of 'a' on s3://x/ failed: NoSuchBucket (The specified bucket does not exist) [http 404, request id 4442587FB7D0A2F9]")
        #expect(error.hint?.contains("create the bucket") == true)
        let empty = S3ErrorReply(status: 503, body: [], headers: ["x-amz-request-id": "R1"])
        #expect(empty.code == "ServiceUnavailable" && empty.requestID == "R1")
        #expect(S3Client.isRetryable(empty))
        #expect(!S3Client.isRetryable(S3ErrorReply(status: 403, body: [], headers: [:])))
        #expect(S3Client.isRetryable(S3ErrorReply(status: 400, body: Array("<Error><Code>RequestTimeout</Code></Error>".utf8), headers: [:])))
        #expect(XMLElement.escape("a<b>&'\"") == "a&lt;b&gt;&amp;&apos;&quot;")
    }

    @Test func fileStoreRefusesEscapingKeys() throws {
        let dir = try TestEnv.tempDirectory("escape")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try FileStore(root: dir.path)
        for bad in ["../x", "/etc/passwd", "a//b", "a/./b", ""] {
            #expect(throws: DRDError.self, "\(bad)") { try store.putSmall(key: bad, data: [1], ifAbsent: false) }
        }
        // A crashed writer's temp file is a pending upload, hidden from list, and removable.
        let upload = try store.beginUpload(key: "a/b.sql.gz")
        try upload.write([1, 2, 3])
        #expect(try store.list(prefix: "").isEmpty)
        let pending = try store.pendingUploads(prefix: "a/")
        #expect(pending.map(\.key) == ["a/b.sql.gz"])
        #expect(pending.first?.uploadID.hasPrefix("a/.b.sql.gz.upload-") == true)
        try store.abortUpload(try #require(pending.first))
        #expect(try store.pendingUploads(prefix: "").isEmpty)
    }
}
