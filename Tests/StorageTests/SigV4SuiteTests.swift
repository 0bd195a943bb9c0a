import Foundation
import Storage
import Support
import TestHelpers
import Testing

/// AWS's official SigV4 vectors (../shared/sigv4-test-suite/v4), header-signing variant.
///
/// Every case in the directory is run in generic mode (the suite targets a generic service, not S3).
/// The `query-*` (presigned URL) variants are not checked: drd never presigns URLs.
@Suite struct SigV4SuiteTests {
    static var suiteDir: URL { TestEnv.sharedDir.appendingPathComponent("sigv4-test-suite/v4") }

    static var cases: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: suiteDir.path))?.sorted() ?? []
    }

    struct Vector {
        var request: SigV4Request
        var body: [UInt8]
        var credentials: AWSCredentials
        var region: String
        var service: String
        var normalize: Bool
        var signBody: Bool
        var omitToken: Bool
        var date: Date
    }

    static func load(_ name: String) throws -> Vector {
        let dir = suiteDir.appendingPathComponent(name)
        let raw = try Data(contentsOf: dir.appendingPathComponent("request.txt"))
        let text = String(decoding: raw, as: UTF8.self)
        // Split head and body at the first empty line.
        var lines = text.components(separatedBy: "\n")
        var body: [UInt8] = []
        if let blank = lines.firstIndex(of: "") {
            body = Array(lines[(blank + 1)...].joined(separator: "\n").utf8)
            lines = Array(lines[..<blank])
        }
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        var target = String(requestLine.dropFirst(method.count + 1))
        if let r = target.range(of: " HTTP/", options: .backwards) { target = String(target[..<r.lowerBound]) }
        var path = target
        var query: [(String, String)] = []
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            for item in target[target.index(after: q)...].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((SigV4Signer.decode(String(pair[0])), pair.count > 1 ? SigV4Signer.decode(String(pair[1])) : ""))
            }
        }
        var headers: [(String, String)] = []
        for line in lines {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].1 += " " + line
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        let ctxData = try Data(contentsOf: dir.appendingPathComponent("context.json"))
        let ctx = try #require(try JSONSerialization.jsonObject(with: ctxData) as? [String: Any])
        let creds = try #require(ctx["credentials"] as? [String: Any])
        let stamp = try #require(ctx["timestamp"] as? String)
        let formatter = ISO8601DateFormatter()
        return Vector(
            request: SigV4Request(method: method, path: path, query: query, headers: headers),
            body: body,
            credentials: AWSCredentials(accessKeyID: creds["access_key_id"] as? String ?? "",
                                        secretAccessKey: creds["secret_access_key"] as? String ?? "",
                                        sessionToken: creds["token"] as? String),
            region: ctx["region"] as? String ?? "", service: ctx["service"] as? String ?? "",
            normalize: ctx["normalize"] as? Bool ?? true, signBody: ctx["sign_body"] as? Bool ?? false,
            omitToken: ctx["omit_session_token"] as? Bool ?? false,
            date: try #require(formatter.date(from: stamp)))
    }

    @Test func suiteIsPresent() {
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: SigV4SuiteTests.cases)
    func vector(_ name: String) throws {
        let v = try Self.load(name)
        let dir = Self.suiteDir.appendingPathComponent(name)
        func expected(_ file: String) throws -> String {
            try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                .trimmingCharacters(in: .newlines)
        }
        let signer = SigV4Signer(credentials: v.credentials, region: v.region, service: v.service,
                                 mode: .generic(normalizePath: v.normalize))
        let signed = signer.sign(v.request, date: v.date, payloadHash: Digest.sha256Hex(v.body),
                                 sendPayloadHash: v.signBody, signSessionToken: !v.omitToken)
        #expect(signed.canonicalRequest == (try expected("header-canonical-request.txt")), "\(name)")
        #expect(signed.stringToSign == (try expected("header-string-to-sign.txt")), "\(name)")
        #expect(signed.signature == (try expected("header-signature.txt")), "\(name)")
        let signedRequest = try expected("header-signed-request.txt")
        #expect(signedRequest.contains("Authorization:" + signed.authorization), "\(name)")
    }

    @Test func s3ModeDoesNotNormaliseOrDoubleEncode() {
        let creds = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret")
        let signer = SigV4Signer(credentials: creds, region: "us-east-1")
        let request = SigV4Request(method: "GET", path: "/bucket/a/../b c%d//e",
                                   headers: [("Host", "s3.amazonaws.com")])
        let signed = signer.sign(request, date: Date(timeIntervalSince1970: 0))
        let lines = signed.canonicalRequest.components(separatedBy: "\n")
        #expect(lines[1] == "/bucket/a/../b%20c%25d//e")
        #expect(signed.canonicalRequest.contains("x-amz-content-sha256:" + SigV4Signer.emptyPayloadHash))
    }

    @Test func unsignedPayloadAndToken() {
        let creds = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "tok")
        let signer = SigV4Signer(credentials: creds, region: "eu-west-1")
        let signed = signer.sign(SigV4Request(method: "PUT", path: "/k", headers: [("Host", "b.s3.amazonaws.com")]),
                                 date: Date(timeIntervalSince1970: 1_700_000_000), payloadHash: SigV4Signer.unsignedPayload)
        #expect(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        #expect(signed.headers.contains { $0.0 == "X-Amz-Security-Token" && $0.1 == "tok" })
        #expect(signed.authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"))
        #expect(signed.authorization.contains("/20231114/eu-west-1/s3/aws4_request"))
        #expect(!signed.authorization.contains("secret"))
    }
}
