import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Support

/// A parsed XML element: enough of a DOM for S3's small replies.
struct XMLElement: Sendable {
    var name: String
    var text: String = ""
    var children: [XMLElement] = []

    /// The first child named `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// All children named `name`.
    func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    func text(_ name: String) -> String? { child(name)?.text }

    /// Parses a document; nil when it is not well-formed XML.
    static func parse(_ bytes: [UInt8]) -> XMLElement? {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    /// Escapes text for an XML element body.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters are not allowed raw in XML 1.0 text.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" {
                    out += "&#\(scalar.value);"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLElement] = []
    var root: XMLElement?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        stack.append(XMLElement(name: elementName))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard let done = stack.popLast() else { return }
        if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
    }
}

/// An S3 error reply: `<Error><Code/><Message/><RequestId/></Error>`.
struct S3ErrorReply: Sendable {
    var status: Int
    var code: String
    var message: String
    var requestID: String?

    init(status: Int, body: [UInt8], headers: [String: String]) {
        self.status = status
        let xml = XMLElement.parse(body)
        let error = xml?.name == "Error" ? xml : xml?.child("Error")
        code = error?.text("Code") ?? Self.defaultCode(status)
        message = error?.text("Message") ?? ""
        requestID = error?.text("RequestId") ?? headers["x-amz-request-id"]
    }

    static func defaultCode(_ status: Int) -> String {
        switch status {
        case 301: return "PermanentRedirect"
        case 400: return "BadRequest"
        case 403: return "AccessDenied"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 412: return "PreconditionFailed"
        case 416: return "InvalidRange"
        case 429: return "TooManyRequests"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        default: return "HTTP\(status)"
        }
    }

    /// The user-facing error: what failed, S3's code and message, the request id, and a hint.
    func error(operation: String) -> DRDError {
        var text = "\(operation) failed: \(code)"
        if !message.isEmpty { text += " (\(Redact.keyValues(message)))" }
        text += " [http \(status)"
        if let requestID { text += ", request id \(requestID)" }
        text += "]"
        let errorCode: DRDError.Code
        switch code {
        case "NoSuchKey", "NotFound", "NoSuchUpload": errorCode = .notFound
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled": errorCode = .permission
        case "PreconditionFailed", "ConditionalRequestConflict": errorCode = .conflict
        default: errorCode = .storage
        }
        return DRDError(errorCode, text, hint: hint)
    }

    var hint: String? {
        switch code {
        case "SignatureDoesNotMatch":
            return "check the secret access key (AWS_SECRET_ACCESS_KEY, $CREDENTIALS_DIRECTORY/aws_secret_access_key or the credentials file) and the region"
        case "InvalidAccessKeyId":
            return "check the access key id; it is unknown to this endpoint"
        case "RequestTimeTooSkewed":
            return "check the system clock (timedatectl; enable NTP): it differs from the store's by more than 15 minutes"
        case "NoSuchBucket":
            return "create the bucket or fix the bucket name in the store url"
        case "AccessDenied", "AllAccessDisabled":
            return "grant s3:PutObject, s3:GetObject, s3:DeleteObject, s3:ListBucket, s3:ListBucketMultipartUploads, s3:AbortMultipartUpload (see docs/storage.md)"
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return "the bucket is in another region: set [store] region or AWS_REGION"
        case "InvalidPart", "InvalidPartOrder", "EntityTooSmall":
            return "the store rejected the part layout; try [store] equal_parts = true or a larger part_size"
        case "KMS.NotFoundException", "KMS.DisabledException":
            return "check sse_kms_key_id and the key's policy"
        default:
            return nil
        }
    }
}
