import Archive
import Dump
import Foundation
import Policy
import Postgres
import Service
import Storage
import Support

/// Verbs that run the engine in-process: dump, load, policy check.
enum OfflineCommands {
    static func dump(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, verb: "dump",
                                 valued: ["output", "jobs", "compress-level", "lock-timeout", "chunk-size"],
                                 switches: ["no-globals", "with-passwords", "quiet"])
        let conninfo = try args.expect(["CONNINFO"])[0]
        var options = DumpOptions()
        options.jobs = try args.int("jobs", default: 1, range: 1...64)
        options.compressLevel = try args.int("compress-level", default: 6, range: 0...9)
        options.lockTimeout = TimeInterval(try args.int("lock-timeout", default: 30, range: 1...86_400))
        options.chunkBytes = try args.int("chunk-size", default: 8 << 20, range: (64 << 10)...(1 << 30))
        options.includeGlobals = !args.has("no-globals")
        options.includePasswords = args.has("with-passwords")

        let env = ProcessInfo.processInfo.environment
        let output = args.value("output") ?? defaultOutputName(conninfo: conninfo, id: options.backupID)
        let target = try Targets.resolve(output, environment: env)
        let printer = ProgressPrinter(quiet: args.has("quiet") || output == "-" && isatty(2) == 0)
        let token = CancellationToken()
        let signals = SignalCancellation.install(token)
        defer { withExtendedLifetime(signals) {} }

        let manifest = try DumpEngine.run(conninfo: conninfo, store: target.store, objectKey: target.key,
                                          options: options, token: token) { p in
            let fraction = p.estimatedBytes > 0 ? Double(p.bytesIn) / Double(p.estimatedBytes) : nil
            let detail = "\(p.tablesDone)/\(p.tablesTotal) tables, \(p.rows) rows, \(ByteCount.format(p.bytesIn)) read, \(ByteCount.format(p.bytesOut)) written, \(Format.rate(p.bytesIn, since: p.startedAt))"
            printer.show(phase: p.phase.rawValue, fraction: p.phase == .data ? fraction : nil, detail: detail)
        }
        let rows = manifest.tables.reduce(Int64(0)) { $0 + $1.rows }
        var summary = "dumped database \(manifest.database): \(manifest.tables.count) tables, \(rows) rows, "
        summary += "\(ByteCount.format(manifest.compressedSize)) compressed (\(ByteCount.format(manifest.uncompressedSize)) SQL)"
        if output != "-" {
            summary += "\n  object:   \(target.describe)\n  manifest: \(Manifest.key(forObjectKey: target.describe))"
        }
        printer.finish(args.has("quiet") ? "" : summary)
        return 0
    }

    /// `<dbname>-<id>.sql.gz` in the current directory.
    static func defaultOutputName(conninfo: String, id: String) -> String {
        let db = Connection.parseConninfo(conninfo)?["dbname"] ?? ProcessInfo.processInfo.environment["PGDATABASE"] ?? "database"
        let safe = String(db.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
        return "\(safe)-\(id).sql.gz"
    }

    static func load(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, verb: "load", valued: ["jobs", "table"],
                                 switches: ["single-transaction", "no-globals", "quiet", "allow-nonempty"])
        let positionals = try args.expect(["FILE|URL", "CONNINFO"])
        let jobs = try args.int("jobs", default: 1, range: 1...64)
        let env = ProcessInfo.processInfo.environment
        let source = try Targets.resolve(positionals[0], environment: env)
        let printer = ProgressPrinter(quiet: args.has("quiet"))
        let token = CancellationToken()
        let signals = SignalCancellation.install(token)
        defer { withExtendedLifetime(signals) {} }

        var request = LoadRequest(conninfo: positionals[1])
        request.jobs = jobs
        request.singleTransaction = args.has("single-transaction")
        request.applyGlobals = !args.has("no-globals")
        request.table = args.value("table")
        request.requireEmpty = !args.has("allow-nonempty")
        let result = try LoadService.load(from: source, request: request, token: token) { p in
            let fraction = p.totalBytes > 0 ? Double(p.bytesDone) / Double(p.totalBytes) : nil
            printer.show(phase: p.phase, fraction: fraction,
                         detail: "\(p.rows) rows, \(ByteCount.format(p.bytesDone)) read")
        }
        printer.finish(args.has("quiet") ? "" : result.summary)
        return 0
    }

    /// Validates drd.conf and policy files offline; every problem names file:line.
    static func policyCheck(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, verb: "policy check", valued: ["config"], switches: ["json", "quiet"])
        let files = args.positionals
        let config = args.value("config") ?? (files.isEmpty ? ConfigLoader.defaultConfigPath : nil)
        let diagnostics = ConfigLoader.check(files: files, configPath: config)
        let errors = diagnostics.filter(\.isError)
        if args.has("json") {
            let items = diagnostics.map { ["file": $0.file, "line": "\($0.line)", "severity": $0.severity.rawValue,
                                           "message": $0.message, "hint": $0.hint ?? ""] }
            let data = try JSONSerialization.data(withJSONObject: ["ok": errors.isEmpty, "diagnostics": items],
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for d in diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
            if errors.isEmpty && !args.has("quiet") {
                let what = files.isEmpty ? (config ?? "") : files.joined(separator: ", ")
                print("ok: \(what)\(diagnostics.isEmpty ? "" : " (\(ConfigDiagnostic.summary(diagnostics)))")")
            }
        }
        return errors.isEmpty ? 0 : 2
    }
}
#if canImport(Glibc)
import Glibc
#endif
