import Testing

extension Tag {
    /// Tests that take a minute or more (the fault test, the slow-reader memory test).
    /// `scripts/test.sh --fast` leaves them out; `.ci/run` runs them.
    @Tag static var slow: Self
}

extension Tag {
    /// Tests that run the services as a cluster of processes on PostgreSQL and Redis.
    @Tag static var cluster: Self
}
