import Foundation
import Support

// drctl: the drd command-line client. Offline verbs run the engine in-process (like pg_dump and
// psql); the others talk to the daemon over its Unix socket. Exit codes: 0 ok, 1 failed,
// 2 usage or configuration error, 3 not compliant.

let usage = """
    usage: drctl VERB [options]

    offline (engine in-process, no daemon):
      dump CONNINFO [--output FILE|URL|-] [--jobs N] [--compress-level L] [--lock-timeout SECONDS]
      load FILE|URL CONNINFO [--jobs N] [--table SCHEMA.TABLE] [--single-transaction (plain scripts)] [--no-globals]
      policy check [FILES]

    through the daemon (--socket PATH, env DRD_SOCKET, default /run/drd/drd.sock):
      status | backup POLICY | list [POLICY] | restore BACKUP ENVIRONMENT [--table T] [--yes]
      verify BACKUP | drill POLICY | prune [POLICY] [--dry-run] [--as-of TIME]
      report [POLICY] [--from T] [--to T] [--format text|json|markdown|html]
      jobs | cancel JOB

    read verbs take --json. Exit codes: 0 ok, 1 failed, 2 usage or config error, 3 not compliant.
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
guard let verb = argv.first else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
argv.removeFirst()
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
