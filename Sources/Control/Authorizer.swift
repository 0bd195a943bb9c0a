#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// Who is on the other end of a control connection, from the kernel (`SO_PEERCRED`), plus the
/// supplementary groups of that uid from the group database (`getgrouplist`).
public struct Peer: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// Primary and supplementary groups of the uid's user (the primary gid is always included).
    public var groups: Set<UInt32>
    /// The user name when the uid has a passwd entry (for logs).
    public var userName: String?

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: Set<UInt32> = [], userName: String? = nil) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups.union([gid])
        self.userName = userName
    }

    /// Reads the peer of a connected socket.
    public static func of(_ socket: UnixSocket) throws -> Peer {
        let cred = try socket.peerCredentials()
        let name = UserDatabase.userName(uid: cred.uid)
        let groups = name.map { UserDatabase.groups(user: $0, primary: cred.gid) } ?? []
        return Peer(pid: cred.pid, uid: cred.uid, gid: cred.gid, groups: Set(groups), userName: name)
    }

    public func isMember(of group: UInt32) -> Bool { groups.contains(group) }

    public var description: String {
        "uid=\(uid)\(userName.map { "(\($0))" } ?? "") gid=\(gid) pid=\(pid)"
    }
}

/// Decides what a peer may do. DESIGN.md: read verbs for the socket's group, mutating verbs per
/// config, protected restores for root or an admin group.
///
/// - read verbs (`Verb.readOnly`): root, the daemon's own uid, members of `socketGroup`,
///   `mutatingGroups` or `adminGroup`;
/// - every other verb: root, the daemon's uid, members of `mutatingGroups` or `adminGroup`;
/// - `.protectedRestore`: root or members of `adminGroup` only.
public struct Authorizer: Sendable, Equatable {
    /// What is being asked for.
    public enum Action: Sendable, Equatable {
        case verb(Verb)
        /// A restore into a `protected` environment; the daemon checks this itself once it has
        /// resolved the environment (the socket layer cannot know).
        case protectedRestore
    }

    public var daemonUID: UInt32
    public var socketGroup: UInt32?
    public var mutatingGroups: Set<UInt32>
    public var adminGroup: UInt32?
    /// Verbs treated as read-only.
    public var readVerbs: Set<Verb>

    public init(daemonUID: UInt32 = geteuid(), socketGroup: UInt32? = nil, mutatingGroups: Set<UInt32> = [],
                adminGroup: UInt32? = nil, readVerbs: Set<Verb> = Verb.readOnly) {
        self.daemonUID = daemonUID
        self.socketGroup = socketGroup
        self.mutatingGroups = mutatingGroups
        self.adminGroup = adminGroup
        self.readVerbs = readVerbs
    }

    /// Builds an authorizer from group names in the configuration (`[daemon] admin_group`…).
    /// Unknown group names are a config error.
    public static func resolving(socketGroup: String?, mutatingGroups: [String] = [], adminGroup: String?,
                                 daemonUID: UInt32 = geteuid()) throws -> Authorizer {
        func gid(_ name: String, _ key: String) throws -> UInt32 {
            guard let gid = UserDatabase.groupID(name: name) else {
                throw DRDError(.config, "\(key) '\(name)' is not a group on this host",
                               hint: "create it (groupadd \(name)) or change \(key)")
            }
            return gid
        }
        return Authorizer(daemonUID: daemonUID,
                          socketGroup: try socketGroup.map { try gid($0, "socket group") },
                          mutatingGroups: Set(try mutatingGroups.map { try gid($0, "mutating group") }),
                          adminGroup: try adminGroup.map { try gid($0, "admin_group") })
    }

    /// True when `peer` may perform `action`.
    public func allows(_ action: Action, peer: Peer) -> Bool {
        if peer.uid == 0 { return true }
        let admin = adminGroup.map(peer.isMember(of:)) ?? false
        switch action {
        case .protectedRestore:
            return admin
        case .verb(let verb):
            if peer.uid == daemonUID || admin { return true }
            if !mutatingGroups.isDisjoint(with: peer.groups) { return true }
            if readVerbs.contains(verb) { return socketGroup.map(peer.isMember(of:)) ?? false }
            return false
        }
    }

    /// Throws a `.permission` error naming the peer and what it lacked.
    public func check(_ action: Action, peer: Peer) throws {
        guard !allows(action, peer: peer) else { return }
        switch action {
        case .protectedRestore:
            let group = adminGroup.flatMap(UserDatabase.groupName(gid:)) ?? adminGroup.map { "gid \($0)" }
            throw DRDError(.permission, "restore into a protected environment refused for \(peer)",
                           hint: group.map { "run it as root or as a member of the admin group '\($0)'" }
                               ?? "run it as root, or set [daemon] admin_group in drd.conf")
        case .verb(let verb):
            let what = readVerbs.contains(verb) ? "read" : "mutating"
            throw DRDError(.permission, "\(what) verb '\(verb)' refused for \(peer)",
                           hint: hint(for: verb))
        }
    }

    private func hint(for verb: Verb) -> String {
        var groups: [UInt32] = Array(mutatingGroups)
        if readVerbs.contains(verb), let socketGroup { groups.append(socketGroup) }
        if let adminGroup { groups.append(adminGroup) }
        let names = groups.map { UserDatabase.groupName(gid: $0) ?? "gid \($0)" }
        guard !names.isEmpty else { return "run drctl as root or as the drd user" }
        return "run drctl as root or as a member of " + Array(Set(names)).sorted().joined(separator: " or ")
    }
}
