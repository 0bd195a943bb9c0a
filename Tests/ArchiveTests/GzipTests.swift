import Foundation
import Synchronization
import Support
import TestHelpers
import Testing
@testable import Archive

@Suite struct GzipMemberTests {
    @Test func concatenatedMembersDecompressWithReaderAndSystemGunzip() throws {
        let (object, manifest, plain) = try Fixtures.artifact()
        #expect(manifest.members.count == 4)
        let ours = try Fixtures.drain(GzipReader(MemorySource(object), name: "a.sql.gz"))
        #expect(ours == plain)
        #expect(try Fixtures.systemGunzip(object) == plain)
    }

    @Test func readerCountsMembers() throws {
        let (object, _, _) = try Fixtures.artifact()
        let reader = GzipReader(MemorySource(object), name: "a.sql.gz")
        _ = try Fixtures.drain(reader, readSize: 1)
        #expect(reader.membersRead == 4)
        #expect(reader.compressedOffset == Int64(object.count))
    }

    @Test func emptyMember() throws {
        let empty = try MemberCompressor(section: .globals).finish(rows: nil)
        #expect(empty.uncompressedLength == 0)
        #expect(empty.bytes.count >= 18)           // gzip header + empty deflate block + trailer
        #expect(empty.sha256 == Digest.sha256Hex(empty.bytes))
        let withText = try MemberCompressor.compress(Array("SELECT 1;\n".utf8), section: .preData)
        let object = empty.bytes + withText.bytes + empty.bytes
        #expect(try Fixtures.drain(GzipReader(MemorySource(object), name: "e")) == Array("SELECT 1;\n".utf8))
        #expect(try Fixtures.systemGunzip(object) == Array("SELECT 1;\n".utf8))
        #expect(try Fixtures.drain(GzipReader(MemorySource(empty.bytes), name: "e")).isEmpty)
    }

    @Test func largeMemberStreamsInPieces() throws {
        let plain = Fixtures.text(bytes: 6 << 20)
        let compressor = try MemberCompressor(level: 6, section: .data, schema: "s", table: "big", chunk: 3)
        // Write in uneven slices, some bigger than the 64 KiB deflate step.
        var position = 0, step = 1
        while position < plain.count {
            let n = min(step, plain.count - position)
            try plain[position..<(position + n)].withUnsafeBytes { try compressor.write($0) }
            position += n
            step = step * 3 % 200_003 + 1
        }
        #expect(compressor.uncompressedCount == Int64(plain.count))
        let member = try compressor.finish(rows: 12345)
        #expect(member.uncompressedLength == Int64(plain.count))
        #expect(member.bytes.count < plain.count / 2)
        #expect(member.table == "big" && member.schema == "s" && member.chunk == 3 && member.rows == 12345)
        #expect(try Fixtures.drain(GzipReader(MemorySource(member.bytes), name: "big"), readSize: 100_000) == plain)
        #expect(try Fixtures.systemGunzip(member.bytes) == plain)
    }

