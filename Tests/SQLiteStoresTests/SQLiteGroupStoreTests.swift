import ChatServices
import SQLiteStores
import StoreTestSupport
import Testing

@Suite("SQLiteGroupStore")
struct SQLiteGroupStoreTests {
    /// The behaviour every group store shares.
    @Test(arguments: GroupStoreContract.scenarios)
    func contract(_ scenario: GroupStoreScenario) async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            try await scenario.run(
                GroupStoreFixture(
                    groups: SQLiteGroupStore(database: db.database),
                    messages: MessageStoreFixture(
                        store: SQLiteMessageStore(database: db.database),
                        users: db.users,
                        social: db.social
                    )
                )
            )
        }
    }
}
