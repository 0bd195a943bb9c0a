#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Looks up Unix groups on this host, so `admin_group`, `operator_group` and `socket_group` naming a
/// group that does not exist are configuration errors instead of silently granting nobody access.
public enum HostGroups {
    /// Whether `name` is a group known to this host (`/etc/group`, or NSS such as LDAP/sssd).
    /// Uses the reentrant `getgrnam_r`, so it is safe from any thread.
    public static func exists(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var size = 4096
        // ERANGE: the buffer is too small for a group with many members; retry larger.
        while size <= 1 << 22 {
            var buffer = [CChar](repeating: 0, count: size)
            let rc = getgrnam_r(name, &entry, &buffer, size, &result)
            if rc == ERANGE {
                size *= 4
                continue
            }
            return rc == 0 && result != nil
        }
        return false
    }
}
