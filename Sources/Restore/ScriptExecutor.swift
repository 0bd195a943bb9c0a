import Postgres
import Support

/// Executes a plain SQL script the way `psql -v ON_ERROR_STOP=1 -f script` does: statement by
/// statement, `COPY … FROM stdin` data streamed to the server without buffering the table, and
/// the meta-commands pg_dump emits (`\connect`, `\restrict`/`\unrestrict`, `\encoding`, `\set`,
/// `\pset`). The first failing statement stops the run with an error naming its line, its first
/// characters and the server's message.
///
/// Input is already-decompressed SQL text (wrap a `.sql.gz` in Archive's `GzipReader` first).
/// Not thread-safe; one executor per connection.
public final class ScriptExecutor {
    private var connection: Connection
    private let conninfo: String?
    private let options: ScriptOptions
    /// Connections this executor opened for `\connect` (the caller's is never closed here).
    private var ownsConnection = false
    /// Cancels a long statement on the server when the token fires.
    private var watcher: CancelWatcher?

    /// - Parameters:
    ///   - connection: where statements run (the caller keeps ownership).
    ///   - conninfo: the conninfo `connection` was opened with; needed to follow `\connect`.
    ///   - options: transaction mode, role skipping, cancellation, progress.
    public init(connection: Connection, conninfo: String? = nil, options: ScriptOptions = ScriptOptions()) {
        self.connection = connection
        self.conninfo = conninfo
        self.options = options
    }

    deinit {
        watcher?.stop()
        if ownsConnection { connection.close() }
    }

    /// Runs the whole script from `source`. Throws the first error (a `DRDError` whose message
    /// starts with `<name> line N: <statement excerpt>:`), after rolling back when in
    /// single-transaction mode.
    public func run(_ source: ByteSource) throws -> ScriptResult {
        try run(source, beforeCommit: {})
    }

    /// Like `run(_:)`, calling `beforeCommit` after the last statement and before `COMMIT` in
    /// single-transaction mode (or at the end otherwise): a checksum verified there that throws
    /// rolls the whole script back.
    public func run(_ source: ByteSource, beforeCommit: () throws -> Void) throws -> ScriptResult {
        let lexer = ScriptLexer(source, name: options.name)
        var result = ScriptResult()
        lexer.standardConformingStrings = try currentStandardConformingStrings()
        if options.singleTransaction { try connection.execute("BEGIN") }
        watcher = CancelWatcher.start(token: options.token, connection: connection)
        defer { watcher?.stop(); watcher = nil }
        do {
            while let item = try lexer.next() {
                try options.token?.check()
                switch item {
                case .statement(let statement):
                    try execute(statement, lexer: lexer, result: &result)
                case .meta(let meta):
                    try handle(meta, lexer: lexer)
                }
                result.bytesRead = lexer.bytesRead
                report(result)
            }
            result.bytesRead = lexer.bytesRead
            report(result)
            try beforeCommit()
            if options.singleTransaction { try connection.execute("COMMIT") }
        } catch {
            if options.singleTransaction { _ = try? connection.execute("ROLLBACK") }
            throw error
        }
        result.bytesRead = lexer.bytesRead
        result.database = connection.databaseName
        result.missingRoles = Array(Set(result.missingRoles)).sorted()
        return result
    }

    // MARK: - Statements

    private func execute(_ statement: ScriptStatement, lexer: ScriptLexer, result: inout ScriptResult) throws {
        if statement.text == ";" { return }  // an empty statement: psql sends nothing useful
        // Refuse before running: a DROP DATABASE from --create --clean output would hit the live
        // database the script names long before its \connect line is refused.
        if !options.allowConnect, let command = ScriptGuard.clusterCommand(statement.text) {
            throw ScriptGuard.refusal(command, name: options.name, line: statement.line)
        }
        if statement.isCopyFromStdin {
            try copy(statement, lexer: lexer, result: &result)
            return
        }
        let savepoint = (options.skipMissingRoles || options.skipExistingRoles) && options.singleTransaction && ScriptText.mayNameRole(statement.text)
        do {
            if savepoint { try connection.execute("SAVEPOINT drd_role_check") }
            try connection.execute(statement.text)
            if savepoint { try connection.execute("RELEASE SAVEPOINT drd_role_check") }
            result.statements += 1
        } catch let error as DRDError {
            let missingRole = options.skipMissingRoles ? ScriptText.missingRole(in: error) : nil
            let existingRole = options.skipExistingRoles && ScriptText.isExistingRole(error, statement.text)
            if missingRole != nil || existingRole {
                if savepoint { try connection.execute("ROLLBACK TO SAVEPOINT drd_role_check") }
                if !savepoint && options.singleTransaction { throw wrap(error, statement) }
                result.skipped.append(SkippedStatement(line: statement.line, excerpt: ScriptText.excerpt(statement.text),
                                                       reason: error.message))
                if let missingRole { result.missingRoles.append(missingRole) }
                return
            }
            throw wrap(error, statement)
        }
        if let scs = ScriptText.standardConformingStrings(after: statement.text) {
            lexer.standardConformingStrings = scs
        }
    }

