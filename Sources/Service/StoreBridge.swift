import Policy
import Storage
import Support

/// Opens the daemon's store from `[store]` settings (or the standard AWS variables).
enum StoreBridge {
    static func open(_ config: StoreConfig?, environment: [String: String]) throws -> any ObjectStore {
        guard let config else {
            throw DRDError(.config, "no [store] url configured", hint: "set url = s3://bucket/prefix or file:///path in [store]")
        }
        var settings = StoreSettings()
        settings.region = config.region
        settings.endpoint = config.endpoint
        settings.pathStyle = config.pathStyle
        settings.storageClass = config.storageClass
        if let sse = config.sse {
            settings.sse = try ServerSideEncryption.parse(sse.rawValue, kmsKeyID: config.sseKMSKeyID)
        }
        return try Store.open(url: config.url, settings: settings, environment: environment)
    }
}
