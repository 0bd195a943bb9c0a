import Archive
import Foundation
import Postgres
import Support

/// Streams one table's rows out with `COPY ... TO STDOUT` and cuts them into self-contained data
/// members (`COPY ... FROM stdin;` rows `\.`), each at most about `chunkBytes` of uncompressed text.
///
/// libpq hands rows over one at a time; they are gathered in a small staging buffer so progress
/// reports, cancellation checks and chunk cuts happen every 256 KiB rather than per row.
struct TableCopier {
    let table: TableData
    let encoding: String
    let compressLevel: Int
    let chunkBytes: Int
    let token: CancellationToken?
    /// Called with every finished member, in order.
    let emit: (CompressedMember) throws -> Void
    /// Called with (rows, uncompressed bytes) as they stream, for progress.
    let progress: (Int64, Int64) -> Void

    private static let stagingSize = 256 * 1024

    /// Copies the table; returns the number of rows.
    func run(on conn: Connection) throws -> Int64 {
        var chunk = 0
        var member: MemberCompressor? = nil
        var memberRows: Int64 = 0
        var totalRows: Int64 = 0
        var staging = [UInt8]()
        staging.reserveCapacity(Self.stagingSize + 4096)
        var pendingRows: Int64 = 0
        var pendingBytes: Int64 = 0

        let prologue = ScriptHeader.dataMember(encoding: encoding) + table.copyInHeader + "\n"
        let epilogue = "\\.\n\n"

        func openMember() throws -> MemberCompressor {
            let m = try MemberCompressor(level: compressLevel, section: .data, schema: table.schema, table: table.name, chunk: chunk)
            try m.write(prologue)
            return m
        }
        func flushStaging() throws {
            guard !staging.isEmpty else { return }
            if member == nil { member = try openMember() }
            try member?.write(staging)
            staging.removeAll(keepingCapacity: true)
            progress(pendingRows, pendingBytes)
            pendingRows = 0
            pendingBytes = 0
        }
        func closeMember() throws {
            guard let m = member else { return }
            try m.write(epilogue)
            try emit(try m.finish(rows: memberRows))
            member = nil
            memberRows = 0
            chunk += 1
        }

        do {
            try conn.copyOut(table.copyOutSQL) { row in
                staging.append(contentsOf: row)
                memberRows += 1
                totalRows += 1
                pendingRows += 1
                pendingBytes += Int64(row.count)
                if staging.count >= Self.stagingSize {
                    try token?.check()
                    try flushStaging()
                    if let m = member, m.uncompressedCount >= Int64(chunkBytes) {
                        try closeMember()
                    }
                }
            }
            try flushStaging()
            // Every table gets at least one member, so an empty table is visibly dumped (0 rows).
            if member == nil { member = try openMember() }
            try closeMember()
        } catch let error as DRDError {
            if error.code == .cancelled { throw error }
            throw error.context("unable to dump table \(table.qualifiedName)")
        }
        return totalRows
    }
}
