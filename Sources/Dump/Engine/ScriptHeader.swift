import Foundation

/// The session settings every drd script and member starts with (as pg_dump's plain format does),
/// so `gunzip -c x.sql.gz | psql` and per-member parallel loads behave the same.
enum ScriptHeader {
    /// The header that opens the pre-data member (and the globals member).
    static func full(encoding: String, title: String) -> String {
        var text = "--\n-- \(oneLine(title))\n--\n\n"
        text += sessionSettings(encoding: encoding)
        text += "\n"
        return text
    }

    /// What a data member needs to load on its own connection.
    static func dataMember(encoding: String) -> String {
        "SET client_encoding = \(literal(encoding));\nSET standard_conforming_strings = on;\n"
    }

    static func sessionSettings(encoding: String) -> String {
        """
        SET statement_timeout = 0;
        SET lock_timeout = 0;
        SET idle_in_transaction_session_timeout = 0;
        SET client_encoding = \(literal(encoding));
        SET standard_conforming_strings = on;
        SELECT pg_catalog.set_config('search_path', '', false);
        SET check_function_bodies = false;
        SET xmloption = content;
        SET client_min_messages = warning;
        SET row_security = off;

        """
    }

    /// Comments in the script must stay on one line whatever the database is called.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    static func literal(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
