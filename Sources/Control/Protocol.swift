import Foundation
import Support

/// The drd ⇄ drctl control protocol: newline-delimited JSON over a Unix stream socket.
///
/// A client sends one `Request` line; the daemon answers with any number of `event` frames and then
/// exactly one `result` or `error` frame, all carrying the request's id. See docs/protocol.md.
public enum ControlProtocol {
    /// The protocol version this build speaks. Bump only on incompatible framing changes; new verbs
    /// and new payload fields do not need a bump.
    public static let version = 1

    /// Largest request line the daemon accepts (1 MiB); larger gets an error reply and a close.
    public static let maxRequestBytes = 1 << 20

    /// Largest response line a client accepts (64 MiB: a `list` of many backups, a report).
    public static let maxResponseBytes = 64 << 20

    /// Default socket path (DESIGN.md "drctl").
    public static let defaultSocketPath = "/run/drd/drd.sock"
}

/// A verb name. A struct rather than an enum so the daemon can register new verbs without
/// changing the framing; the built-in ones are static members.
public struct Verb: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ raw: String) { self.rawValue = raw }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let status: Verb = "status"
    public static let backup: Verb = "backup"
    public static let list: Verb = "list"
    public static let restore: Verb = "restore"
    public static let verify: Verb = "verify"
    public static let drill: Verb = "drill"
    public static let prune: Verb = "prune"
    public static let report: Verb = "report"
    public static let jobs: Verb = "jobs"
    public static let cancel: Verb = "cancel"
    public static let reload: Verb = "reload"
    public static let policyCheck: Verb = "policy-check"

    /// Every verb of protocol version 1.
    public static let builtin: Set<Verb> = [
        .status, .backup, .list, .restore, .verify, .drill, .prune, .report, .jobs, .cancel, .reload, .policyCheck,
    ]

    /// Verbs that only read state; everything else starts work or changes state (see `Authorizer`).
    public static let readOnly: Set<Verb> = [.status, .list, .report, .jobs, .policyCheck]
}

/// One request line: `{"version":1,"id":"…","verb":"backup","args":{"policy":"optim"}}`.
public struct Request: Sendable, Equatable {
    public var version: Int
    /// Chosen by the client (a UUID); echoed on every response frame.
    public var id: String
    public var verb: Verb
    /// Verb-specific arguments; always an object on the wire.
    public var args: [String: JSONValue]
    /// A descriptor passed with the request line (`SCM_RIGHTS`), e.g. the local file of a restore.
    /// Owned by the server: closed after the handler returns, so `dup` it to keep it longer.
    public var passedFD: Int32?
    /// Cancelled when the client disconnects mid-request or the server stops. Not on the wire.
    public var cancellation: CancellationToken

    public init(id: String = UUID().uuidString.lowercased(), verb: Verb, args: [String: JSONValue] = [:],
                version: Int = ControlProtocol.version) {
        self.version = version
        self.id = id
        self.verb = verb
        self.args = args
        self.passedFD = nil
        self.cancellation = CancellationToken()
    }

    /// Arguments built from any Encodable struct whose JSON is an object.
    public init<A: Encodable>(id: String = UUID().uuidString.lowercased(), verb: Verb, encoding args: A) throws {
        guard case .object(let members) = try JSONValue(encoding: args) else {
            throw DRDError(.internal, "arguments of verb '\(verb)' must encode as a json object")
        }
        self.init(id: id, verb: verb, args: members)
    }

    /// Reads the arguments into a per-verb Decodable struct.
    public func decodeArgs<A: Decodable>(_ type: A.Type = A.self) throws -> A {
        do {
            return try JSONValue.object(args).decode(A.self)
        } catch let error as DRDError {
            throw DRDError(.usage, "invalid arguments for '\(verb)': \(error.message)")
        }
    }

    /// A string argument, or nil when absent; throws when present with another type.
    public func string(_ key: String) throws -> String? {
        guard let value = args[key], !value.isNull else { return nil }
        guard let s = value.stringValue else {
            throw DRDError(.usage, "argument '\(key)' of '\(verb)' must be a string")
        }
        return s
    }

    /// A boolean argument, `default` when absent.
    public func bool(_ key: String, default fallback: Bool = false) throws -> Bool {
        guard let value = args[key], !value.isNull else { return fallback }
        guard let b = value.boolValue else {
            throw DRDError(.usage, "argument '\(key)' of '\(verb)' must be true or false")
        }
        return b
    }

    /// An integer argument, or nil when absent.
    public func int(_ key: String) throws -> Int64? {
        guard let value = args[key], !value.isNull else { return nil }
        guard let i = value.intValue else {
            throw DRDError(.usage, "argument '\(key)' of '\(verb)' must be an integer")
        }
        return i
    }

    public static func == (a: Request, b: Request) -> Bool {
        a.version == b.version && a.id == b.id && a.verb == b.verb && a.args == b.args && a.passedFD == b.passedFD
    }

    /// The wire form (without the trailing newline).
    public var json: JSONValue {
        ["version": .int(Int64(version)), "id": .string(id), "verb": .string(verb.rawValue), "args": .object(args)]
    }

