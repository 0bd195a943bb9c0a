import Foundation
import Storage
import Support
import TestHelpers
import Testing

/// Opt-in measurement (DRD_STORAGE_BENCH=1): streams 256 MiB to moto and back, printing throughput
/// and the process's peak-RSS growth, which should stay near (concurrency + 1) × part size + 2 windows.
@Suite struct StorageBenchTests {
    static var enabled: Bool { ProcessInfo.processInfo.environment["DRD_STORAGE_BENCH"] == "1" && TestEnv.hasS3 }

    static func peakRSS() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    @Test(.enabled(if: StorageBenchTests.enabled))
    func streamThroughputAndMemory() throws {
        let settings = StoreSettings(uploadConcurrency: 4)
        let (store, cleanup) = try TestStores.make("s3", settings: settings)
        defer { cleanup() }
        let total = 256 << 20
        let chunk = TestStores.bytes(1 << 20, seed: 7)
        let before = Self.peakRSS()
        var started = Date()
        let upload = try store.beginUpload(key: "bench.bin")
        let sent = SHA256Hasher()
        for i in 0..<(total >> 20) {
            var c = chunk
            c[0] = UInt8(i & 0xff)
            sent.update(c)
            try upload.write(c)
        }
        try upload.commit()
        let up = Date().timeIntervalSince(started)
        let afterUpload = Self.peakRSS()
        started = Date()
        let source = try store.get(key: "bench.bin")
        let received = SHA256Hasher()
        var buf = [UInt8](repeating: 0, count: 256 << 10)
        var n = 0
        repeat {
            n = try buf.withUnsafeMutableBytes { try source.read(into: $0) }
            received.update(buf[0..<n])
        } while n > 0
        let down = Date().timeIntervalSince(started)
        #expect(received.finalize() == sent.finalize())
        print("storage bench: 256 MiB up \(String(format: "%.1f", 256 / up)) MiB/s, down \(String(format: "%.1f", 256 / down)) MiB/s, peak RSS +\((afterUpload - before) >> 20) MiB after upload, +\((Self.peakRSS() - before) >> 20) MiB total")
    }
}
