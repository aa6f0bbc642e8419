import ChatServices
import Foundation

/// A `Mail` as the bytes of an RFC 5322 message, ready for DATA: headers that cannot be
/// injected into (no CR or LF from the mail's fields reaches them), UTF-8 text encoded so any
/// server takes it, lines ending in CRLF, and lines starting with a dot doubled.
enum SMTPMessage {
    static func render(_ mail: Mail, from: String, date: Date, messageID: String) -> String {
        let body = mail.body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let ascii = body.unicodeScalars.allSatisfy { $0.isASCII }
        var lines = [
            "From: WeChat <\(from)>",
            "To: <\(mail.to)>",
            "Subject: \(encodedHeader(mail.subject))",
            "Date: \(dateFormatter().string(from: date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(ascii ? "7bit" : "base64")",
            "",
        ]
        if ascii {
            lines += body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix(".") ? "." + line : String(line)
            }
        } else {
            let encoded = Data(body.utf8).base64EncodedString()
            lines += stride(from: 0, to: encoded.count, by: 76).map { start in
                let from = encoded.index(encoded.startIndex, offsetBy: start)
                return String(
                    encoded[from..<(encoded.index(from, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex)]
                )
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// A header value with line breaks removed; non-ASCII text as an RFC 2047 encoded word.
    static func encodedHeader(_ value: String) -> String {
        let flat = value.components(separatedBy: .newlines).joined(separator: " ")
        guard !flat.unicodeScalars.allSatisfy({ $0.isASCII }) else { return flat }
        return "=?UTF-8?B?\(Data(flat.utf8).base64EncodedString())?="
    }

    /// Whether `address` can go into `RCPT TO:<…>` and a header unchanged: one `@`, no spaces,
    /// angle brackets or control characters.
    static func isSendable(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && address.utf8.count <= 254
            && address.unicodeScalars.allSatisfy { scalar in
                scalar.value > 0x20 && scalar.value != 0x7F && scalar != "<" && scalar != ">"
            }
    }

    /// A new formatter per mail: DateFormatter is not Sendable, and mail is rare.
    private static func dateFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter
    }
}
