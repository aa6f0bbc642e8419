import Logging

/// A `LogHandler` that escapes what it is given before another handler writes it.
///
/// Log lines carry strings from outside: a Hello's device id, a typed account name, an email, a
/// server's error text in the client's log. Written raw, a newline forges a line of its own
/// ("critical …" at the start of a line), and an escape sequence reaches the terminal of whoever
/// reads the log (`ESC ] 52` writes their clipboard). Escaping here, in the one place every line
/// passes, covers every log call, including ones not yet written; a call site cannot forget.
///
/// Controls and the characters `isRefusedInText` names become `\u{…}`, a backslash `\\`, so
/// an escaped line cannot be mistaken for another.
public struct EscapingLogHandler: LogHandler {
    private var wrapped: any LogHandler

    public init(_ wrapped: any LogHandler) {
        self.wrapped = wrapped
    }

    /// `StreamLogHandler.standardError` at `level`, escaped: what both programs log with.
    public static func standardError(label: String, level: Logger.Level) -> EscapingLogHandler {
        var handler = EscapingLogHandler(StreamLogHandler.standardError(label: label))
        handler.logLevel = level
        return handler
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue.mapValues(Self.escape) }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map(Self.escape) }
    }

    public func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        wrapped.log(
            level: level,
            message: Logger.Message(stringLiteral: Self.escape(message.description)),
            metadata: metadata?.mapValues(Self.escape),
            source: source,
            file: file,
            function: function,
            line: line
        )
    }

    static func escape(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(escape(text))
        case .stringConvertible(let convertible): .string(escape(convertible.description))
        case .array(let values): .array(values.map(escape))
        case .dictionary(let values): .dictionary(values.mapValues(escape))
        }
    }

    /// `text` with every control or invisible character as `\u{…}` and `\` as `\\`. Plain text,
    /// the common case, is returned without copying.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                escaped += "\\\\"
            } else if needsEscape(scalar) {
                escaped += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\\" || scalar == "\t" || scalar == "\n" || scalar.isRefusedInText
    }
}
