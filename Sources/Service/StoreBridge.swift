import Policy
import Storage
import Support

/// Opens the daemon's store from `[store]` settings (or the standard AWS variables).
enum StoreBridge {
    static func open(_ config: StoreConfig?, environment: [String: String]) throws -> any ObjectStore {
        guard let config else {
            throw DRDError(.config, "no [store] url configured", hint: "set url = s3://bucket/prefix or file:///path in [store]")
        }
        return try Store.open(url: config.url, settings: try settings(config), environment: environment)
    }

    /// `[store]` settings (endpoint, region, addressing, encryption) as the Storage module takes them;
    /// also used for object URLs named on the command line, so they reach the same endpoint.
    static func settings(_ config: StoreConfig?) throws -> StoreSettings {
        var settings = StoreSettings()
        guard let config else { return settings }
        settings.region = config.region
        settings.endpoint = config.endpoint
        settings.pathStyle = config.pathStyle
        settings.storageClass = config.storageClass
        if let sse = config.sse {
            settings.sse = try ServerSideEncryption.parse(sse.rawValue, kmsKeyID: config.sseKMSKeyID)
        }
        return settings
    }
}
