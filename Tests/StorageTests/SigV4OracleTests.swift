import Foundation
import Storage
import Support
import TestHelpers
import Testing

/// botocore's `S3SigV4Auth` as an oracle (scripts/sigv4_oracle.py): 240 generated S3 requests —
/// keys with spaces, unicode, `+ = & ~ %`, `?uploads`, `partNumber`/`uploadId`, `list-type=2&prefix=…`,
/// session tokens, signed and unsigned payloads — must get the same Authorization header.
@Suite struct SigV4OracleTests {
    static var hasBotocore: Bool {
        (try? Shell.run(["python3", "-c", "import botocore"], check: false).status) == 0
    }

    @Test(.enabled(if: SigV4OracleTests.hasBotocore))
    func matchesBotocore() throws {
        let script = TestEnv.repoRoot.appendingPathComponent("scripts/sigv4_oracle.py").path
        let output = try Shell.run(["python3", script, "240", "7"]).stdout
        let items = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        #expect(items.count == 240)
        let formatter = ISO8601DateFormatter()
        var mismatches = 0
        for item in items {
            let pairs = { (key: String) -> [(String, String)] in
                (item[key] as? [[String]] ?? []).map { ($0[0], $0.count > 1 ? $0[1] : "") }
            }
            let creds = AWSCredentials(accessKeyID: item["accessKey"] as? String ?? "",
                                       secretAccessKey: item["secretKey"] as? String ?? "",
                                       sessionToken: item["token"] as? String)
            let signer = SigV4Signer(credentials: creds, region: item["region"] as? String ?? "")
            let request = SigV4Request(method: item["method"] as? String ?? "", path: item["path"] as? String ?? "",
                                       query: pairs("query"), headers: pairs("headers"))
            let date = try #require(formatter.date(from: item["date"] as? String ?? ""))
            let signed = signer.sign(request, date: date, payloadHash: item["payloadHash"] as? String ?? "")
            if signed.authorization != item["authorization"] as? String {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("mismatch for \(item["method"] ?? "") \(item["path"] ?? "") \(item["query"] ?? ""):\n\(signed.canonicalRequest)")
                }
            }
        }
        #expect(mismatches == 0)
    }
}