    @Test(arguments: [0, 1, 9])
    func compressionLevels(level: Int) throws {
        let plain = Fixtures.text(bytes: 300_000)
        let member = try MemberCompressor.compress(plain, level: level, section: .data)
        if level == 0 { #expect(member.bytes.count > plain.count) } else { #expect(member.bytes.count < plain.count / 2) }
        #expect(try Fixtures.drain(GzipReader(MemorySource(member.bytes), name: "l")) == plain)
        #expect(try Fixtures.systemGunzip(member.bytes) == plain)
    }

    @Test func levelNineIsNoBiggerThanLevelOne() throws {
        let plain = Fixtures.text(bytes: 300_000)
        let one = try MemberCompressor.compress(plain, level: 1, section: .data)
        let nine = try MemberCompressor.compress(plain, level: 9, section: .data)
        #expect(nine.bytes.count <= one.bytes.count)
    }

    @Test func invalidLevelIsRejected() {
        let error = Fixtures.error { _ = try MemberCompressor(level: 10, section: .data) }
        #expect(error?.code == .config)
        #expect(error?.message.contains("compression level 10") == true)
    }

    @Test func writerTracksOffsetsSizesAndHash() throws {
        let (object, manifest, plain) = try Fixtures.artifact()
        #expect(manifest.compressedSize == Int64(object.count))
        #expect(manifest.uncompressedSize == Int64(plain.count))
        #expect(manifest.sha256 == Digest.sha256Hex(object))
        var offset: Int64 = 0
        for member in manifest.members {
            #expect(member.offset == offset)
            let range = Int(member.offset)..<Int(member.offset + member.compressedLength)
            #expect(Digest.sha256Hex(object[range]) == member.sha256)
            // Each member decompresses on its own (what ranged-read restore relies on).
            let alone = try Fixtures.drain(GzipReader(RangeSource(MemorySource(object), offset: member.offset,
                                                                  length: member.compressedLength), name: "m"))
            #expect(Int64(alone.count) == member.uncompressedLength)
            offset += member.compressedLength
        }
        #expect(manifest.members.map(\.section) == [.preData, .data, .data, .postData])
        #expect(manifest.members[2].chunk == 1 && manifest.members[2].table == "t")
    }

    @Test func hashingSinkForwardsAndHashes() throws {
        let downstream = MemorySink()
        let sink = HashingSink(downstream)
        try sink.write(Array("hello ".utf8))
        try sink.write("world")
        #expect(sink.count == 11)
        #expect(downstream.bytes == Array("hello world".utf8))
        #expect(sink.finish() == Digest.sha256Hex("hello world"))
        #expect(sink.finish() == Digest.sha256Hex("hello world"))
    }

    @Test func hashingAndRangeSources() throws {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let hashing = HashingSource(MemorySource(bytes))
        #expect(try Fixtures.drain(hashing) == bytes)
        #expect(hashing.count == 100_000 && hashing.finish() == Digest.sha256Hex(bytes))
        #expect(try Fixtures.drain(RangeSource(MemorySource(bytes), offset: 70_001, length: 20_000)) == Array(bytes[70_001..<90_001]))
        #expect(try Fixtures.drain(RangeSource(MemorySource(bytes), offset: 99_990, length: 50)) == Array(bytes[99_990...]))
        #expect(try Fixtures.drain(RangeSource(MemorySource(bytes), offset: 200_000, length: 5)).isEmpty)
    }
}

@Suite struct GzipReaderErrorTests {
    @Test func truncatedInput() throws {
        let (object, _, _) = try Fixtures.artifact()
        for cut in [5, object.count / 2, object.count - 3] {
            let error = Fixtures.error { _ = try Fixtures.drain(GzipReader(MemorySource(Array(object.prefix(cut))), name: "t.sql.gz")) }
            #expect(error?.code == .corrupt)
            #expect(error?.message == "'t.sql.gz' is truncated: gzip member ends early at compressed byte \(cut)")
        }
    }

    @Test func corruptInput() throws {
        let (object, manifest, _) = try Fixtures.artifact()
        // Damage deflate data in the middle of the first data member.
        var damaged = object
        let at = Int(manifest.members[1].offset) + 100
        for i in at..<(at + 40) { damaged[i] ^= 0x5a }
        let error = Fixtures.error { _ = try Fixtures.drain(GzipReader(MemorySource(damaged), name: "c.sql.gz")) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.hasPrefix("'c.sql.gz' is not a valid gzip file: ") == true)
        #expect(error?.message.contains(" at compressed byte ") == true)
    }

    @Test func damagedTrailerIsCaught() throws {
        let member = try MemberCompressor.compress(Fixtures.text(bytes: 10_000), section: .data)
        var damaged = member.bytes
        damaged[damaged.count - 6] ^= 0xff   // CRC-32
        let error = Fixtures.error { _ = try Fixtures.drain(GzipReader(MemorySource(damaged), name: "crc")) }
        #expect(error?.message.hasPrefix("'crc' is not a valid gzip file: incorrect data check at compressed byte") == true)
    }

