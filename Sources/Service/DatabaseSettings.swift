import Postgres
import Support

/// What belongs to a database rather than to its contents — privileges (`GRANT CONNECT …`),
/// `ALTER DATABASE … SET` and `ALTER ROLE … IN DATABASE … SET` settings, the connection limit — and is
/// therefore not in a logical dump. A restore copies them from the database it replaces, so the
/// swap does not quietly reopen a database that had `REVOKE CONNECT … FROM PUBLIC`.
enum DatabaseSettings {
    /// Settings whose values are lists: their stored text is already valid SQL (`"$user", public`).
    static let listSettings: Set<String> = ["search_path", "temp_tablespaces", "session_preload_libraries",
                                            "local_preload_libraries", "shared_preload_libraries"]

    static func copy(from source: String, to target: String, admin: Connection) throws {
        let t = Connection.quoteIdentifier(target)
        guard let row = try admin.query("""
            SELECT oid::text AS oid, datconnlimit::text AS connlimit, datacl IS NULL AS default_acl
            FROM pg_catalog.pg_database WHERE datname = $1
            """, [source]).records.first else { return }
        if row.string("connlimit") != "-1" {
            try admin.execute("ALTER DATABASE \(t) CONNECTION LIMIT \(Int(row.string("connlimit")) ?? -1)")
        }
        if !row.bool("default_acl") {
            try admin.execute("REVOKE ALL ON DATABASE \(t) FROM PUBLIC")
            let grants = try admin.query("""
                SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee,
                       a.privilege_type, a.is_grantable
                FROM pg_catalog.pg_database d, pg_catalog.aclexplode(d.datacl) a
                WHERE d.datname = $1 AND a.grantee <> d.datdba
                """, [source]).records
            for grant in grants {
                let option = grant.bool("is_grantable") ? " WITH GRANT OPTION" : ""
                try admin.execute("GRANT \(grant.string("privilege_type")) ON DATABASE \(t) TO \(grant.string("grantee"))\(option)")
            }
        }
        let settings = try admin.query("""
            SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(s.setrole)) END AS role,
                   pg_catalog.unnest(s.setconfig) AS setting
            FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = $1::pg_catalog.oid
            """, [row.string("oid")]).records
        for entry in settings {
            let setting = entry.string("setting")
            guard let eq = setting.firstIndex(of: "=") else { continue }
            let name = String(setting[..<eq])
            let value = String(setting[setting.index(after: eq)...])
            let sqlValue = listSettings.contains(name.lowercased()) ? value : Connection.quoteLiteral(value)
            let scope = entry["role"].map { "ROLE \($0) IN DATABASE \(t)" } ?? "DATABASE \(t)"
            try admin.execute("ALTER \(scope) SET \(Connection.quoteIdentifier(name)) = \(sqlValue)")
        }
    }
}
