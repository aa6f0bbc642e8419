import Synchronization

/// A value behind a `Mutex`, shareable between tasks, dispatch queues and `@Sendable` closures.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        mutex.withLock { value in body(&value) }
    }

    var value: Value {
        withLock { $0 }
    }
}