    @Test func plainInputWithoutAllowPlainIsRejected() {
        let error = Fixtures.error { _ = try Fixtures.drain(GzipReader(MemorySource(Array("CREATE TABLE x();\n".utf8)), name: "p.sql")) }
        #expect(error?.code == .corrupt)
        #expect(error?.message == "'p.sql' is not a valid gzip file: incorrect header check at compressed byte 2")
    }

    @Test func garbageAfterLastMemberIsRejected() throws {
        let member = try MemberCompressor.compress(Array("x".utf8), section: .data)
        let error = Fixtures.error { _ = try Fixtures.drain(GzipReader(MemorySource(member.bytes + Array("junk".utf8)), name: "g")) }
        #expect(error?.message.hasPrefix("'g' is not a valid gzip file: ") == true)
    }

    @Test func emptyInput() throws {
        let error = Fixtures.error { _ = try Fixtures.drain(GzipReader(MemorySource([]), name: "z")) }
        #expect(error?.code == .corrupt)
        #expect(try Fixtures.drain(GzipReader(MemorySource([]), name: "z", allowPlain: true)).isEmpty)
    }

    @Test func allowPlainPassesThroughUnchanged() throws {
        let plain = Fixtures.text(bytes: 700_000) // bigger than the 256 KiB input buffer
        let reader = GzipReader(MemorySource(plain), name: "p.sql", allowPlain: true)
        #expect(try Fixtures.drain(reader, readSize: 65_537) == plain)
        #expect(reader.isPlain)
        let one = GzipReader(MemorySource([0x1f]), name: "one", allowPlain: true)
        #expect(try Fixtures.drain(one) == [0x1f])
        // Gzip input still decompresses when plain is allowed.
        let (object, _, expected) = try Fixtures.artifact()
        let gz = GzipReader(MemorySource(object), name: "a", allowPlain: true)
        #expect(try Fixtures.drain(gz) == expected)
        #expect(!gz.isPlain)
    }
}

@Suite struct ParallelCompressionTests {
    /// The Dump engine's pattern: workers compress chunks on their own threads, one writer appends in order.
    @Test func workersCompressWriterAppendsInOrder() throws {
        let chunks = (0..<6).map { Fixtures.text(bytes: 200_000, seed: UInt64($0)) }
        let results = Mutex<[Int: CompressedMember]>([:])
        try Parallel.run(3) { worker in
            for index in stride(from: worker, to: chunks.count, by: 3) {
                let member = try MemberCompressor.compress(chunks[index], level: 1, section: .data,
                                                           schema: "s", table: "t", chunk: index, rows: 1)
                results.withLock { $0[index] = member }
            }
        }
        let sink = MemorySink()
        let writer = ArtifactWriter(sink: sink)
        let members = results.withLock { $0 }
        for index in chunks.indices { try writer.append(try #require(members[index])) }
        _ = writer.finish()
        #expect(writer.members.map(\.chunk) == Array(0..<6))
        #expect(try Fixtures.systemGunzip(sink.bytes) == chunks.flatMap { $0 })
    }
}

@Suite struct SystemGzipInteropTests {
    /// Files made by stock tools (`pg_dump | gzip`, `cat a.gz b.gz`) read back with GzipReader.
    @Test func readsSystemGzipOutput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("drd-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = Fixtures.text(bytes: 400_000)
        try Data(plain).write(to: dir.appendingPathComponent("a.sql"))
        try Shell.bash("cd '\(dir.path)' && gzip -c -9 a.sql > a.gz && gzip -c -1 a.sql > b.gz && cat a.gz b.gz > ab.gz")
        let bytes = Array(try Data(contentsOf: dir.appendingPathComponent("ab.gz")))
        let reader = GzipReader(MemorySource(bytes), name: "ab.gz")
        #expect(try Fixtures.drain(reader) == plain + plain)
        #expect(reader.membersRead == 2)
    }
}
