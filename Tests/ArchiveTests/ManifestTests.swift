import Foundation
import Support
import Testing
@testable import Archive

@Suite struct ManifestTests {
    @Test func roundTripAndStableOutput() throws {
        let (_, manifest, _) = try Fixtures.artifact()
        let bytes = try manifest.encoded()
        let decoded = try Manifest.decode(bytes, source: "nightly/x.manifest.json")
        #expect(decoded == manifest)
        #expect(try decoded.encoded() == bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"snapshotTime\" : \"2026-11-21T03:00:00.123Z\""))
        #expect(text.contains("\"completedTime\" : \"2026-11-21T03:01:00.500Z\""))
        #expect(text.contains("\"section\" : \"pre-data\""))
        #expect(text.contains("\"formatVersion\" : 1"))
        #expect(text.hasSuffix("}\n"))
        // Keys are sorted: backupID comes before compressLevel before database.
        let b = try #require(text.range(of: "\"backupID\"")), c = try #require(text.range(of: "\"compressLevel\""))
        #expect(b.lowerBound < c.lowerBound)
    }

    @Test func keyForObjectKey() {
        #expect(Manifest.key(forObjectKey: "x/ID.sql.gz") == "x/ID.manifest.json")
        #expect(Manifest.key(forObjectKey: "20261121T030000Z-7f3a.sql.gz") == "20261121T030000Z-7f3a.manifest.json")
    }

    @Test func badJSONSaysWhere() throws {
        let error = Fixtures.error { _ = try Manifest.decode(Array("{\n  \"formatVersion\": 1,,\n}".utf8), source: "m.json") }
        #expect(error?.code == .corrupt)
        #expect(error?.message.hasPrefix("invalid manifest 'm.json': not valid JSON") == true)
        #expect(error?.message.contains("(line 2, column") == true)
    }

    @Test func wrongTypeNamesTheField() throws {
        let (_, manifest, _) = try Fixtures.artifact()
        var json = String(decoding: try manifest.encoded(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"offset\" : 0", with: "\"offset\" : \"zero\"")
        let error = Fixtures.error { _ = try Manifest.decode(Array(json.utf8), source: "m.json") }
        #expect(error?.message.hasPrefix("invalid manifest 'm.json': at members[0].offset") == true)
    }

    @Test func missingFieldIsNamed() {
        let error = Fixtures.error { _ = try Manifest.decode(Array("{\"formatVersion\": 1}".utf8), source: "m.json") }
        #expect(error?.message.hasPrefix("invalid manifest 'm.json': missing field '") == true)
    }

    @Test func futureVersionIsRefused() throws {
        let error = Fixtures.error { _ = try Manifest.decode(Array("{\"formatVersion\": 7, \"other\": true}".utf8), source: "f.json") }
        #expect(error?.code == .corrupt)
        #expect(error?.message == "invalid manifest 'f.json': formatVersion 7 is newer than this drd understands (1)")
        #expect(error?.hint != nil)
    }

    @Test func nonContiguousOffsetsAreRefused() throws {
        var (_, manifest, _) = try Fixtures.artifact()
        manifest.members[2].offset += 1
        let error = Fixtures.error { _ = try Manifest.decode(try manifest.encoded(), source: "n.json") }
        #expect(error?.code == .corrupt)
        #expect(error?.message.hasPrefix("invalid manifest 'n.json': member 2 (data \"public\".\"t\" chunk 1, offset") == true)
        #expect(error?.message.contains("must be contiguous") == true)
    }

    @Test func sizesMustAddUp() throws {
        var (_, manifest, _) = try Fixtures.artifact()
        manifest.compressedSize += 10
        #expect(Fixtures.error { _ = try Manifest.decode(try manifest.encoded(), source: "s.json") }?
            .message.contains("compressedSize") == true)
        manifest.compressedSize -= 10
        manifest.uncompressedSize -= 1
        #expect(Fixtures.error { _ = try Manifest.decode(try manifest.encoded(), source: "s.json") }?
            .message.contains("uncompressedSize") == true)
    }
}

@Suite struct ManifestLookupTests {
    @Test func objectKeyForManifestKey() {
        #expect(Manifest.objectKey(forManifestKey: "x/ID.manifest.json") == "x/ID.sql.gz")
        #expect(Manifest.key(forObjectKey: Manifest.objectKey(forManifestKey: "p/a.manifest.json")) == "p/a.manifest.json")
    }

    @Test func memberLookups() throws {
        let (_, manifest, _) = try Fixtures.artifact()
        #expect(manifest.dataMembers(schema: "public", table: "t").map(\.chunk) == [0, 1])
        #expect(manifest.dataMembers(schema: "other", table: "t").isEmpty)
        #expect(manifest.members(in: .preData).count == 1)
        #expect(manifest.members(in: .globals).isEmpty)
    }
}
