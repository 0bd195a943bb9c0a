import Foundation
import Testing
import Support
import TestHelpers
@testable import Restore

/// Peak resident memory of this process in KiB (Linux `VmHWM`), or 0 when unknown.
func peakRSSKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
    return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
}

/// A large gzip'd script (one table, `DRD_TEST_BENCH_ROWS` rows, default 2M) through the executor:
/// prints throughput and peak memory. Opt-in (`DRD_TEST_BENCH=1`): it takes a while on 2 cores.
@Suite("script executor throughput", .enabled(if: TestEnv.hasPostgres && ProcessInfo.processInfo.environment["DRD_TEST_BENCH"] == "1"))
struct ThroughputTests {
    @Test func largeCopyStaysBounded() throws {
        let rows = Int(ProcessInfo.processInfo.environment["DRD_TEST_BENCH_ROWS"] ?? "") ?? 2_000_000
        let db = try TestDatabase(prefix: "rst_bench")
        defer { db.drop() }
        let dir = try TestEnv.tempDirectory("bench")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("big.sql.gz").path
        try Shell.bash("""
            { echo 'CREATE TABLE big (id bigint, t text, n numeric);'; echo 'COPY public.big (id, t, n) FROM stdin;';
              seq 1 \(rows) | awk '{ printf "%d\\tsome text with a tab\\\\t and backslash\\\\\\\\ %d\\t%d.5\\n", $1, $1, $1 }';
              echo '\\.'; echo 'SELECT 1;'; } | gzip -1 > '\(file)'
            """)
        let before = peakRSSKiB()
        let started = Date()
        let result = try executeFile(file, on: db)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.rowsCopied["public.big"] == Int64(rows))
        let mb = Double(result.bytesRead) / 1_048_576
        print("bench: \(rows) rows, \(String(format: "%.1f", mb)) MiB SQL in \(String(format: "%.1f", seconds))s = \(String(format: "%.1f", mb / seconds)) MiB/s; peak RSS \(before / 1024) -> \(peakRSSKiB() / 1024) MiB")
    }

    @Test func manyStatements() throws {
        let db = try TestDatabase(prefix: "rst_bench")
        defer { db.drop() }
        let dir = try TestEnv.tempDirectory("bench")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("inserts.sql").path
        try Shell.bash("""
            { echo 'CREATE TABLE ins (id int, t text);';
              seq 1 100000 | awk '{ printf "INSERT INTO public.ins VALUES (%d, $$it;s %d$$); -- c;\\n", $1, $1 }'; } > '\(file)'
            """)
        let lexStart = Date()
        let lexer = ScriptLexer(try FileSource(path: file))
        var count = 0
        while try lexer.next() != nil { count += 1 }
        let lexSeconds = Date().timeIntervalSince(lexStart)
        print("bench: split \(count) statements in \(String(format: "%.2f", lexSeconds))s")
        let started = Date()
        let result = try executeFile(file, on: db)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.statements == 100_001)
        print("bench: \(result.statements) statements in \(String(format: "%.1f", seconds))s")
    }
}
