import CLibPQ
import Support

extension Connection {
    /// Runs `COPY ... TO STDOUT` and hands each data row (text format, with its trailing newline)
    /// to `row` as it arrives: nothing is buffered beyond one row. Returns the number of rows.
    @discardableResult
    public func copyOut(_ sql: String, row: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        let c = try conn()
        let start = PQexec(c, sql)
        guard let start else { throw DRDError(.connection, "lost connection to \(displayName): \(lastErrorMessage())") }
        if PQresultStatus(start) != PGRES_COPY_OUT {
            _ = try check(start, sql: sql)  // throws the server's error
            throw DRDError(.internal, "statement did not start COPY OUT: \(sql.prefix(80))")
        }
        PQclear(start)
        var count: Int64 = 0
        var callbackError: Error?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(c, &buffer, 0)
            if n > 0, let buffer {
                defer { PQfreemem(buffer) }
                if callbackError == nil {
                    do {
                        try row(UnsafeRawBufferPointer(start: buffer, count: Int(n)))
                        count += 1
                    } catch {
                        // Stop the server side and drain, so the connection stays usable.
                        callbackError = error
                        if let cancel = PQgetCancel(c) {
                            var errbuf = [CChar](repeating: 0, count: 256)
                            PQcancel(cancel, &errbuf, 256)
                            PQfreeCancel(cancel)
                        }
                    }
                }
                continue
            }
            if n == -1 { break }     // done; result follows
            throw DRDError(.connection, "COPY OUT failed on \(displayName): \(lastErrorMessage())")
        }
        // Drain results until NULL; the first non-OK one is the error.
        var firstError: DRDError?
        while let result = PQgetResult(c) {
            if firstError == nil {
                do { _ = try check(result, sql: sql) } catch let e as DRDError { firstError = e }
            } else {
                PQclear(result)
            }
        }
        if let callbackError { throw callbackError }
        if let firstError { throw firstError }
        return count
    }

    /// Runs `COPY ... FROM STDIN`; `body` writes data through the `CopyInWriter`. If `body`
    /// throws, the COPY is ended with an error (the server rolls the statement back) and the error
    /// is rethrown. Returns the number of rows the server loaded.
    @discardableResult
    public func copyIn(_ sql: String, body: (CopyInWriter) throws -> Void) throws -> Int64 {
        let c = try conn()
        let start = PQexec(c, sql)
        guard let start else { throw DRDError(.connection, "lost connection to \(displayName): \(lastErrorMessage())") }
        if PQresultStatus(start) != PGRES_COPY_IN {
            _ = try check(start, sql: sql)
            throw DRDError(.internal, "statement did not start COPY IN: \(sql.prefix(80))")
        }
        PQclear(start)
        let writer = CopyInWriter(conn: c, owner: self)
        var bodyError: Error?
        do { try body(writer) } catch { bodyError = error }
        if let bodyError {
            _ = PQputCopyEnd(c, "drd: aborted: \(bodyError)")
        } else if PQputCopyEnd(c, nil) != 1 {
            throw DRDError(.connection, "COPY IN failed on \(displayName): \(lastErrorMessage())")
        }
        var loaded: Int64 = 0
        var firstError: DRDError?
        while let result = PQgetResult(c) {
            if firstError == nil {
                do { loaded = Int64(try check(result, sql: sql).affectedRows) } catch let e as DRDError { firstError = e }
            } else {
                PQclear(result)
            }
        }
        if let bodyError { throw bodyError }
        if let firstError { throw firstError }
        return loaded
    }
}

/// Streams bytes into a running `COPY FROM STDIN`.
public final class CopyInWriter: ByteSink {
    private let conn: OpaquePointer
    private unowned let owner: Connection

    init(conn: OpaquePointer, owner: Connection) {
        self.conn = conn
        self.owner = owner
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        // PQputCopyData takes an Int32 length; feed large buffers in slices.
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 20)
            let rc = PQputCopyData(conn, (base + offset).assumingMemoryBound(to: CChar.self), Int32(n))
            if rc != 1 {
                throw DRDError(.connection, "COPY IN failed on \(owner.displayName): \(owner.lastErrorMessage())")
            }
            offset += n
        }
    }
}
