extension String {
    /// The conversation list's one-line preview of a message: at most
    /// `ProtocolLimits.previewCharacters` characters and `ProtocolLimits.previewBytes` UTF-8 bytes.
    /// Counting characters alone is not a bound: one character (grapheme cluster) can carry
    /// thousands of combining marks. Past the byte bound the cut falls between Unicode scalars.
    public func previewCut() -> String {
        let characters = prefix(ProtocolLimits.previewCharacters)
        guard characters.utf8.count > ProtocolLimits.previewBytes else { return String(characters) }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in characters.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > ProtocolLimits.previewBytes { break }
            kept.append(scalar)
        }
        return String(kept)
    }

    /// A reply's quote of the message it answers: the first line, at most
    /// `ProtocolLimits.replyExcerptCharacters` characters (and the preview's byte bound).
    public func replyExcerpt() -> String {
        let firstLine = prefix { !$0.isNewline }
        return String(firstLine.prefix(ProtocolLimits.replyExcerptCharacters)).previewCut()
    }
}
