import Foundation
import Support
import Testing
@testable import Archive

@Suite struct VerifierTests {
    @Test func verifiesAGoodArtifact() throws {
        let (object, manifest, plain) = try Fixtures.artifact()
        let report = try ArtifactVerifier.verify(MemorySource(object), manifest: manifest, name: "a.sql.gz")
        #expect(report == VerifyReport(bytes: Int64(object.count), members: 4, uncompressedBytes: Int64(plain.count)))
    }

    @Test func verifiesALargeArtifactAcrossBuffers() throws {
        let sink = MemorySink()
        let writer = ArtifactWriter(sink: sink)
        for chunk in 0..<3 {
            try writer.append(MemberCompressor.compress(Fixtures.text(bytes: 1 << 20, seed: UInt64(chunk)), level: 1,
                                                        section: .data, schema: "s", table: "t", chunk: chunk, rows: 1))
        }
        let manifest = Manifest(backupID: "b", database: "d", serverVersion: "15.18", serverVersionNum: 150018,
                                snapshotTime: Date(), completedTime: Date(), objectKey: "b.sql.gz",
                                compressedSize: writer.compressedSize, uncompressedSize: writer.uncompressedSize,
                                sha256: writer.finish(), members: writer.members)
        let report = try ArtifactVerifier.verify(MemorySource(sink.bytes), manifest: manifest, name: "b")
        #expect(report.uncompressedBytes == 3 << 20)
    }

    @Test func flippedByteNamesTheMember() throws {
        let (object, manifest, _) = try Fixtures.artifact()
        var damaged = object
        damaged[Int(manifest.members[2].offset) + 30] ^= 0x01
        let error = Fixtures.error { _ = try ArtifactVerifier.verify(MemorySource(damaged), manifest: manifest, name: "a.sql.gz") }
        #expect(error?.code == .corrupt)
        let expected = "'a.sql.gz' failed verification: member 2 (data \"public\".\"t\" chunk 1, offset \(manifest.members[2].offset))"
        #expect(error?.message.hasPrefix(expected) == true)
    }

    @Test func truncatedObject() throws {
        let (object, manifest, _) = try Fixtures.artifact()
        let error = Fixtures.error {
            _ = try ArtifactVerifier.verify(MemorySource(Array(object.dropLast(10))), manifest: manifest, name: "a.sql.gz")
        }
        #expect(error?.code == .corrupt)
        #expect(error?.message.hasPrefix("'a.sql.gz' is truncated: \(object.count - 10) bytes, manifest says \(object.count); member 3 (post-data") == true)
    }

    @Test func longerObject() throws {
        let (object, manifest, _) = try Fixtures.artifact()
        let error = Fixtures.error { _ = try ArtifactVerifier.verify(MemorySource(object + [0]), manifest: manifest, name: "a") }
        #expect(error?.message.contains("longer than") == true)
    }

    @Test func wrongWholeSHA() throws {
        var (object, manifest, _) = try Fixtures.artifact()
        manifest.sha256 = String(repeating: "0", count: 64)
        let error = Fixtures.error { _ = try ArtifactVerifier.verify(MemorySource(object), manifest: manifest, name: "a") }
        #expect(error?.code == .corrupt)
        #expect(error?.message.hasPrefix("'a' failed verification: object SHA-256 is \(Digest.sha256Hex(object))") == true)
    }

    @Test func wrongMemberSHAAndUncompressedLength() throws {
        var (object, manifest, _) = try Fixtures.artifact()
        let good = manifest
        manifest.members[1].sha256 = String(repeating: "a", count: 64)
        #expect(Fixtures.error { _ = try ArtifactVerifier.verify(MemorySource(object), manifest: manifest, name: "a") }?
            .message.contains("member 1 (data \"public\".\"t\" chunk 0, offset \(manifest.members[1].offset)) has SHA-256") == true)
        manifest = good
        manifest.members[0].uncompressedLength += 1
        manifest.uncompressedSize += 1
        #expect(Fixtures.error { _ = try ArtifactVerifier.verify(MemorySource(object), manifest: manifest, name: "a") }?
            .message.contains("member 0 (pre-data, offset 0) decompresses to") == true)
    }

    @Test func memberBoundaryMismatch() throws {
        // Boundaries moved by one byte: members no longer line up with gzip members.
        var (object, manifest, _) = try Fixtures.artifact()
        manifest.members[0].compressedLength += 1
        manifest.members[1].offset += 1
        manifest.members[1].compressedLength -= 1
        let error = Fixtures.error { _ = try ArtifactVerifier.verify(MemorySource(object), manifest: manifest, name: "a") }
        #expect(error?.message.hasPrefix("'a' failed verification: member 0 (pre-data, offset 0) has bytes after its gzip end") == true)
    }
}
