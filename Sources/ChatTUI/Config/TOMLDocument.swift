/// A small, strict parser for the subset of TOML our config and theme files use. We parse it
/// ourselves rather than pull in a dependency for two tiny file formats, and we keep it strict so
/// a typo is reported with its line instead of being silently misread.
///
/// Supported: `#` comments, blank lines, `[table]` / `[table.sub]` headers, `key = value` with
/// bare (`A-Za-z0-9_-`) or quoted keys, and values that are basic strings (escapes `\" \\ \b \t
/// \n \f \r \uXXXX \UXXXXXXXX`), literal strings, integers (sign, `_` separators), booleans and
/// one-line arrays of those. Everything else throws `TOMLError`.
public struct TOMLDocument: Sendable {
    /// Table names in the order their headers appear (the top-level table is not listed).
    public private(set) var tables: [String] = []
    // Keyed by table name; `nil` is the top-level table.
    private var values: [String?: [String: TOMLValue]] = [nil: [:]]
    private var keyOrder: [String?: [String]] = [nil: []]
    private var keyLines: [String?: [String: Int]] = [nil: [:]]
    private var tableLines: [String: Int] = [:]

    public init(parsing text: String) throws {
        var current: String? = nil
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            var scalars = Array(raw)
            if scalars.last == "\r" { scalars.removeLast() }
            var scanner = Scanner(scalars: scalars, line: index + 1)
            scanner.skipSpace()
            if scanner.atEndOfContent { continue }
            if scanner.peek == "[" {
                let name = try scanner.tableHeader()
                if let first = tableLines[name] {
                    throw TOMLError(line: index + 1, message: "table [\(name)] is already defined on line \(first)")
                }
                tables.append(name)
                tableLines[name] = index + 1
                values[name] = [:]
                keyOrder[name] = []
                keyLines[name] = [:]
                current = name
            } else {
                let (key, value) = try scanner.keyValue()
                if let first = keyLines[current]?[key] {
                    throw TOMLError(line: index + 1, message: "duplicate key '\(key)' (first set on line \(first))")
                }
                values[current]?[key] = value
                keyOrder[current]?.append(key)
                keyLines[current]?[key] = index + 1
            }
        }
    }

    public func value(_ table: String?, _ key: String) -> TOMLValue? { values[table]?[key] }

    public func string(_ table: String?, _ key: String) -> String? {
        if case .string(let s)? = value(table, key) { return s }
        return nil
    }

    public func int(_ table: String?, _ key: String) -> Int? {
        if case .integer(let i)? = value(table, key) { return i }
        return nil
    }

    public func bool(_ table: String?, _ key: String) -> Bool? {
        if case .boolean(let b)? = value(table, key) { return b }
        return nil
    }

    /// Keys of a table in file order; `nil` is the top-level table.
    public func keys(in table: String?) -> [String] { keyOrder[table] ?? [] }

    /// Where a key was set, so callers checking meaning (not syntax) can still point at a line.
    public func line(of key: String, in table: String?) -> Int? { keyLines[table]?[key] }

    /// Where a table's header is.
    public func line(ofTable table: String) -> Int? { tableLines[table] }

    /// Reads one line. Private: it only exists to keep the cursor handling out of the parser's way.
    private struct Scanner {
        let scalars: [Unicode.Scalar]
        let line: Int
        var index = 0

        var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
        var atEndOfContent: Bool { peek == nil || peek == "#" }

        func fail(_ message: String) -> TOMLError { TOMLError(line: line, message: message) }

        static func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
            switch c {
            case "A"..."Z", "a"..."z", "0"..."9", "_", "-": return true
            default: return false
            }
        }

        mutating func skipSpace() {
            while peek == " " || peek == "\t" { index += 1 }
        }

        mutating func expectEnd(after what: String) throws {
            skipSpace()
            guard atEndOfContent else {
                let rest = String(String.UnicodeScalarView(scalars[index...]))
                throw fail("unexpected '\(rest)' after \(what)")
            }
        }

        mutating func key() throws -> String {
            if peek == "\"" { return try basicString() }
            if peek == "'" { return try literalString() }
            let start = index
            while let c = peek, Self.isBareKeyCharacter(c) { index += 1 }
            guard index > start else {
                throw fail(peek.map { "unexpected '\($0)' where a key should be" } ?? "expected a key")
            }
            return String(String.UnicodeScalarView(scalars[start..<index]))
        }

        mutating func tableHeader() throws -> String {
            index += 1
            if peek == "[" { throw fail("arrays of tables ([[...]]) are not supported") }
            var parts: [String] = []
            repeat {
                if !parts.isEmpty { index += 1 }
                skipSpace()
                parts.append(try key())
                skipSpace()
            } while peek == "."
            guard peek == "]" else { throw fail("expected ']' after table name '\(parts.joined(separator: "."))'") }
            index += 1
            let name = parts.joined(separator: ".")
            try expectEnd(after: "table header [\(name)]")
            return name
        }

        mutating func keyValue() throws -> (String, TOMLValue) {
            let name = try key()
            skipSpace()
            if peek == "." { throw fail("dotted keys like '\(name).…' are not supported; use a [table]") }
            guard peek == "=" else { throw fail("expected '=' after key '\(name)'") }
            index += 1
            skipSpace()
            guard !atEndOfContent else { throw fail("expected a value after '\(name) ='") }
            let result = try value()
            try expectEnd(after: "the value of '\(name)'")
            return (name, result)
        }

        mutating func value() throws -> TOMLValue {
            switch peek {
            case "\"": return .string(try basicString())
            case "'": return .string(try literalString())
            case "[": return .array(try array())
            default:
                let start = index
                while let c = peek, !" \t,]#".unicodeScalars.contains(c) { index += 1 }
                let token = String(String.UnicodeScalarView(scalars[start..<index]))
                if token == "true" { return .boolean(true) }
                if token == "false" { return .boolean(false) }
                if token.isEmpty { throw fail(peek.map { "expected a value, found '\($0)'" } ?? "expected a value") }
                return .integer(try integer(token))
            }
        }

        func integer(_ token: String) throws -> Int {
            var digits = Substring(token)
            let sign = digits.first == "-" ? "-" : ""
            if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "_") }) else {
                throw fail("unsupported value '\(token)' (expected a string, integer, boolean or array)")
            }
            guard digits.first != "_", digits.last != "_", !digits.contains("__") else {
                throw fail("misplaced '_' in integer '\(token)'")
            }
            let plain = digits.filter { $0 != "_" }
            guard plain.count == 1 || plain.first != "0" else {
                throw fail("leading zeros are not allowed in '\(token)'")
            }
            guard let result = Int(sign + plain) else { throw fail("integer '\(token)' is out of range") }
            return result
        }

        mutating func array() throws -> [TOMLValue] {
            index += 1
            var items: [TOMLValue] = []
            while true {
                skipSpace()
                if peek == "]" {
                    index += 1
                    return items
                }
                if atEndOfContent { throw fail("unterminated array (arrays must fit on one line)") }
                items.append(try value())
                skipSpace()
                if peek == "," {
                    index += 1
                } else if peek != "]" {
                    throw fail(
                        atEndOfContent
                            ? "unterminated array (arrays must fit on one line)" : "expected ',' or ']' in array"
                    )
                }
            }
        }

        mutating func literalString() throws -> String {
            if scalars[index...].starts(with: "'''".unicodeScalars) {
                throw fail("multi-line strings are not supported")
            }
            index += 1
            var out = String.UnicodeScalarView()
            while let c = peek, c != "'" {
                out.append(c)
                index += 1
            }
            guard peek == "'" else { throw fail("unterminated string") }
            index += 1
            return String(out)
        }

        mutating func basicString() throws -> String {
            if scalars[index...].starts(with: "\"\"\"".unicodeScalars) {
                throw fail("multi-line strings are not supported")
            }
            index += 1
            var out = String.UnicodeScalarView()
            while let c = peek, c != "\"" {
                index += 1
                guard c == "\\" else {
                    out.append(c)
                    continue
                }
                guard let e = peek else { break }
                index += 1
                switch e {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "u", "U":
                    let count = e == "u" ? 4 : 8
                    let hex = scalars[index..<min(index + count, scalars.count)]
                    guard hex.count == count, hex.allSatisfy(\.properties.isASCIIHexDigit),
                        let code = UInt32(String(String.UnicodeScalarView(hex)), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else {
                        throw fail("invalid escape '\\\(e)\(String(String.UnicodeScalarView(hex)))'")
                    }
                    out.append(scalar)
                    index += count
                default: throw fail("invalid escape '\\\(e)' in string")
                }
            }
            guard peek == "\"" else { throw fail("unterminated string") }
            index += 1
            return String(out)
        }
    }
}
