import Archive
import Compliance
import Control
import Foundation
import Service
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Verbs served by the daemon over its Unix socket.
enum DaemonCommands {
    static let readSwitches: Set<String> = ["json"]

    static func connect(_ args: Arguments) throws -> ControlClient {
        try ControlClient.connect(socketPath: ControlClient.socketPath(flag: args.value("socket")))
    }

    /// Sends one request and prints progress events; returns the result payload.
    static func call(_ args: Arguments, _ verb: Verb, _ fields: [String: JSONValue], passing fd: Int32? = nil,
                     quiet: Bool = false) throws -> JSONValue {
        let client = try connect(args)
        defer { client.close() }
        let printer = ProgressPrinter(quiet: quiet || args.has("json"))
        let request = Request(verb: verb, args: fields)
        do {
            let result = try client.call(request, passing: fd) { event in
                let fraction = event.totalBytes.flatMap { total in total > 0 ? Double(event.bytes ?? 0) / Double(total) : nil }
                var detail = event.message ?? ""
                if let rows = event.rows { detail += "\(rows) rows" }
                if let bytes = event.bytes { detail += (detail.isEmpty ? "" : ", ") + ByteCount.format(bytes) }
                if let done = event.tablesDone, let total = event.tablesTotal { detail += ", \(done)/\(total) tables" }
                if let eta = event.eta { detail += ", eta \(DurationText.format(eta))" }
                printer.show(phase: event.phase, fraction: fraction, detail: detail)
            }
            printer.finish("")
            return result
        } catch {
            printer.finish("")
            throw error
        }
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        print(String(decoding: try RecordCoding.encoder().encode(value), as: UTF8.self))
    }

    static func run(verb: String, _ argv: [String]) throws -> Int32 {
        switch verb {
        case "status":
            let args = try Arguments(argv, verb: verb, valued: ["socket"], switches: readSwitches)
            _ = try args.expect([])
            let status = try call(args, .status, [:]).decode(StatusPayload.self)
            if args.has("json") { try printJSON(status) } else { print(Render.status(status)) }
            return 0
        case "list":
            let args = try Arguments(argv, verb: verb, valued: ["socket"], switches: readSwitches)
            let pos = try args.expect([], optional: ["POLICY"])
            let list = try call(args, .list, pos.first.map { ["policy": .string($0)] } ?? [:]).decode(ListPayload.self)
            if args.has("json") { try printJSON(list) } else { print(Render.list(list)) }
            return 0
        case "jobs":
            let args = try Arguments(argv, verb: verb, valued: ["socket"], switches: readSwitches)
            _ = try args.expect([])
            let jobs = try call(args, .jobs, [:]).decode(JobsPayload.self)
            if args.has("json") { try printJSON(jobs) } else { print(Render.jobs(jobs.jobs)) }
            return 0
        case "cancel":
            let args = try Arguments(argv, verb: verb, valued: ["socket"], switches: [])
            let id = try args.expect(["JOB"])[0]
            _ = try call(args, .cancel, ["job": .string(id)])
            print("cancel requested for \(id)")
            return 0
        case "backup":
            let args = try Arguments(argv, verb: verb, valued: ["socket"], switches: ["json", "quiet"])
            let policy = try args.expect(["POLICY"])[0]
            let result = try call(args, .backup, ["policy": .string(policy)], quiet: args.has("quiet")).decode(BackupPayload.self)
            if args.has("json") { try printJSON(result) } else {
                print("committed backup \(result.backupID) of policy \(policy): \(result.tables) tables, \(result.rows) rows, \(ByteCount.format(result.bytes)) in \(String(format: "%.1f", result.seconds)) s")
            }
            return 0
        case "drill":
            let args = try Arguments(argv, verb: verb, valued: ["socket"], switches: ["json"])
            let policy = try args.expect(["POLICY"])[0]
            let record = try call(args, .drill, ["policy": .string(policy)]).decode(DrillRecord.self)
            if args.has("json") { try printJSON(record) } else {
                print("drill of \(policy) passed: backup \(record.backupID) restored and verified in \(String(format: "%.1f", record.durationSeconds)) s (\(record.checks.count) checks)")
            }
            return 0
        case "verify":
            let args = try Arguments(argv, verb: verb, valued: ["socket"], switches: ["json"])
            let backup = try args.expect(["BACKUP"])[0]
            let (fields, fd) = try backupArgument(backup)
            defer { if let fd { Glibc.close(fd) } }
            let result = try call(args, .verify, fields, passing: fd).decode(VerifyPayload.self)
            if args.has("json") { try printJSON(result) } else {
                print("backup \(result.backupID) verified: \(result.members) members, \(ByteCount.format(result.bytes)), every checksum matches")
            }
            return 0
        case "restore": return try restore(argv)
        case "prune":
            let args = try Arguments(argv, verb: verb, valued: ["socket", "as-of"], switches: ["dry-run", "json"])
            let pos = try args.expect([], optional: ["POLICY"])
            var fields: [String: JSONValue] = ["dry_run": .bool(args.has("dry-run")), "json": .bool(args.has("json"))]
            if let p = pos.first { fields["policy"] = .string(p) }
            if let t = args.value("as-of") { fields["as_of"] = .string(t) }
            let rendered = try call(args, .prune, fields).decode(RenderedPayload.self)
            print(rendered.body)
            return 0
        case "report":
            let args = try Arguments(argv, verb: verb, valued: ["socket", "from", "to", "format"], switches: ["json"])
            let pos = try args.expect([], optional: ["POLICY"])
            let format = args.has("json") ? "json" : args.value("format") ?? "text"
            guard ["text", "json", "markdown", "html"].contains(format) else {
                throw DRDError(.usage, "invalid --format '\(format)' for 'drctl report': expected text, json, markdown or html")
            }
            var fields: [String: JSONValue] = ["format": .string(format)]
            if let p = pos.first { fields["policy"] = .string(p) }
            if let t = args.value("from") { fields["from"] = .string(t) }
            if let t = args.value("to") { fields["to"] = .string(t) }
            let rendered = try call(args, .report, fields).decode(RenderedPayload.self)
            print(rendered.body)
            return rendered.compliant ? 0 : 3
        default:
            throw DRDError(.usage, "unknown verb '\(verb)'", hint: "run 'drctl --help' for the list of verbs")
        }
    }

