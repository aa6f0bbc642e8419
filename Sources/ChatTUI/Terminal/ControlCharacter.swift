/// C0 and C1 control characters and DEL: keys or terminal commands, never text to keep or draw.
/// The key decoder, the line editor and the curses backend all ask this one place.
public enum ControlCharacter {
    public static func contains(_ value: UInt32) -> Bool {
        value < 0x20 || (0x7F..<0xA0).contains(value)
    }
}
