import Foundation
import Support
import Testing
@testable import Control

@Suite struct JSONValueTests {
    @Test func roundTripsEveryKind() throws {
        let value: JSONValue = ["n": nil, "b": true, "i": 9_007_199_254_740_993, "d": 1.5, "s": "a\nb/c",
                                "a": [1, "x"], "o": ["k": false]]
        let text = value.jsonText()
        #expect(!text.contains("\n"))
        #expect(try JSONValue.parse(Data(text.utf8)) == value)
        #expect(value["i"]?.intValue == 9_007_199_254_740_993)  // beyond Double precision
        #expect(value["b"]?.boolValue == true)
        #expect(value["d"]?.doubleValue == 1.5)
        #expect(value["a"]?.arrayValue?.count == 2)
    }

    @Test func numbersAreNotBooleans() throws {
        let value = try JSONValue.parse(Data("[0,1,true,false,2.5,-3]".utf8))
        #expect(value == [0, 1, true, false, 2.5, -3])
    }

    @Test func codableStructsConvert() throws {
        struct Args: Codable, Equatable { var policy: String; var dryRun: Bool }
        let value = try JSONValue(encoding: Args(policy: "optim", dryRun: true))
        #expect(value["policy"] == "optim")
        #expect(try value.decode(Args.self) == Args(policy: "optim", dryRun: true))
        #expect(throws: DRDError.self) { try JSONValue.object([:]).decode(Args.self) }
    }

    @Test func malformedJSONIsAProtocolError() {
        #expect(throws: DRDError.self) { try JSONValue.parse(Data("{nope".utf8)) }
    }
}

@Suite struct RequestTests {
    @Test func roundTrip() throws {
        var request = Request(id: "r1", verb: .backup, args: ["policy": "optim"])
        let line = Data(request.json.jsonText().utf8)
        let parsed = try Request.parse(line)
        #expect(parsed == request)
        request.passedFD = 3
        #expect(parsed != request)
        #expect(try parsed.string("policy") == "optim")
        #expect(try parsed.string("missing") == nil)
        #expect(throws: DRDError.self) { try Request(verb: .list, args: ["x": 1]).string("x") }
    }

    @Test func argsFromEncodable() throws {
        struct Args: Codable { var backup: String; var environment: String }
        let request = try Request(verb: .restore, encoding: Args(backup: "b1", environment: "staging"))
        #expect(request.args["environment"] == "staging")
        #expect(try request.decodeArgs(Args.self).backup == "b1")
    }

    @Test(arguments: [
        ("[1,2]", "not a json object"),
        ("{\"id\":\"a\",\"verb\":\"status\"}", "no integer 'version'"),
        ("{\"version\":1,\"verb\":\"status\"}", "no string 'id'"),
        ("{\"version\":1,\"id\":\"a\"}", "no string 'verb'"),
        ("{\"version\":1,\"id\":\"a\",\"verb\":\"status\",\"args\":[1]}", "must be a json object"),
        ("{\"version\":1,\"id\":", "malformed json"),
    ])
    func invalidRequests(line: String, expected: String) {
        do {
            _ = try Request.parse(Data(line.utf8))
            Issue.record("accepted \(line)")
        } catch let error as DRDError {
            #expect(error.code == .protocolError)
            #expect(error.message.contains(expected), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func versionMismatchNamesBothVersions() {
        let line = Data(#"{"version":2,"id":"a","verb":"status","args":{}}"#.utf8)
        #expect(Request.bestEffortID(line) == "a")
        do {
            _ = try Request.parse(line)
            Issue.record("accepted version 2")
        } catch let error as DRDError {
            #expect(error.message.contains("version 2"))
            #expect(error.message.contains("version 1"))
            #expect(error.hint != nil)
        } catch { Issue.record("unexpected \(error)") }
    }
}

@Suite struct ResponseTests {
    @Test func framesRoundTrip() throws {
        let frames: [Response] = [
            Response(id: "a", .event(ProgressEvent(phase: "dump", job: "j1", bytes: 10, totalBytes: 100, rows: 5,
                                              tablesDone: 1, tablesTotal: 3, rate: 2.5, eta: 36, message: "m"))),
            Response(id: "a", .result(["backup": "20261121T040000Z"])),
            Response(id: "a", .error(ErrorReply(DRDError(.notFound, "policy 'x' not found", hint: "h")))),
        ]
        for frame in frames {
            let line = frame.line()
            #expect(line.last == 0x0a)
            #expect(line.dropLast().firstIndex(of: 0x0a) == nil)
            #expect(try Response.parse(line.dropLast()) == frame)
        }
        let text = String(decoding: frames[0].line(), as: UTF8.self)
        #expect(text.contains("\"tables_done\":1"))
        #expect(text.contains("\"type\":\"event\""))
        #expect(String(decoding: frames[1].line(), as: UTF8.self).contains("\"ok\":true"))
    }

    @Test func unknownErrorCodeStillReadsAsError() throws {
        let line = #"{"version":1,"id":"a","type":"error","error":{"code":"newCode","message":"m"}}"#
        let response = try Response.parse(Data(line.utf8))
        #expect(response.body == .error(ErrorReply(DRDError(.internal, "m"))))
    }

    @Test func replyVersionMismatchNamesBoth() {
        let line = #"{"version":7,"id":"a","type":"result","result":{}}"#
        #expect { try Response.parse(Data(line.utf8)) } throws: { error in
            let message = (error as? DRDError)?.message ?? ""
            return message.contains("version 7") && message.contains("version 1")
        }
    }

    @Test func socketPathResolution() {
        #expect(ControlClient.socketPath(flag: "/x.sock", environment: ["DRD_SOCKET": "/y"]) == "/x.sock")
        #expect(ControlClient.socketPath(flag: nil, environment: ["DRD_SOCKET": "/y"]) == "/y")
        #expect(ControlClient.socketPath(flag: nil, environment: [:]) == "/run/drd/drd.sock")
    }
}