    /// A local file is opened here and passed as a descriptor (the daemon never opens client
    /// paths); ids and URLs go as text.
    static func backupArgument(_ backup: String) throws -> ([String: JSONValue], Int32?) {
        if backup.contains("://") || BackupID.isValid(backup) { return (["backup": .string(backup)], nil) }
        let fd = open(backup, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DRDError.posix("unable to open '\(backup)'", errno: errno, code: errno == ENOENT ? .notFound : .io)
        }
        var fields: [String: JSONValue] = ["file_name": .string(backup)]
        let manifestPath = Manifest.key(forObjectKey: backup)
        if manifestPath != backup, let data = FileManager.default.contents(atPath: manifestPath) {
            fields["manifest"] = .string(String(decoding: data, as: UTF8.self))
        }
        return (fields, fd)
    }

    static func restore(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, verb: "restore", valued: ["socket", "table", "confirm"],
                                 switches: ["yes", "force-protected", "json"])
        let pos = try args.expect(["BACKUP", "ENVIRONMENT"])
        var (fields, fd) = try backupArgument(pos[0])
        defer { if let fd { Glibc.close(fd) } }
        fields["environment"] = .string(pos[1])
        if let t = args.value("table") { fields["table"] = .string(t) }
        if args.has("force-protected") {
            fields["force_protected"] = .bool(true)
            if let confirm = args.value("confirm") {
                fields["confirm"] = .string(confirm)
            } else if isatty(0) == 1 {
                FileHandle.standardError.write(Data("environment \(pos[1]) is protected. Type the name of its database to replace it: ".utf8))
                fields["confirm"] = .string(readLine() ?? "")
            } else {
                throw DRDError(.usage, "restoring into a protected environment needs the database name typed back",
                               hint: "run on a terminal, or pass --confirm DBNAME")
            }
        } else if !args.has("yes"), isatty(0) == 1 {
            FileHandle.standardError.write(Data("replace the database of environment \(pos[1]) with \(pos[0])? [y/N] ".utf8))
            guard (readLine() ?? "").lowercased().hasPrefix("y") else {
                FileHandle.standardError.write(Data("restore cancelled\n".utf8))
                return 1
            }
        }
        let result = try call(args, .restore, fields, passing: fd).decode(RestorePayload.self)
        if args.has("json") { try printJSON(result) } else {
            var text = "restored \(result.backupID ?? pos[0]) into environment \(result.environment) (database \(result.database)): "
            text += "\(result.tables) tables, \(result.rows) rows, verified, swapped in, in \(String(format: "%.1f", result.seconds)) s"
            if !result.missingRoles.isEmpty { text += "\nroles missing on the target (their OWNER/GRANT statements were skipped): \(result.missingRoles.joined(separator: ", "))" }
            print(text)
        }
        return 0
    }
}
