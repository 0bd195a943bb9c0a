import Foundation
import Support

// drctl: the drd command-line client. Offline verbs run the engine in-process (like pg_dump and
// psql); the others talk to the daemon over its Unix socket. Exit codes: 0 ok, 1 failed,
// 2 usage or configuration error, 3 not compliant.

let usage = """
    usage: drctl [--socket PATH] VERB [options]

    offline (engine in-process, no daemon):
      dump CONNINFO [--output FILE|URL|-] [--jobs N] [--compress-level 0-9] [--lock-timeout SECONDS]
                    [--chunk-size BYTES] [--no-globals] [--with-passwords] [--quiet]
      load FILE|URL CONNINFO [--jobs N] [--table SCHEMA.TABLE] [--no-globals] [--allow-nonempty]
                    [--single-transaction (plain SQL scripts only)] [--quiet]
      policy check [FILES] [--config FILE] [--json] [--quiet]

    through the daemon (--socket PATH, env DRD_SOCKET, default /run/drd/drd.sock):
      status | jobs | list [POLICY]                                   (read verbs take --json)
      backup POLICY [--quiet]
      restore BACKUP ENVIRONMENT [--table SCHEMA.TABLE] [--yes] [--force-protected [--confirm DBNAME]]
      verify BACKUP | drill POLICY | cancel JOB
      prune [POLICY] [--dry-run] [--as-of TIME] [--json]
      report [POLICY] [--from TIME|AGE] [--to TIME] [--format text|json|markdown|html]
    BACKUP is a backup id, an s3:// URL, or a local .sql.gz (opened by drctl, passed to the daemon).
    TIME is ISO 8601 (2026-11-01T00:00:00Z); AGE is a duration back from now (7d, 12h).
    The report window defaults to the last 30 days.

    exit codes: 0 ok, 1 failed, 2 usage or config error, 3 not compliant.
    """

func fail(_ error: Error) -> Never {
    let message: String
    let code: Int32
    if let e = error as? DRDError {
        message = e.description
        code = e.exitCode
    } else {
        message = "\(error)"
        code = 1
    }
    FileHandle.standardError.write(Data("drctl: \(Redact.keyValues(message))\n".utf8))
    exit(code)
}

var argv = Array(CommandLine.arguments.dropFirst())
// A global `--socket PATH` before the verb is passed on to the verb.
var globalSocket: [String] = []
while let first = argv.first, first == "--socket" || first.hasPrefix("--socket=") {
    argv.removeFirst()
    if first == "--socket" {
        guard let path = argv.first else { fail(DRDError(.usage, "option --socket needs a value")) }
        argv.removeFirst()
        globalSocket = ["--socket", path]
    } else {
        globalSocket = [first]
    }
}
guard let verb = argv.first else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
argv.removeFirst()
argv += globalSocket
if verb == "-h" || verb == "--help" || verb == "help" {
    print(usage)
    exit(0)
}
if verb == "--version" || verb == "version" {
    print("drctl 0.1.0")
    exit(0)
}

do {
    let status = try Commands.run(verb: verb, arguments: argv)
    exit(status)
} catch {
    fail(error)
}
