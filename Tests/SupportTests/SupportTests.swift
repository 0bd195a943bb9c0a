import Foundation
import Support
import Testing

@Suite struct RedactTests {
    @Test func conninfoPasswordsAreHidden() {
        #expect(Redact.conninfo("host=db user=app password=s3cret dbname=x") == "host=db user=app password=*** dbname=x")
        #expect(Redact.conninfo("host=db password = 's3 cret' dbname=x") == "host=db password = *** dbname=x")
        #expect(Redact.conninfo("postgresql://app:s3cret@db:5432/x?sslmode=require") == "postgresql://app:***@db:5432/x?sslmode=require")
        #expect(Redact.conninfo("postgresql://db/x?password=s3cret&sslmode=require") == "postgresql://db/x?password=***&sslmode=require")
    }

    @Test func secretKeysAreHidden() {
        let line = "aws_secret_access_key=AbC/123 region=eu X-Amz-Security-Token: tok123"
        let out = Redact.keyValues(line)
        #expect(!out.contains("AbC/123"))
        #expect(!out.contains("tok123"))
        #expect(out.contains("region=eu"))
    }

    @Test func wordsThatMerelyContainAKeyAreKept() {
        #expect(Redact.keyValues("mypassword=1") == "mypassword=1")
        #expect(Redact.keyValues("no secrets here") == "no secrets here")
    }
}

@Suite struct TimeTests {
    @Test func durations() {
        #expect(DurationText.parse("30d") == TimeInterval(30 * 86_400))
        #expect(DurationText.parse("1h30m") == 5_400)
        #expect(DurationText.parse("45s") == 45)
        #expect(DurationText.parse("2w") == TimeInterval(14 * 86_400))
        #expect(DurationText.parse("") == nil)
        #expect(DurationText.parse("10") == nil)
        #expect(DurationText.parse("1x") == nil)
        #expect(DurationText.format(5_400) == "1h30m")
        #expect(DurationText.format(0) == "0s")
    }

    @Test func timestampsRoundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_795_230_000)  // 2026-11-21T03:00:00Z
        #expect(Timestamp.iso8601(date) == "2026-11-21T03:00:00Z")
        #expect(Timestamp.compact(date) == "20261121T030000Z")
        #expect(Timestamp.parse("2026-11-21T03:00:00Z") == date)
        #expect(Timestamp.parse("20261121T030000Z") == date)
        #expect(Timestamp.parse("2026-11-21T03:00:00.250Z") == date.addingTimeInterval(0.25))
        #expect(Timestamp.parse("yesterday") == nil)
    }

    @Test func backupIDsSortByTimeAndAreUnique() {
        let early = BackupID.make(at: Date(timeIntervalSince1970: 1_000_000_000))
        let late = BackupID.make(at: Date(timeIntervalSince1970: 1_000_000_060))
        #expect(early < late)
        #expect(BackupID.isValid(early))
        #expect(!BackupID.isValid("20261121T030000Z"))
        #expect(BackupID.date(of: late) == Date(timeIntervalSince1970: 1_000_000_060))
        let many = Set((0..<200).map { _ in BackupID.make(at: Date(timeIntervalSince1970: 0)) })
        #expect(many.count > 150)  // 16 random bits per second: collisions are rare, not impossible
    }
}

@Suite struct DigestTests {
    @Test func sha256KnownVectors() {
        #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingMatchesOneShot() {
        let data = (0..<100_000).map { UInt8($0 % 251) }
        let hasher = SHA256Hasher()
        for start in stride(from: 0, to: data.count, by: 7_777) {
            hasher.update(data[start..<min(start + 7_777, data.count)])
        }
        #expect(hasher.finalizeHex() == Digest.sha256Hex(data))
    }

    @Test func hmacRFC4231Case2() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func md5AndHex() {
        #expect(Hex.encode(Digest.md5(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Hex.decode("00ff10") == [0, 255, 16])
        #expect(Hex.decode("0g") == nil)
    }
}

@Suite struct ParallelTests {
    @Test func firstRealErrorWinsAndOthersAreCancelled() {
        let token = CancellationToken()
        #expect(throws: DRDError.self) {
            try Parallel.run(3, token: token) { index in
                if index == 1 { throw DRDError(.query, "worker 1 failed") }
                for _ in 0..<200 { try token.check(); Thread.sleep(forTimeInterval: 0.005) }
            }
        }
        #expect(token.isCancelled)
    }
}
