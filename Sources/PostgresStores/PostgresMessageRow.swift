import ChatProtocol
import ChatServices
import PostgresNIO

/// How every query reads a message back: `columns` selected from `messages m`, decoded by
/// `message(_:)`. The columns are renamed `m_…` so a query can join tables that share column
/// names (`updates` has a `kind` too) and still find each by name.
enum PostgresMessageRow {
    private static let names = [
        "id", "client_msg_id", "sender_id", "recipient_id", "seq", "text", "sent_at_ms", "sender_update_id",
        "recipient_update_id", "user_lo", "user_hi", "kind", "mentions", "mentions_all", "reply_to_seq",
        "reply_to_sender_id", "reply_excerpt", "recalled", "recalled_seq", "change_kind", "change_user_ids",
        "change_value",
    ]

    /// For `SELECT \(unescaped: columns) FROM messages m …`.
    static let columns = names.map { "m.\($0) AS m_\($0)" }.joined(separator: ", ")

    /// The message of a row that selected `columns`; nil when an outer join found none.
    static func message(_ row: PostgresRandomAccessRow) throws -> MessageRecord? {
        guard let id = try row["m_id"].decode(Int64?.self) else { return nil }
        var message = MessageRecord(
            id: id,
            clientMessageID: try row["m_client_msg_id"].decode(String.self),
            senderID: try row["m_sender_id"].decode(Int64.self),
            recipientID: try row["m_recipient_id"].decode(Int64.self),
            seq: UInt64(try row["m_seq"].decode(Int64.self)),
            text: try row["m_text"].decode(String.self),
            sentAtMs: try row["m_sent_at_ms"].decode(Int64.self)
        )
        if try row["m_user_lo"].decode(Int64.self) == 0 {
            message.groupID = try row["m_user_hi"].decode(Int64.self)
        }
        message.kind = MessageKind(rawValue: Int(try row["m_kind"].decode(Int64.self))) ?? .text
        message.mentions = ids(try row["m_mentions"].decode(String.self))
        message.mentionsAll = try row["m_mentions_all"].decode(Bool.self)
        let replyTo = try row["m_reply_to_seq"].decode(Int64.self)
        if replyTo != 0 {
            message.reply = ReplyReference(
                seq: UInt64(replyTo),
                senderID: try row["m_reply_to_sender_id"].decode(Int64.self),
                excerpt: try row["m_reply_excerpt"].decode(String.self)
            )
        }
        message.recalled = try row["m_recalled"].decode(Bool.self)
        message.recalledSeq = UInt64(try row["m_recalled_seq"].decode(Int64.self))
        if let kind = GroupChange.Kind(rawValue: Int(try row["m_change_kind"].decode(Int64.self))) {
            message.change = GroupChange(
                kind: kind,
                userIDs: ids(try row["m_change_user_ids"].decode(String.self)),
                value: try row["m_change_value"].decode(String.self)
            )
        }
        return message
    }

    /// The message of a row as its commit answered it.
    static func committed(_ row: PostgresRandomAccessRow, duplicate: Bool) throws -> CommittedMessage? {
        guard let message = try Self.message(row) else { return nil }
        return CommittedMessage(message: message, duplicate: duplicate)
    }

    /// Ids as `mentions` and `change_user_ids` store them: comma-separated, as SQLite's do.
    static func text(_ ids: [UserID]) -> String {
        ids.map(String.init).joined(separator: ",")
    }

    static func ids(_ text: String) -> [UserID] {
        text.split(separator: ",").compactMap { Int64($0) }
    }
}