    private func copy(_ statement: ScriptStatement, lexer: ScriptLexer, result: inout ScriptResult) throws {
        let table = ScriptText.copyTarget(statement.text)
        let token = options.token
        let progress = options.progress
        let base = ScriptProgress(statements: result.statements, bytesRead: 0, rowsCopied: result.totalRows)
        let loaded: Int64
        do {
            loaded = try connection.copyIn(statement.text) { writer in
                _ = try lexer.copyData(statement: statement, table: table, sink: { try writer.write($0) },
                                       checkpoint: { rows in
                    try token?.check()
                    if let progress {
                        var p = base
                        p.bytesRead = lexer.bytesRead
                        p.rowsCopied += rows
                        progress(p)
                    }
                })
            }
        } catch let error as DRDError {
            throw wrap(error, statement)
        }
        result.statements += 1
        result.rowsCopied[table, default: 0] += loaded
    }

    private func wrap(_ error: DRDError, _ statement: ScriptStatement) -> DRDError {
        if error.code == .cancelled, let token = options.token, token.isCancelled {
            return DRDError(.cancelled, "\(options.name) line \(statement.line): stopped: \(token.reason)")
        }
        return DRDError(error.code, "\(options.name) line \(statement.line): \(ScriptText.excerpt(statement.text)): \(error.message)",
                        hint: error.hint)
    }

    private func report(_ result: ScriptResult) {
        options.progress?(ScriptProgress(statements: result.statements, bytesRead: result.bytesRead,
                                         rowsCopied: result.totalRows))
    }

    private func currentStandardConformingStrings() throws -> Bool {
        try connection.scalar("SHOW standard_conforming_strings") != "off"
    }

    // MARK: - Meta-commands

    private func handle(_ meta: ScriptMetaCommand, lexer: ScriptLexer) throws {
        switch meta.name {
        case "connect", "c":
            try reconnect(meta)
            lexer.standardConformingStrings = try currentStandardConformingStrings()
        case "restrict", "unrestrict", "encoding", "set", "unset", "pset":
            // \restrict guards psql against injected meta-commands (15.14+); the rest only tune psql.
            break
        default:
            throw DRDError(.query, "\(options.name) line \(meta.line): unsupported psql meta-command \\\(meta.name)",
                           hint: "drd runs SQL and the meta-commands pg_dump emits (\\connect, \\restrict, \\unrestrict, \\encoding, \\set, \\pset)")
        }
    }

    /// `\connect [-reuse-previous=on] dbname|"dbname='x'"` with no other connection parameters.
    private func reconnect(_ meta: ScriptMetaCommand) throws {
        var args = meta.arguments
        if let first = args.first, first.hasPrefix("-reuse-previous") { args.removeFirst() }
        let place = "\(options.name) line \(meta.line)"
        guard let target = args.first, target != "-" else { return }  // same database: nothing to do
        if args.dropFirst().contains(where: { $0 != "-" }) {
            throw DRDError(.query, "\(place): \\connect may only change the database, not the user, host or port")
        }
        var database = target
        if target.contains("=") || target.hasPrefix("postgres://") || target.hasPrefix("postgresql://") {
            guard let parsed = Connection.parseConninfo(target), let name = parsed["dbname"] else {
                throw DRDError(.query, "\(place): \\connect argument is not a valid connection string")
            }
            let others = parsed.filter { $0.key != "dbname" && !$0.value.isEmpty }
            if !others.isEmpty {
                throw DRDError(.query, "\(place): \\connect may only change the database, not \(others.keys.sorted().joined(separator: ", "))")
            }
            database = name
        }
        if database == connection.databaseName { return }
        guard options.allowConnect, let conninfo else {
            throw DRDError(.query, "\(place): the script switches to database \"\(database)\" with \\connect, which is not allowed here",
                           hint: "this is pg_dump --create output: load it from a maintenance database with \\connect allowed, or dump without --create")
        }
        if options.singleTransaction {
            throw DRDError(.query, "\(place): \\connect to \"\(database)\" cannot run inside a single transaction")
        }
        let next = try Connection(conninfo: conninfo, overrides: ["dbname": database])
        watcher?.stop()
        if ownsConnection { connection.close() }
        connection = next
        ownsConnection = true
        watcher = CancelWatcher.start(token: options.token, connection: next)
    }
}
