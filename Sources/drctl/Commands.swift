import Foundation
import Support

/// Verb dispatch for drctl.
enum Commands {
    static func run(verb: String, arguments: [String]) throws -> Int32 {
        switch verb {
        case "dump": return try OfflineCommands.dump(arguments)
        case "load": return try OfflineCommands.load(arguments)
        case "policy":
            guard arguments.first == "check" else {
                throw DRDError(.usage, "unknown 'drctl policy' subcommand '\(arguments.first ?? "")'", hint: "use: drctl policy check [FILES]")
            }
            return try OfflineCommands.policyCheck(Array(arguments.dropFirst()))
        default:
            return try DaemonCommands.run(verb: verb, arguments)
        }
    }
}
