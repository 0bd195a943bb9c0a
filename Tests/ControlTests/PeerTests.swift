#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support
import TestHelpers
import Testing
@testable import Control

/// A client of another uid, run as `nobody` through runuser and python3 (root only).
enum NobodyAccount {
    /// nobody's uid and primary gid, when the account exists.
    static var ids: (uid: UInt32, gid: UInt32)? {
        guard let entry = getpwnam("nobody") else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Root (to switch user), a nobody account, python3 and runuser.
    static var available: Bool {
        getuid() == 0 && ids != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")
    }
}

@Suite(.serialized, .enabled(if: NobodyAccount.available))
struct OtherUserTests {
    static var nobody: (uid: UInt32, gid: UInt32)? { NobodyAccount.ids }

    static let client = """
    import json, socket, sys
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
    except OSError as e:
        print("errno", e.errno); sys.exit(0)
    s.sendall((json.dumps({"version": 1, "id": "py", "verb": sys.argv[2], "args": {}}) + "\\n").encode())
    print(s.makefile().readline().strip())
    """

    func runAsNobody(_ path: String, _ verb: String) throws -> String {
        try Shell.run(["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c", Self.client, path, verb])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func reply(_ text: String) throws -> Response { try Response.parse(Data(text.utf8)) }

    @Test func strangerIsRefusedBySocketPermissions() throws {
        let server = try TestServer()
        defer { server.stop() }
        #expect(try runAsNobody(server.path, "status") == "errno \(EACCES)")
    }

    @Test func strangerIsRefusedByPeerCredentials() throws {
        let server = try TestServer()  // no socket group: only root and the daemon's uid
        defer { server.stop() }
        chmod(server.path, 0o666)     // let nobody reach the socket so SO_PEERCRED decides
        let response = try reply(try runAsNobody(server.path, "status"))
        guard case .error(let error) = response.body else { Issue.record("nobody was served"); return }
        #expect(error.code == .permission)
        #expect(error.message.contains("uid=\(Self.nobody?.uid ?? 0)"))
        #expect(response.id == "py")
        _ = try server.client().call(Request(verb: .status))  // root still served
    }

    @Test func socketGroupMemberMayReadButNotMutate() throws {
        let nobody = try #require(Self.nobody)
        let server = try TestServer(authorizer: Authorizer(socketGroup: nobody.gid))
        defer { server.stop() }
        chmod(server.path, 0o666)
        let status = try reply(try runAsNobody(server.path, "status"))
        guard case .result(let payload) = status.body else { Issue.record("status refused: \(status)"); return }
        #expect(payload["uid"]?.intValue == Int64(nobody.uid))
        let backup = try reply(try runAsNobody(server.path, "backup"))
        guard case .error(let error) = backup.body else { Issue.record("backup allowed"); return }
        #expect(error.code == .permission)
        #expect(error.message.contains("mutating verb 'backup'"))
    }
}
