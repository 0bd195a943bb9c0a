import Foundation
import Policy
import Service
import Support

// drd: the backup and disaster-recovery daemon. Runs in the foreground (systemd Type=notify);
// logs one line per event to stderr. Exit status: 0 after a clean stop, 2 on a configuration
// error (the daemon refuses to start on an invalid file), 1 on any other startup failure.

let usage = """
    usage: drd [--config FILE] [--check] [--version]
      --config FILE   daemon configuration (default \(ConfigLoader.defaultConfigPath))
      --check         validate the configuration and policies, then exit
    """

var configPath = ConfigLoader.defaultConfigPath
var checkOnly = false
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let arg = args.removeFirst()
    switch arg {
    case "--config":
        guard !args.isEmpty else { FileHandle.standardError.write(Data("drd: --config needs a file\n".utf8)); exit(2) }
        configPath = args.removeFirst()
    case let a where a.hasPrefix("--config="): configPath = String(a.dropFirst("--config=".count))
    case "--check": checkOnly = true
    case "--version": print("drd \(Daemon.version)"); exit(0)
    case "-h", "--help": print(usage); exit(0)
    default:
        FileHandle.standardError.write(Data("drd: unknown argument '\(arg)'\n\(usage)\n".utf8))
        exit(2)
    }
}

do {
    let daemon = try Daemon(configPath: configPath)
    if checkOnly {
        print("drd: configuration \(configPath) is valid")
        exit(0)
    }
    exit(try daemon.run())
} catch let error as DRDError {
    FileHandle.standardError.write(Data("drd: \(Redact.keyValues(error.description))\n".utf8))
    exit(error.code == .config || error.code == .usage ? 2 : 1)
} catch {
    FileHandle.standardError.write(Data("drd: \(error)\n".utf8))
    exit(1)
}
