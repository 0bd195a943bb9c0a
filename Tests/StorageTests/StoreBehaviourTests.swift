import Foundation
import Storage
import Support
import TestHelpers
import Testing

/// One behavioural suite, run against both drivers (FileStore, and S3Store on moto when available).
@Suite struct StoreBehaviourTests {
    @Test(arguments: TestStores.drivers)
    func smallPutGetHead(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        let data = Array("hello, store".utf8)
        try store.putSmall(key: "a/b/hello.txt", data: data, ifAbsent: false)
        #expect(try store.getAll(key: "a/b/hello.txt") == data)
        let info = try #require(try store.head(key: "a/b/hello.txt"))
        #expect(info.size == Int64(data.count))
        #expect(info.key == "a/b/hello.txt")
        #expect(abs(info.lastModified.timeIntervalSinceNow) < 300)
        #expect(try store.head(key: "a/b/missing.txt") == nil)
        // Overwrite without ifAbsent replaces.
        try store.putSmall(key: "a/b/hello.txt", data: [1, 2, 3], ifAbsent: false)
        #expect(try store.getAll(key: "a/b/hello.txt") == [1, 2, 3])
    }

    @Test(arguments: TestStores.drivers)
    func emptyObject(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        let upload = try store.beginUpload(key: "empty")
        let info = try upload.commit()
        #expect(info.size == 0)
        #expect(try store.getAll(key: "empty") == [])
        #expect(try store.head(key: "empty")?.size == 0)
    }

    @Test(arguments: TestStores.drivers)
    func streamedUploadAndRanges(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        // 12 MiB + a bit: three 5 MiB-parts multipart upload on S3.
        let data = TestStores.bytes(12 << 20 + 12_345)
        let upload = try store.beginUpload(key: "dump/x.sql.gz")
        try data.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = min(1 << 20 + 3, buf.count - offset)
                try upload.write(UnsafeRawBufferPointer(rebasing: buf[offset..<(offset + n)]))
                offset += n
            }
        }
        #expect(upload.bytesWritten == Int64(data.count))
        // Not visible before commit.
        #expect(try store.head(key: "dump/x.sql.gz") == nil)
        #expect(try store.list(prefix: "dump/").isEmpty)
        let info = try upload.commit()
        #expect(info.size == Int64(data.count))
        #expect(try TestStores.readAll(store.get(key: "dump/x.sql.gz")) == data)
        // Ranges: start, middle across windows, tail, past the end (clipped), empty.
        for range: Range<Int64> in [0..<10, 1_000_000..<3_500_000, Int64(data.count - 5)..<Int64(data.count),
                                    Int64(data.count - 5)..<Int64(data.count + 100), 7..<7] {
            let got = try TestStores.readAll(store.get(key: "dump/x.sql.gz", range: range))
            let upper = min(Int(range.upperBound), data.count)
            #expect(got == Array(data[Int(range.lowerBound)..<upper]), "range \(range)")
        }
        #expect(try store.pendingUploads(prefix: "").isEmpty)
    }

    @Test(arguments: TestStores.drivers)
    func listInKeyOrderUnderPrefix(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        let keys = ["p/b.txt", "p/a.txt", "p/sub/c.txt", "p/a b+c=d&e~f.txt", "p/ünï.txt", "q/other.txt", "px.txt"]
        for key in keys { try store.putSmall(key: key, data: Array(key.utf8), ifAbsent: false) }
        let listed = try store.list(prefix: "p/").map(\.key)
        #expect(listed == ["p/a b+c=d&e~f.txt", "p/a.txt", "p/b.txt", "p/sub/c.txt", "p/ünï.txt"])
        #expect(try store.list(prefix: "p").map(\.key).count == 6)
        #expect(try store.list(prefix: "nothing/").isEmpty)
        for key in keys { #expect(try store.getAll(key: key) == Array(key.utf8), "\(key)") }
        let sizes = try store.list(prefix: "q/")
        #expect(sizes.first?.size == Int64("q/other.txt".utf8.count))
    }

    @Test(arguments: TestStores.drivers)
    func deleteReportsOnlyRealFailures(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        for i in 0..<5 { try store.putSmall(key: "d/\(i)", data: [UInt8(i)], ifAbsent: false) }
        let failed = try store.delete(keys: ["d/0", "d/1", "d/2", "d/never-existed"])
        #expect(failed.isEmpty)
        #expect(try store.list(prefix: "d/").map(\.key) == ["d/3", "d/4"])
    }

    @Test(arguments: TestStores.drivers)
    func abortLeavesNothing(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        let upload = try store.beginUpload(key: "aborted.bin")
        try upload.write(TestStores.bytes(11 << 20))   // past one part on S3
        upload.abort()
        upload.abort()   // twice is fine
        #expect(throws: DRDError.self) { try upload.commit() }
        #expect(try store.head(key: "aborted.bin") == nil)
        #expect(try store.list(prefix: "").isEmpty)
        #expect(try store.pendingUploads(prefix: "").isEmpty)
    }

    @Test(arguments: TestStores.drivers)
    func pendingUploadsAndAbortUpload(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        let upload = try store.beginUpload(key: "runs/stale.bin")
        try upload.write(TestStores.bytes(11 << 20))   // the multipart upload exists now
        let pending = try store.pendingUploads(prefix: "runs/")
        #expect(pending.map(\.key) == ["runs/stale.bin"])
        #expect(try store.pendingUploads(prefix: "other/").isEmpty)
        for item in pending { try store.abortUpload(item) }
        #expect(try store.pendingUploads(prefix: "").isEmpty)
        upload.abort()
        #expect(try store.list(prefix: "").isEmpty)
    }

    @Test(arguments: TestStores.drivers)
    func conditionalCreate(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        try store.putSmall(key: "lock/manifest.json", data: [1], ifAbsent: true)
        let error = #expect(throws: DRDError.self) {
            try store.putSmall(key: "lock/manifest.json", data: [2], ifAbsent: true)
        }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("lock/manifest.json") == true)
        #expect(try store.getAll(key: "lock/manifest.json") == [1])
        #expect(try store.pendingUploads(prefix: "").isEmpty)
    }

    @Test(arguments: TestStores.drivers)
    func missingObjectIsNotFound(_ driver: String) throws {
        let (store, cleanup) = try TestStores.make(driver)
        defer { cleanup() }
        let error = #expect(throws: DRDError.self) { _ = try store.get(key: "nope/x.sql.gz") }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("nope/x.sql.gz") == true)
    }
}
