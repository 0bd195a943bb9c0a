import Foundation
import Support

/// One response frame. On the wire:
///
///     {"version":1,"id":"…","type":"event","event":{"phase":"dump","bytes":1024,…}}
///     {"version":1,"id":"…","type":"result","ok":true,"result":{…}}
///     {"version":1,"id":"…","type":"error","ok":false,"error":{"code":"notFound","message":"…","hint":"…"}}
public struct Response: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case event(ProgressEvent)
        case result(JSONValue)
        case error(ErrorReply)
    }

    public var version: Int
    public var id: String
    public var body: Body

    public init(id: String, _ body: Body, version: Int = ControlProtocol.version) {
        self.version = version
        self.id = id
        self.body = body
    }

    /// True for `result` and `error`: the last frame of a request.
    public var isFinal: Bool {
        if case .event = body { return false }
        return true
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["version": .int(Int64(version)), "id": .string(id)]
        switch body {
        case .event(let progress):
            object["type"] = "event"
            object["event"] = progress.json
        case .result(let payload):
            object["type"] = "result"
            object["ok"] = true
            object["result"] = payload
        case .error(let reply):
            object["type"] = "error"
            object["ok"] = false
            var error: [String: JSONValue] = ["code": .string(reply.code.rawValue), "message": .string(reply.message)]
            if let hint = reply.hint { error["hint"] = .string(hint) }
            object["error"] = .object(error)
        }
        return .object(object)
    }

    /// The frame as one line, newline included.
    public func line() -> Data {
        Data((json.jsonText() + "\n").utf8)
    }

    /// Parses one response line (client side). A frame from another protocol version is an error
    /// naming both versions.
    public static func parse(_ line: Data) throws -> Response {
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch let error as DRDError {
            throw DRDError(.protocolError, "malformed reply from drd: \(error.message)")
        }
        guard case .object(let object) = value else {
            throw DRDError(.protocolError, "malformed reply from drd: not a json object")
        }
        guard let version = object["version"]?.intValue else {
            throw DRDError(.protocolError, "malformed reply from drd: no 'version'")
        }
        guard version == Int64(ControlProtocol.version) else {
            throw DRDError(.protocolError,
                           "drd replied with protocol version \(version); this drctl speaks version \(ControlProtocol.version)",
                           hint: "use a drctl from the same drd release")
        }
        let id = object["id"]?.stringValue ?? ""
        switch object["type"]?.stringValue {
        case "event"?:
            guard let event = object["event"] else {
                throw DRDError(.protocolError, "malformed reply from drd: event frame without 'event'")
            }
            return Response(id: id, .event(try ProgressEvent(json: event)))
        case "result"?:
            return Response(id: id, .result(object["result"] ?? .null))
        case "error"?:
            guard let error = object["error"], let message = error["message"]?.stringValue else {
                throw DRDError(.protocolError, "malformed reply from drd: error frame without 'error.message'")
            }
            // An unknown code (a newer daemon) still reads as an error rather than a protocol failure.
            let code = error["code"]?.stringValue.flatMap(DRDError.Code.init(rawValue:)) ?? .internal
            let reply = ErrorReply(DRDError(code, message, hint: error["hint"]?.stringValue))
            return Response(id: id, .error(reply))
        default:
            throw DRDError(.protocolError, "malformed reply from drd: unknown frame type")
        }
    }
}
