/// Splits a psql meta-command's argument text the way psql does for `\connect`
/// (OT_SQLIDHACK): whitespace separates arguments; `"…"` keeps its content with `""` standing
/// for `"` (case preserved); `'…'` keeps its content with `''` for `'` and backslash escapes.
enum MetaArguments {
    static func split(_ bytes: [UInt8]) -> [String] {
        var args: [String] = []
        var current: [UInt8] = []
        var inArgument = false
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        while i < bytes.count {
            let b = bytes[i]
            if isSpace(b) {
                if inArgument { args.append(String(decoding: current, as: UTF8.self)); current = []; inArgument = false }
                i += 1
                continue
            }
            inArgument = true
            if b == 0x22 || b == 0x27 {
                let quote = b
                i += 1
                while i < bytes.count {
                    let c = bytes[i]
                    if c == quote {
                        if i + 1 < bytes.count && bytes[i + 1] == quote { current.append(quote); i += 2; continue }
                        i += 1
                        break
                    }
                    if quote == 0x27 && c == 0x5C && i + 1 < bytes.count {
                        current.append(unescape(bytes[i + 1])); i += 2; continue
                    }
                    current.append(c)
                    i += 1
                }
                continue
            }
            current.append(b)
            i += 1
        }
        if inArgument { args.append(String(decoding: current, as: UTF8.self)) }
        return args
    }

    private static func unescape(_ b: UInt8) -> UInt8 {
        switch b {
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "r"): return 0x0D
        default: return b
        }
    }
}
