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

    /// Every `[store]` key (endpoint, region, addressing, encryption, profile, part_size,
    /// upload_concurrency, equal_parts, literal credentials) as the Storage module takes them, parsed
    /// by `StoreSettings.fromConfig`; also used for object URLs named on the command line, so they
    /// reach the same endpoint with the same credentials.
    static func settings(_ config: StoreConfig?) throws -> StoreSettings {
        guard let config else { return StoreSettings() }
        return try StoreSettings.fromConfig(config.settingValues)
    }
}
