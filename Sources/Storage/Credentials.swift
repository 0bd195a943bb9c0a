import Foundation
import Support

/// Everything an `S3Store` needs, resolved from settings and the environment.
public struct S3Config: Sendable {
    public var bucket: String
    /// Empty or ending with `/`.
    public var prefix: String
    public var region: String
    /// Scheme (`https`/`http`), host and optional port of the endpoint.
    public var scheme: String
    public var host: String
    public var port: Int?
    public var pathStyle: Bool
    public var credentials: AWSCredentials
    public var settings: StoreSettings

    public init(bucket: String, prefix: String, region: String, endpoint: String, pathStyle: Bool,
                credentials: AWSCredentials, settings: StoreSettings = StoreSettings()) throws {
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.pathStyle = pathStyle
        self.credentials = credentials
        self.settings = settings
        guard let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty else {
            throw DRDError(.config, "invalid s3 endpoint '\(endpoint)'", hint: "use https://host[:port] (http:// only for local test servers)")
        }
        self.scheme = scheme
        self.host = host
        self.port = url.port
    }

    /// `host[:port]` as sent in the Host header, with the bucket in front for virtual-hosted style.
    public var hostHeader: String {
        let base = port.map { "\(host):\($0)" } ?? host
        return pathStyle ? base : "\(bucket).\(base)"
    }
}

extension StoreSettings {
    /// Resolves an S3 store's configuration. Precedence for each value: these settings, then the
    /// environment, then files. Credentials: settings → `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// (+`AWS_SESSION_TOKEN`) → `$CREDENTIALS_DIRECTORY/aws_access_key_id`, `aws_secret_access_key`
    /// (+`aws_session_token`) → the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or
    /// `~/.aws/credentials`), profile `profile`/`AWS_PROFILE`/`default`.
    public func resolveS3(bucket: String, prefix: String, environment env: [String: String]) throws -> S3Config {
        func nonEmpty(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        let profileName = profile ?? nonEmpty("AWS_PROFILE") ?? "default"
        let shared = try Self.sharedProfile(profileName, environment: env, required: profile != nil || nonEmpty("AWS_PROFILE") != nil)
        let region = region ?? nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") ?? shared?["region"] ?? "us-east-1"
        let customEndpoint = endpoint ?? nonEmpty("AWS_ENDPOINT_URL_S3") ?? nonEmpty("AWS_ENDPOINT_URL")
        let endpointURL = customEndpoint ?? (region.hasPrefix("cn-")
            ? "https://s3.\(region).amazonaws.com.cn" : "https://s3.\(region).amazonaws.com")
        // Virtual-hosted style on AWS (path style is deprecated there) unless the bucket has dots
        // (they break the wildcard TLS certificate); path style for custom endpoints (MinIO, moto…).
        let pathStyle = pathStyle ?? (customEndpoint != nil || bucket.contains(".") || bucket.contains("_"))
        let creds = try credentials ?? Self.credentialChain(environment: env, profileName: profileName, shared: shared)
        return try S3Config(bucket: bucket, prefix: prefix, region: region, endpoint: endpointURL,
                            pathStyle: pathStyle, credentials: creds, settings: self)
    }

    static func credentialChain(environment env: [String: String], profileName: String,
                                shared: [String: String]?) throws -> AWSCredentials {
        if let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty {
            guard let secret = env["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw DRDError(.config, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                               hint: "export both, or neither to use the credentials file")
            }
            let token = env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token, source: "environment")
        }
        if let dir = env["CREDENTIALS_DIRECTORY"], !dir.isEmpty {
            func read(_ name: String) -> String? {
                guard let text = try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) else { return nil }
                let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return value.isEmpty ? nil : value
            }
            if let id = read("aws_access_key_id") {
                guard let secret = read("aws_secret_access_key") else {
                    throw DRDError(.config, "credential aws_access_key_id found in \(dir) but aws_secret_access_key is missing",
                                   hint: "add LoadCredential=aws_secret_access_key:… to the unit")
                }
                return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: read("aws_session_token"),
                                      source: "$CREDENTIALS_DIRECTORY")
            }
        }
        if let shared, let id = shared["aws_access_key_id"], let secret = shared["aws_secret_access_key"] {
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: shared["aws_session_token"],
                                  source: "credentials file profile \(profileName)")
        }
        throw DRDError(.config, "no AWS credentials found for the s3 store",
                       hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, put aws_access_key_id/aws_secret_access_key in $CREDENTIALS_DIRECTORY, or add a [\(profileName)] profile to ~/.aws/credentials")
    }

    /// Reads one profile of the shared credentials file; nil when the file or profile is absent
    /// (an error when the profile was asked for explicitly and the file exists without it).
    static func sharedProfile(_ name: String, environment env: [String: String], required: Bool) throws -> [String: String]? {
        let path: String
        if let p = env["AWS_SHARED_CREDENTIALS_FILE"], !p.isEmpty {
            path = p
        } else if let home = env["HOME"], !home.isEmpty {
            path = home + "/.aws/credentials"
        } else {
            return nil
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let profiles = parseINI(text)
        if let values = profiles[name] { return values }
        if required {
            throw DRDError(.config, "profile '\(name)' not found in \(path)", hint: "check AWS_PROFILE or [store] profile")
        }
        return nil
    }

    /// Minimal INI reader for AWS credential files: `[name]`, `key = value`, `#`/`;` comments.
    static func parseINI(_ text: String) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces) }
                current = name
                result[name, default: [:]] = result[name] ?? [:]
                continue
            }
            guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            result[section]?[key] = value
        }
        return result
    }
}
