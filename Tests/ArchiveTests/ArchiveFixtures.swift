import Foundation
import Support
import TestHelpers
@testable import Archive

/// Shared helpers for the Archive tests.
enum Fixtures {
    /// Deterministic text that compresses like SQL COPY data (varied but repetitive).
    static func text(bytes count: Int, seed: UInt64 = 42) -> [UInt8] {
        var state = seed
        var out = [UInt8]()
        out.reserveCapacity(count + 128)
        var row = 0
        while out.count < count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let value = state >> 33
            out.append(contentsOf: Array("\(row)\tname-\(value % 100_000)\t\(value)\t2026-11-\(value % 28 + 1)\n".utf8))
            row += 1
        }
        return Array(out.prefix(count))
    }

    /// A small artifact: pre-data, two data chunks, post-data; returns the object bytes, the
    /// manifest, and the plain SQL it decompresses to.
    static func artifact(level: Int = 6) throws -> (object: [UInt8], manifest: Manifest, plain: [UInt8]) {
        let parts: [(Section, String?, Int?, [UInt8])] = [
            (.preData, nil, nil, Array("CREATE TABLE public.t (id int, v text);\n".utf8)),
            (.data, "t", 0, Array("COPY public.t (id, v) FROM stdin;\n".utf8) + text(bytes: 50_000) + Array("\\.\n".utf8)),
            (.data, "t", 1, Array("COPY public.t (id, v) FROM stdin;\n".utf8) + text(bytes: 30_000, seed: 7) + Array("\\.\n".utf8)),
            (.postData, nil, nil, Array("CREATE INDEX ON public.t (id);\n".utf8)),
        ]
        let sink = MemorySink()
        let writer = ArtifactWriter(sink: sink)
        var plain = [UInt8]()
        for (section, table, chunk, bytes) in parts {
            let member = try MemberCompressor.compress(bytes, level: level, section: section,
                                                       schema: table == nil ? nil : "public", table: table,
                                                       chunk: chunk, rows: table == nil ? nil : 100)
            try writer.append(member)
            plain += bytes
        }
        let digest = writer.finish()
        let manifest = Manifest(backupID: "20261121T030000Z-7f3a", policy: "nightly", database: "app",
                                serverVersion: "15.18", serverVersionNum: 150018,
                                snapshotTime: Date(timeIntervalSince1970: 1_795_230_000.123),
                                completedTime: Date(timeIntervalSince1970: 1_795_230_060.5),
                                objectKey: "20261121T030000Z-7f3a.sql.gz", compressedSize: writer.compressedSize,
                                uncompressedSize: writer.uncompressedSize, sha256: digest, members: writer.members,
                                tables: [TableRows(schema: "public", table: "t", rows: 200)], jobs: 2,
                                compressLevel: level)
        return (sink.bytes, manifest, plain)
    }

    /// Reads a source to the end in odd-sized reads (exercises partial-buffer paths).
    static func drain(_ source: ByteSource, readSize: Int = 7_919) throws -> [UInt8] {
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: readSize)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// Decompresses with the system gzip (the oracle).
    static func systemGunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("drd-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.gz"), output = dir.appendingPathComponent("out")
        try Data(bytes).write(to: input)
        try Shell.bash("gunzip -c '\(input.path)' > '\(output.path)'")
        return Array(try Data(contentsOf: output))
    }

    static func error(_ body: () throws -> Void) -> DRDError? {
        do { try body() } catch let error as DRDError { return error } catch { return DRDError(.internal, "\(error)") }
        return nil
    }
}
