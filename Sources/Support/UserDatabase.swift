#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thread-safe lookups in the host's user and group databases (`/etc/passwd`, `/etc/group`, or NSS
/// such as LDAP/sssd) with the reentrant `get*_r` calls. Used by the control socket's authorization
/// and by configuration checks (`admin_group`, `operator_group`, `socket_group`).
public enum UserDatabase {
    public static func userName(uid: UInt32) -> String? {
        withBuffer { buffer in
            var pwd = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let rc = getpwuid_r(uid, &pwd, &buffer, buffer.count, &result)
            return (rc, result != nil ? pwd.pw_name.map { String(cString: $0) } : nil)
        }
    }

    /// The gid of group `name`; a numeric name is taken as a gid.
    public static func groupID(name: String) -> UInt32? {
        lookupGroup(name) ?? UInt32(name)
    }

    /// Whether `name` is a group known to this host.
    public static func groupExists(_ name: String) -> Bool {
        !name.isEmpty && lookupGroup(name) != nil
    }

    public static func groupName(gid: UInt32) -> String? {
        withBuffer { buffer in
            var grp = group()
            var result: UnsafeMutablePointer<group>?
            let rc = getgrgid_r(gid, &grp, &buffer, buffer.count, &result)
            return (rc, result != nil ? grp.gr_name.map { String(cString: $0) } : nil)
        }
    }

    /// `getgrouplist`: the primary group plus every group listing the user as a member.
    public static func groups(user: String, primary: UInt32) -> [UInt32] {
        var count: Int32 = 64
        for _ in 0..<4 {
            var list = [gid_t](repeating: 0, count: Int(count))
            var n = count
            if getgrouplist(user, primary, &list, &n) >= 0 { return Array(list.prefix(Int(n))) }
            count = max(n, count * 4)  // -1: n holds the needed size
        }
        return [primary]
    }

    private static func lookupGroup(_ name: String) -> UInt32? {
        withBuffer { buffer in
            var grp = group()
            var result: UnsafeMutablePointer<group>?
            let rc = getgrnam_r(name, &grp, &buffer, buffer.count, &result)
            return (rc, result != nil ? grp.gr_gid : nil)
        }
    }

    /// Runs a `get*_r` call, growing the buffer on ERANGE (groups with many members need more).
    private static func withBuffer<T>(_ call: (inout [CChar]) -> (Int32, T?)) -> T? {
        var size = 16 * 1024
        while size <= 1 << 22 {
            var buffer = [CChar](repeating: 0, count: size)
            let (rc, value) = call(&buffer)
            if rc == ERANGE { size *= 4; continue }
            return rc == 0 ? value : nil
        }
        return nil
    }
}