    /// Parses and validates one request line. Errors are `.protocolError` and name what is wrong;
    /// the caller replies with them (using `bestEffortID(_:)` for the id).
    public static func parse(_ line: Data) throws -> Request {
        let value = try JSONValue.parse(line)
        guard case .object(let object) = value else {
            throw DRDError(.protocolError, "request is not a json object")
        }
        guard let version = object["version"]?.intValue else {
            throw DRDError(.protocolError, "request has no integer 'version'",
                           hint: "send {\"version\":\(ControlProtocol.version),\"id\":…,\"verb\":…,\"args\":{}}")
        }
        guard version == Int64(ControlProtocol.version) else {
            throw DRDError(.protocolError,
                           "unsupported protocol version \(version) in request; drd speaks version \(ControlProtocol.version)",
                           hint: "use a drctl from the same drd release")
        }
        guard let id = object["id"]?.stringValue, !id.isEmpty, id.utf8.count <= 200 else {
            throw DRDError(.protocolError, "request has no string 'id' (1-200 characters)")
        }
        guard let verb = object["verb"]?.stringValue, !verb.isEmpty else {
            throw DRDError(.protocolError, "request '\(id)' has no string 'verb'")
        }
        var args: [String: JSONValue] = [:]
        switch object["args"] {
        case nil, .null?: break
        case .object(let members)?: args = members
        default: throw DRDError(.protocolError, "'args' of request '\(id)' must be a json object")
        }
        return Request(id: id, verb: Verb(verb), args: args, version: Int(version))
    }

    /// The id of a request line that failed validation, when one can be found; "" otherwise.
    public static func bestEffortID(_ line: Data) -> String {
        guard let value = try? JSONValue.parse(line), let id = value["id"]?.stringValue, id.utf8.count <= 200
        else { return "" }
        return id
    }
}

/// Progress of long work, streamed as `event` frames. All fields but `phase` are optional.
public struct ProgressEvent: Codable, Sendable, Equatable {
    /// `dump`, `upload`, `download`, `load`, `indexes`, `verify`, `swap`, `queued`, `note`…
    public var phase: String
    /// The daemon's job id, so `drctl cancel JOB` can name it.
    public var job: String?
    public var bytes: Int64?
    public var totalBytes: Int64?
    public var rows: Int64?
    public var tablesDone: Int?
    public var tablesTotal: Int?
    /// Bytes per second.
    public var rate: Double?
    /// Estimated seconds left.
    public var eta: Double?
    public var message: String?

    public init(phase: String, job: String? = nil, bytes: Int64? = nil, totalBytes: Int64? = nil, rows: Int64? = nil,
                tablesDone: Int? = nil, tablesTotal: Int? = nil, rate: Double? = nil, eta: Double? = nil,
                message: String? = nil) {
        self.phase = phase
        self.job = job
        self.bytes = bytes
        self.totalBytes = totalBytes
        self.rows = rows
        self.tablesDone = tablesDone
        self.tablesTotal = tablesTotal
        self.rate = rate
        self.eta = eta
        self.message = message
    }

    /// The wire object, built directly (events are the hot path; no Codable round trip).
    public var json: JSONValue {
        var o: [String: JSONValue] = ["phase": .string(phase)]
        if let job { o["job"] = .string(job) }
        if let bytes { o["bytes"] = .int(bytes) }
        if let totalBytes { o["total_bytes"] = .int(totalBytes) }
        if let rows { o["rows"] = .int(rows) }
        if let tablesDone { o["tables_done"] = .int(Int64(tablesDone)) }
        if let tablesTotal { o["tables_total"] = .int(Int64(tablesTotal)) }
        if let rate { o["rate"] = .double(rate) }
        if let eta { o["eta"] = .double(eta) }
        if let message { o["message"] = .string(message) }
        return .object(o)
    }

    /// Reads the wire object; unknown fields are ignored (a newer daemon may add some).
    public init(json: JSONValue) throws {
        guard let phase = json["phase"]?.stringValue else {
            throw DRDError(.protocolError, "malformed reply from drd: event without 'phase'")
        }
        self.init(phase: phase, job: json["job"]?.stringValue, bytes: json["bytes"]?.intValue,
                  totalBytes: json["total_bytes"]?.intValue, rows: json["rows"]?.intValue,
                  tablesDone: json["tables_done"]?.intValue.map { Int($0) },
                  tablesTotal: json["tables_total"]?.intValue.map { Int($0) },
                  rate: json["rate"]?.doubleValue, eta: json["eta"]?.doubleValue, message: json["message"]?.stringValue)
    }

    enum CodingKeys: String, CodingKey {
        case phase, job, bytes, rows, rate, eta, message
        case totalBytes = "total_bytes"
        case tablesDone = "tables_done"
        case tablesTotal = "tables_total"
    }
}

/// The body of an `error` frame: a `DRDError` on the wire.
public struct ErrorReply: Codable, Sendable, Equatable {
    public var code: DRDError.Code
    public var message: String
    public var hint: String?

    public init(_ error: DRDError) {
        code = error.code
        message = error.message
        hint = error.hint
    }

    public var error: DRDError { DRDError(code, message, hint: hint) }
}
