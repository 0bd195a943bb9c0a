import Postgres
import Support

/// Dropping the scratch databases restores and drills create.
enum ScratchDatabase {
    /// Drops `name` with `WITH (FORCE)`. Subscriptions restored into it (created disabled and without
    /// a slot, as pg_dump does) would block the drop, so they are detached and dropped first.
    static func drop(_ name: String, admin: Connection, conninfo: String, log: Logger) {
        if let target = try? Conninfo.replacingDatabase(conninfo, with: name),
           let conn = try? Connection(conninfo: target, applicationName: "drd cleanup") {
            let subscriptions = (try? conn.query("""
                SELECT subname FROM pg_catalog.pg_subscription
                WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
                """).records.map { $0.string("subname") }) ?? []
            for sub in subscriptions {
                let s = Connection.quoteIdentifier(sub)
                _ = try? conn.execute("ALTER SUBSCRIPTION \(s) DISABLE")
                _ = try? conn.execute("ALTER SUBSCRIPTION \(s) SET (slot_name = NONE)")
                _ = try? conn.execute("DROP SUBSCRIPTION \(s)")
            }
            conn.close()
        }
        do {
            if admin.serverVersionNum >= 130000 {
                try admin.execute("DROP DATABASE IF EXISTS \(Connection.quoteIdentifier(name)) WITH (FORCE)")
            } else {
                // WITH (FORCE) is PostgreSQL 13+: end the sessions first.
                _ = try admin.query("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1", [name])
                try admin.execute("DROP DATABASE IF EXISTS \(Connection.quoteIdentifier(name))")
            }
        } catch {
            log.warning("unable to drop scratch database; drop it by hand", [("database", name), ("error", "\(error)")])
        }
    }
}
