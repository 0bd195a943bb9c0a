import Foundation
import Support
import Testing
@testable import Control

@Suite struct AuthorizerTests {
    // daemon uid 990, socket group 990 (drd), operators 1500, dba admins 1600.
    let rules = Authorizer(daemonUID: 990, socketGroup: 990, mutatingGroups: [1500], adminGroup: 1600)

    func peer(_ uid: UInt32, _ groups: Set<UInt32>) -> Peer {
        Peer(pid: 4242, uid: uid, gid: groups.first ?? 100, groups: groups)
    }

    @Test func rootMayDoEverything() {
        let root = peer(0, [0])
        for verb in Verb.builtin { #expect(rules.allows(.verb(verb), peer: root)) }
        #expect(rules.allows(.protectedRestore, peer: root))
    }

    @Test func daemonUserMayRunVerbsButNotProtectedRestores() {
        let daemon = peer(990, [990])
        #expect(rules.allows(.verb(.backup), peer: daemon))
        #expect(rules.allows(.verb(.status), peer: daemon))
        #expect(!rules.allows(.protectedRestore, peer: daemon))
    }

    @Test func socketGroupMembersOnlyRead() {
        let member = peer(1000, [1000, 990])
        for verb in Verb.readOnly { #expect(rules.allows(.verb(verb), peer: member)) }
        for verb in Verb.builtin.subtracting(Verb.readOnly) {
            #expect(!rules.allows(.verb(verb), peer: member), "\(verb)")
        }
        #expect(throws: DRDError.self) { try rules.check(.verb(.backup), peer: member) }
    }

    @Test func mutatingGroupMayRunJobsButNotProtectedRestores() {
        let operatorPeer = peer(1001, [1001, 1500])
        #expect(rules.allows(.verb(.backup), peer: operatorPeer))
        #expect(rules.allows(.verb(.restore), peer: operatorPeer))
        #expect(rules.allows(.verb(.list), peer: operatorPeer))
        #expect(!rules.allows(.protectedRestore, peer: operatorPeer))
    }

    @Test func adminGroupMayRestoreProtected() {
        let admin = peer(1002, [1002, 1600])
        #expect(rules.allows(.protectedRestore, peer: admin))
        #expect(rules.allows(.verb(.prune), peer: admin))
    }

    @Test func strangersAreRefusedWithAReason() {
        let stranger = peer(2000, [2000])
        for verb in Verb.builtin { #expect(!rules.allows(.verb(verb), peer: stranger)) }
        do {
            try rules.check(.verb(.status), peer: stranger)
            Issue.record("stranger allowed")
        } catch let error as DRDError {
            #expect(error.code == .permission)
            #expect(error.message.contains("'status'"))
            #expect(error.message.contains("uid=2000"))
            #expect(error.hint?.contains("member of") == true)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func noGroupsConfiguredMeansRootAndDaemonOnly() {
        let bare = Authorizer(daemonUID: 990)
        #expect(!bare.allows(.verb(.status), peer: peer(1000, [1000])))
        #expect(bare.allows(.verb(.status), peer: peer(990, [990])))
        #expect(!bare.allows(.protectedRestore, peer: peer(990, [990])))
    }

    @Test func resolvesGroupNames() throws {
        let resolved = try Authorizer.resolving(socketGroup: "root", adminGroup: "0", daemonUID: 5)
        #expect(resolved.socketGroup == 0)
        #expect(resolved.adminGroup == 0)
        #expect(throws: DRDError.self) {
            try Authorizer.resolving(socketGroup: "no-such-group-drd", adminGroup: nil)
        }
    }

    @Test func peerGroupsIncludePrimaryGroup() {
        #expect(Peer(pid: 1, uid: 5, gid: 7).groups == [7])
        #expect(UserDatabase.groups(user: "root", primary: 0).contains(0))
        #expect(UserDatabase.userName(uid: 0) == "root")
    }
}
