/// Finds web links in message text, conservatively: only `http://` and `https://` (any case),
/// not right after an ASCII letter or digit ("xhttp://" is not one; "看https://" is, since
/// Chinese puts no space before a link), with at least a letter or digit after the `//`.
///
/// A link runs over letters and digits of any script (a Chinese wiki path stays whole) and the
/// punctuation URLs use, and stops at a space, at `<>"` and brackets, at an emoji or at
/// full-width punctuation (so "见https://a.cn/x，好" ends at the comma). Punctuation that ends a
/// sentence is left off its end, and a closing parenthesis too unless the link opened one.
public enum LinkDetector {
    public struct Link: Equatable, Sendable {
        /// Grapheme offsets of the link in the text.
        public var range: Range<Int>
        /// The link as written.
        public var url: String
    }

    public static func find(in text: String) -> [Link] {
        guard text.contains("://") else { return [] }
        let characters = Array(text)
        var links: [Link] = []
        var index = 0
        while index < characters.count {
            guard let start = schemeEnd(at: index, in: characters) else {
                index += 1
                continue
            }
            var end = start
            while end < characters.count, isURLCharacter(characters[end]) { end += 1 }
            while end > start, trimsOff(characters[end - 1], body: characters[index..<end]) { end -= 1 }
            guard end > start, characters[start].isLetter || characters[start].isNumber else {
                index = start
                continue
            }
            links.append(Link(range: index..<end, url: String(characters[index..<end])))
            index = end
        }
        return links
    }

    /// Where the text after "http://" or "https://" starts, if one starts at `index`.
    private static func schemeEnd(at index: Int, in characters: [Character]) -> Int? {
        guard characters[index] == "h" || characters[index] == "H" else { return nil }
        if index > 0, characters[index - 1].isASCII, characters[index - 1].isLetter || characters[index - 1].isNumber {
            return nil
        }
        for scheme in ["https://", "http://"] {
            let end = index + scheme.count
            guard end <= characters.count else { continue }
            if String(characters[index..<end]).lowercased() == scheme { return end }
        }
        return nil
    }

    private static func isURLCharacter(_ character: Character) -> Bool {
        if character.isLetter || character.isNumber { return true }
        return character.isASCII && urlPunctuation.contains(character)
    }

    private static let urlPunctuation: Set<Character> = Set("-._~:/?#@!$&'()*+,;=%")

    /// Sentence punctuation at a link's end belongs to the sentence.
    private static func trimsOff(_ last: Character, body: ArraySlice<Character>) -> Bool {
        if ".,:;!?'*".contains(last) { return true }
        if last == ")" { return body.filter { $0 == "(" }.count < body.filter { $0 == ")" }.count }
        return false
    }
}
