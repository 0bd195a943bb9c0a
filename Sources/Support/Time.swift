import Foundation

/// UTC timestamps in the forms drd writes: ISO 8601 (`2026-11-21T03:00:00Z`) and compact
/// (`20261121T030000Z`, used in backup ids).
public enum Timestamp {
    public static func iso8601(_ date: Date) -> String {
        format(date, "%04d-%02d-%02dT%02d:%02d:%02dZ")
    }

    /// ISO 8601 with milliseconds, for records where ordering within a second matters.
    public static func iso8601Millis(_ date: Date) -> String {
        let ms = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        let base = format(date, "%04d-%02d-%02dT%02d:%02d:%02d")
        return base + String(format: ".%03dZ", ms < 0 ? ms + 1000 : ms)
    }

    public static func compact(_ date: Date) -> String {
        format(date, "%04d%02d%02dT%02d%02d%02dZ")
    }

    private static func format(_ date: Date, _ pattern: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: pattern, c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// Parses `2026-11-21T03:00:00Z`, with optional fractional seconds or a `+hh:mm` offset,
    /// and the compact form. Returns nil when the text is neither.
    public static func parse(_ text: String) -> Date? {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: text) { return d }
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: text) { return d }
        let compact = DateFormatter()
        compact.locale = Locale(identifier: "en_US_POSIX")
        compact.timeZone = TimeZone(identifier: "UTC")
        compact.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        if let d = compact.date(from: text) { return d }
        compact.dateFormat = "yyyy-MM-dd"
        return compact.date(from: text)
    }
}

/// Durations written as `30d`, `1h`, `90m`, `45s`, `2w`, or combined `1h30m`.
public enum DurationText {
    public static func parse(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { return nil }
        var total: TimeInterval = 0
        var number = ""
        var sawUnit = false
        for ch in trimmed {
            if ch.isNumber { number.append(ch); continue }
            guard let value = Double(number) else { return nil }
            switch ch {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86_400
            case "w": total += value * 7 * 86_400
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { return nil }
        return total
    }

    /// `3600` → `1h`, `5400` → `1h30m`, `90` → `1m30s`.
    public static func format(_ seconds: TimeInterval) -> String {
        var s = Int(seconds.rounded())
        if s == 0 { return "0s" }
        var out = s < 0 ? "-" : ""
        s = abs(s)
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where s >= size {
            out += "\(s / size)\(unit)"
            s %= size
        }
        return out
    }
}

/// Backup and run ids: `20261121T030000Z-7f3a`, sortable by time and unique.
public enum BackupID {
    public static func make(at date: Date = Date()) -> String {
        "\(Timestamp.compact(date))-\(Hex.encode(Digest.randomBytes(2)))"
    }

    /// The time encoded in an id, or nil if the text is not an id.
    public static func date(of id: String) -> Date? {
        guard id.count >= 16 else { return nil }
        return Timestamp.parse(String(id.prefix(16)))
    }

    public static func isValid(_ id: String) -> Bool {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && date(of: id) != nil && parts[1].count >= 4
            && parts[1].allSatisfy { $0.isHexDigit }
    }
}
