#if canImport(Glibc)
import Glibc
#endif
import CLibPQ
import Support

/// One libpq connection. Owns the `PGconn`; `close()` is explicit and idempotent, and `deinit`
/// closes a connection that was not closed. Not thread-safe: one thread at a time (each parallel
/// worker opens its own connection). Use `cancelHandle()` to cancel from another thread.
public final class Connection {
    private var handle: OpaquePointer?
    /// Where this connection points, for messages: `host:port/dbname` — never a password.
    public let displayName: String

    /// Connects with a libpq conninfo string or URI, plus keyword overrides (applied after it, so
    /// `["dbname": "x"]` retargets the same server). Everything libpq supports works unchanged:
    /// `PG*` variables, `.pgpass`, `PGPASSFILE`, service files, SSL settings.
    public init(conninfo: String, overrides: [String: String] = [:], applicationName: String = "drd") throws {
        var keys = ["dbname"]
        var values = [conninfo]
        // fallback_application_name keeps a user-set application_name.
        keys.append("fallback_application_name"); values.append(applicationName)
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            keys.append(key); values.append(value)
        }
        let conn = Connection.connect(keys: keys, values: values)
        guard let conn else { throw DRDError(.connection, "unable to allocate a libpq connection") }
        if PQstatus(conn) != CONNECTION_OK {
            let raw = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            throw Connection.classifyConnectError(raw, target: Connection.describe(conninfo: conninfo, overrides: overrides))
        }
        handle = conn
        let host = PQhost(conn).map { String(cString: $0) } ?? "local"
        let port = PQport(conn).map { String(cString: $0) } ?? ""
        let db = PQdb(conn).map { String(cString: $0) } ?? ""
        displayName = host.hasPrefix("/") ? "\(host)/\(db)" : "\(host):\(port)/\(db)"
        PQsetNoticeProcessor(conn, { _, _ in }, nil)  // server NOTICEs are not drd's to print
    }

    deinit { close() }

    /// Closes the connection; further use throws.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    public var isClosed: Bool { handle == nil }

    func conn() throws -> OpaquePointer {
        guard let handle else { throw DRDError(.internal, "connection to \(displayName) used after close") }
        return handle
    }

    /// `PQserverVersion`, e.g. 150018 for 15.18.
    public var serverVersionNum: Int { handle.map { Int(PQserverVersion($0)) } ?? 0 }

    /// The server's version string, e.g. `15.18`.
    public var serverVersion: String {
        let n = serverVersionNum
        return n >= 100000 ? "\(n / 10000).\(n % 10000)" : "\(n / 10000).\(n / 100 % 100).\(n % 100)"
    }

    /// The database this connection is on.
    public var databaseName: String { handle.flatMap { PQdb($0) }.map { String(cString: $0) } ?? "" }

    /// The role name used to connect.
    public var userName: String { handle.flatMap { PQuser($0) }.map { String(cString: $0) } ?? "" }

    /// Runs one or more statements without parameters; returns the last result.
    @discardableResult
    public func execute(_ sql: String) throws -> QueryResult {
        let result = PQexec(try conn(), sql)
        return try check(result, sql: sql)
    }

    /// Runs one statement with text parameters (`$1`, `$2`, …); nil is SQL NULL.
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        let c = try conn()
        if parameters.isEmpty {
            return try check(PQexecParams(c, sql, 0, nil, nil, nil, nil, 0), sql: sql)
        }
        // Keep C strings alive for the call.
        let cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let result = cStrings.withUnsafeBufferPointer { buf -> OpaquePointer? in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) {
                PQexecParams(c, sql, Int32(parameters.count), nil, $0, nil, nil, 0)
            }
        }
        return try check(result, sql: sql)
    }

    /// First column of the first row, or nil.
    public func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        let r = try query(sql, parameters)
        return r.count > 0 ? r[0, 0] : nil
    }

    /// Turns a PGresult into a QueryResult or a DRDError (freeing it either way).
    func check(_ result: OpaquePointer?, sql: String) throws -> QueryResult {
        guard let result else {
            throw DRDError(.connection, "lost connection to \(displayName): \(lastErrorMessage())")
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_OUT, PGRES_COPY_IN:
            return QueryResult(result)
        default:
            throw ServerError(result: result, fallback: lastErrorMessage()).asDRDError(on: displayName)
        }
    }

    func lastErrorMessage() -> String {
        guard let handle else { return "connection closed" }
        return Connection.firstLine(String(cString: PQerrorMessage(handle)))
    }

    /// A handle that can cancel the running statement from another thread.
    public func cancelHandle() throws -> CancelHandle {
        guard let cancel = PQgetCancel(try conn()) else { throw DRDError(.connection, "unable to get a cancel handle for \(displayName)") }
        return CancelHandle(cancel)
    }

    /// Quotes an identifier the way the server would need it (always quoted: safe for any name).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A standard-conforming string literal: `'it''s'` (`E''` never needed with
    /// standard_conforming_strings on, which drd sets in every script it writes).
    public static func quoteLiteral(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

extension Connection {
    private static func connect(keys: [String], values: [String]) -> OpaquePointer? {
        let k = keys.map { strdup($0) } + [nil]
        let v = values.map { strdup($0) } + [nil]
        defer { (k + v).forEach { free($0) } }
        return k.withUnsafeBufferPointer { kb in
            v.withUnsafeBufferPointer { vb in
                kb.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: kb.count) { kp in
                    vb.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: vb.count) { vp in
                        PQconnectdbParams(kp, vp, 1)  // expand_dbname: dbname may be a conninfo or URI
                    }
                }
            }
        }
    }

    static func firstLine(_ text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        // libpq prefixes "connection to server at ... failed:"; keep the most specific line.
        return Redact.conninfo(lines.last(where: { !$0.isEmpty }) ?? text)
    }

    /// Describes a connection target for messages (host, port, database, user) without secrets.
    public static func describe(conninfo: String, overrides: [String: String] = [:]) -> String {
        var options: [String: String] = [:]
        if let parsed = parseConninfo(conninfo) { options = parsed } else if overrides.isEmpty { return "the given connection string" }
        for (k, v) in overrides { options[k] = v }
        let host = options["host"] ?? options["hostaddr"] ?? "local socket"
        let port = options["port"].map { ":\($0)" } ?? ""
        let db = options["dbname"].map { "/\($0)" } ?? ""
        let user = options["user"].map { " as \($0)" } ?? ""
        return "\(host)\(port)\(db)\(user)"
    }

    /// libpq's own parse of a conninfo or URI into keyword → value (no password returned).
    public static func parseConninfo(_ conninfo: String) -> [String: String]? {
        var err: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &err) else {
            if let err { PQfreemem(err) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var out: [String: String] = [:]
        var p = options
        while let keyword = p.pointee.keyword {
            let key = String(cString: keyword)
            if let val = p.pointee.val, key != "password" { out[key] = String(cString: val) }
            p += 1
        }
        return out
    }

    static func classifyConnectError(_ raw: String, target: String) -> DRDError {
        let line = firstLine(raw)
        let lower = raw.lowercased()
        if lower.contains("password authentication failed") || lower.contains("no password supplied")
            || lower.contains("authentication failed") {
            return DRDError(.connection, "unable to connect to \(target): \(line)",
                            hint: "check the role's password (.pgpass, PGPASSFILE or the service file) and pg_hba.conf")
        }
        if lower.contains("does not exist") && lower.contains("database") {
            return DRDError(.notFound, "unable to connect to \(target): \(line)", hint: "create the database first or fix dbname")
        }
        if lower.contains("connection refused") || lower.contains("could not translate host name")
            || lower.contains("no such file or directory") || lower.contains("timeout expired") {
            return DRDError(.connection, "unable to connect to \(target): \(line)",
                            hint: "is the server running and accepting TCP/IP connections on that host and port?")
        }
        if lower.contains("invalid") || lower.contains("missing \"=\"") || lower.contains("unterminated quoted string") {
            return DRDError(.usage, "invalid connection string for \(target): \(line)")
        }
        return DRDError(.connection, "unable to connect to \(target): \(line)")
    }
}

/// Cancels a running statement from another thread (`PQcancel` is thread-safe).
public final class CancelHandle: @unchecked Sendable {
    private let cancel: OpaquePointer
    init(_ cancel: OpaquePointer) { self.cancel = cancel }
    deinit { PQfreeCancel(cancel) }

    /// Asks the server to cancel; returns false when the request could not be sent.
    @discardableResult public func requestCancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(cancel, &buffer, Int32(buffer.count)) == 1
    }
}
