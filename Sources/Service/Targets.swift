import Foundation
import Storage
import Support

/// A single object named on the command line: a local path, `file:///…`, `s3://bucket/key`, or `-`.
public struct ObjectTarget: Sendable {
    public let store: any ObjectStore
    public let key: String
    /// For messages: the object's location without credentials.
    public let describe: String

    public init(store: any ObjectStore, key: String, describe: String) {
        self.store = store
        self.key = key
        self.describe = describe
    }
}

/// Turns a command-line object name into a store and a key inside it.
public enum Targets {
    public static func resolve(_ text: String, environment: [String: String],
                               settings: StoreSettings = StoreSettings()) throws -> ObjectTarget {
        let location = try Store.locate(text)
        guard let url = location.store else {
            return ObjectTarget(store: StdoutStore(), key: "-", describe: "standard output")
        }
        let store = try Store.open(url: url.description, settings: settings, environment: environment)
        let describe: String
        switch url {
        case .file(let path): describe = (path as NSString).appendingPathComponent(location.key)
        case .s3: describe = text
        }
        return ObjectTarget(store: store, key: location.key, describe: describe)
    }
}
