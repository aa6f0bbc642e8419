import ChatProtocol
import ChatServices
import Foundation
import Logging
import StoreTestSupport
import Testing

/// A stand-in for the mail transport only: keeps every mail it is given, or fails when told to.
actor RecordingMailSender: MailSender {
    struct SendFailure: Error {}

    private(set) var mails: [Mail] = []
    private var failuresLeft = 0

    func failNextSends(_ count: Int) {
        failuresLeft = count
    }

    func send(_ mail: Mail) async throws {
        if failuresLeft > 0 {
            failuresLeft -= 1
            throw SendFailure()
        }
        mails.append(mail)
    }

    /// The code in the newest mail to `email`, read from its subject as a person would.
    func latestCode(for email: String) -> String? {
        mails.last { $0.to == email }.flatMap { mail in
            mail.subject.split(separator: " ").last.map(String.init)
        }
    }
}

@Suite("InProcessVerifyService")
struct InProcessVerifyServiceTests {
    private func makeService(
        policy: VerifyPolicy = VerifyPolicy(),
        clock: WallClock = .system
    ) -> (InProcessVerifyService, RecordingMailSender) {
        let mail = RecordingMailSender()
        return (InProcessVerifyService(mail: mail, policy: policy, clock: clock, logger: .quiet), mail)
    }

    private func isSixDigits(_ code: String) -> Bool {
        code.count == 6 && code.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
    }

    /// A code that is certainly not `code`.
    private func wrongCode(for code: String) -> String {
        code == "000000" ? "111111" : "000000"
    }

    @Test func sendMailsASixDigitCodeToTheNormalizedAddress() async throws {
        let (service, mail) = makeService()
        try await service.sendCode(to: "Alice@Example.COM", purpose: .register)

        let mails = await mail.mails
        #expect(mails.count == 1)
        let sent = try #require(mails.first)
        #expect(sent.to == "alice@example.com")
        let code = try #require(await mail.latestCode(for: "alice@example.com"))
        #expect(isSixDigits(code), "code \(code)")
        #expect(sent.subject.contains(code))
        #expect(sent.body.contains(code))
        #expect(sent.body.contains("5 minutes"))
    }

    @Test func codesAreRandom() async throws {
        let (service, mail) = makeService()
        var codes: Set<String> = []
        for index in 0..<20 {
            let email = "user\(index)@example.com"
            try await service.sendCode(to: email, purpose: .register)
            let code = try #require(await mail.latestCode(for: email))
            #expect(isSixDigits(code))
            codes.insert(code)
        }
        // 20 draws from a million: a repeat or two is possible, a constant is not.
        #expect(codes.count >= 15)
    }

    @Test func codeWorksOnceThenAReplayFails() async throws {
        let (service, mail) = makeService()
        try await service.sendCode(to: "bob@example.com", purpose: .register)
        let code = try #require(await mail.latestCode(for: "bob@example.com"))

        // The address compares without case here too.
        try await service.consumeCode(code, email: "BOB@example.com", purpose: .register)
        let replay = await #expect(throws: ChatError.self) {
            try await service.consumeCode(code, email: "bob@example.com", purpose: .register)
        }
        #expect(replay?.code == .invalidCode)
    }

    @Test func noCodeSentMeansInvalidCode() async throws {
        let (service, _) = makeService()
        let error = await #expect(throws: ChatError.self) {
            try await service.consumeCode("123456", email: "nobody@example.com", purpose: .register)
        }
        #expect(error?.code == .invalidCode)
    }

    @Test func fiveWrongTriesBurnTheCode() async throws {
        let (service, mail) = makeService()
        try await service.sendCode(to: "carol@example.com", purpose: .reset)
        let code = try #require(await mail.latestCode(for: "carol@example.com"))
        let wrong = wrongCode(for: code)

        for attempt in 1...4 {
            let error = await #expect(throws: ChatError.self, "attempt \(attempt)") {
                try await service.consumeCode(wrong, email: "carol@example.com", purpose: .reset)
            }
            #expect(error?.code == .invalidCode)
        }
        let fifth = await #expect(throws: ChatError.self) {
            try await service.consumeCode(wrong, email: "carol@example.com", purpose: .reset)
        }
        #expect(fifth?.code == .tooManyAttempts)

        // The code is gone: even the right one fails now.
        let right = await #expect(throws: ChatError.self) {
            try await service.consumeCode(code, email: "carol@example.com", purpose: .reset)
        }
        #expect(right?.code == .invalidCode)
    }

    @Test func anEmptyCodeCountsAsAWrongTry() async throws {
        let (service, mail) = makeService()
        try await service.sendCode(to: "dave@example.com", purpose: .register)
        let code = try #require(await mail.latestCode(for: "dave@example.com"))
        for _ in 1...4 {
            await #expect(throws: ChatError.self) {
                try await service.consumeCode(wrongCode(for: code), email: "dave@example.com", purpose: .register)
            }
        }
        // A code of another length (here empty) is wrong, not a crash, and it was the fifth wrong try.
        let fifth = await #expect(throws: ChatError.self) {
            try await service.consumeCode("", email: "dave@example.com", purpose: .register)
        }
        #expect(fifth?.code == .tooManyAttempts)
        let error = await #expect(throws: ChatError.self) {
            try await service.consumeCode(code, email: "dave@example.com", purpose: .register)
        }
        #expect(error?.code == .invalidCode)
    }

    @Test func rightCodeAfterFourWrongTriesSucceeds() async throws {
        let (service, mail) = makeService()
        try await service.sendCode(to: "erin@example.com", purpose: .register)
        let code = try #require(await mail.latestCode(for: "erin@example.com"))
        for _ in 1...4 {
            await #expect(throws: ChatError.self) {
                try await service.consumeCode(wrongCode(for: code), email: "erin@example.com", purpose: .register)
            }
        }
        try await service.consumeCode(code, email: "erin@example.com", purpose: .register)
    }

    @Test func secondSendWithinTheIntervalIsRateLimited() async throws {
        let (service, mail) = makeService()
        try await service.sendCode(to: "frank@example.com", purpose: .register)
        let firstCode = try #require(await mail.latestCode(for: "frank@example.com"))

        for address in ["frank@example.com", "FRANK@example.com"] {
            let error = await #expect(throws: ChatError.self) {
                try await service.sendCode(to: address, purpose: .register)
            }
            #expect(error?.code == .rateLimited)
        }
        #expect(await mail.mails.count == 1)
        // The first code still works.
        try await service.consumeCode(firstCode, email: "frank@example.com", purpose: .register)

        // Other addresses are not held up.
        try await service.sendCode(to: "grace@example.com", purpose: .register)
        #expect(await mail.mails.count == 2)
    }

    /// On a clock the test moves: a code works until its lifetime is up and not a moment after,
    /// and the address may be mailed again once the send interval has passed.
    @Test func aCodeExpiresWhenItsLifetimeIsUp() async throws {
        let time = ManualWallClock()
        var policy = VerifyPolicy()
        policy.codeLifetimeSeconds = 600
        let (service, mail) = makeService(policy: policy, clock: time.clock)
        try await service.sendCode(to: "ivan@example.com", purpose: .register)
        let first = try #require(await mail.latestCode(for: "ivan@example.com"))
        time.advance(byMs: 600_000 - 1)
        try await service.consumeCode(first, email: "ivan@example.com", purpose: .register)

        try await service.sendCode(to: "ivan@example.com", purpose: .reset)
        let second = try #require(await mail.latestCode(for: "ivan@example.com"))
        time.advance(byMs: 600_000)
        let error = await #expect(throws: ChatError.self) {
            try await service.consumeCode(second, email: "ivan@example.com", purpose: .reset)
        }
        #expect(error?.code == .invalidCode)
    }

    @Test func zeroLifetimeCodeIsExpiredAtOnce() async throws {
        var policy = VerifyPolicy()
        policy.codeLifetimeSeconds = 0
        let (service, mail) = makeService(policy: policy)
        try await service.sendCode(to: "heidi@example.com", purpose: .register)
        let code = try #require(await mail.latestCode(for: "heidi@example.com"))

        let error = await #expect(throws: ChatError.self) {
            try await service.consumeCode(code, email: "heidi@example.com", purpose: .register)
        }
        #expect(error?.code == .invalidCode)
    }

    @Test func registerAndResetCodesAreSeparate() async throws {
        let (service, mail) = makeService()
        try await service.sendCode(to: "ivan@example.com", purpose: .register)
        let registerCode = try #require(await mail.latestCode(for: "ivan@example.com"))
        // Not rate limited: a different purpose is a different code.
        try await service.sendCode(to: "ivan@example.com", purpose: .reset)
        let resetCode = try #require(await mail.latestCode(for: "ivan@example.com"))
        #expect(await mail.mails.count == 2)
        #expect(await mail.mails.last?.body.contains("reset your password") == true)
        #expect(await mail.mails.first?.body.contains("finish signing up") == true)

        if registerCode != resetCode {
            // A register code does not reset a password, nor the other way round.
            let crossed = await #expect(throws: ChatError.self) {
                try await service.consumeCode(registerCode, email: "ivan@example.com", purpose: .reset)
            }
            #expect(crossed?.code == .invalidCode)
            let crossedBack = await #expect(throws: ChatError.self) {
                try await service.consumeCode(resetCode, email: "ivan@example.com", purpose: .register)
            }
            #expect(crossedBack?.code == .invalidCode)
        }
        // Each works for its own purpose, and using one leaves the other.
        try await service.consumeCode(registerCode, email: "ivan@example.com", purpose: .register)
        try await service.consumeCode(resetCode, email: "ivan@example.com", purpose: .reset)
    }

    @Test func failedMailIsUnavailableAndForgotten() async throws {
        let (service, mail) = makeService()
        await mail.failNextSends(1)
        let error = await #expect(throws: ChatError.self) {
            try await service.sendCode(to: "judy@example.com", purpose: .register)
        }
        #expect(error?.code == .unavailable)
        #expect(await mail.mails.isEmpty)

        // The undelivered code does not count against the rate limit...
        try await service.sendCode(to: "judy@example.com", purpose: .register)
        let code = try #require(await mail.latestCode(for: "judy@example.com"))
        try await service.consumeCode(code, email: "judy@example.com", purpose: .register)
    }

    // MARK: With the real dev mailbox

    @Test func devMailboxDeliversCodesThatCanBeReadBack() async throws {
        try await withTemporaryDirectory { directory in
            let mailbox = DevMailbox(directory: directory.path, logger: .quiet)
            let heard = Locked<[Mail]>([])
            mailbox.onMail { mail in heard.withLock { $0.append(mail) } }
            let service = InProcessVerifyService(mail: mailbox, logger: .quiet)

            #expect(DevMailbox.latestCode(for: "kim@example.com", inMailboxAt: mailbox.path) == nil)

            try await service.sendCode(to: "Kim@Example.com", purpose: .register)
            try await service.sendCode(to: "leo@example.com", purpose: .register)
            let kimsCode = try #require(DevMailbox.latestCode(for: "kim@example.com", inMailboxAt: mailbox.path))
            let leosCode = try #require(DevMailbox.latestCode(for: "LEO@example.com", inMailboxAt: mailbox.path))
            #expect(isSixDigits(kimsCode))
            #expect(isSixDigits(leosCode))
            #expect(DevMailbox.latestCode(for: "nobody@example.com", inMailboxAt: mailbox.path) == nil)

            // The newest mail wins.
            try await service.sendCode(to: "kim@example.com", purpose: .reset)
            let kimsResetCode = try #require(DevMailbox.latestCode(for: "kim@example.com", inMailboxAt: mailbox.path))

            try await service.consumeCode(kimsCode, email: "kim@example.com", purpose: .register)
            try await service.consumeCode(leosCode, email: "leo@example.com", purpose: .register)
            try await service.consumeCode(kimsResetCode, email: "kim@example.com", purpose: .reset)

            // Listeners heard every mail, in order.
            #expect(heard.value.map(\.to) == ["kim@example.com", "leo@example.com", "kim@example.com"])
            #expect(heard.value.last?.subject.hasSuffix(kimsResetCode) == true)

            // One file, readable by its owner only, holding all three mails.
            #expect(mailbox.path == directory.file("dev-mailbox.txt"))
            let attributes = try FileManager.default.attributesOfItem(atPath: mailbox.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let text = try String(contentsOfFile: mailbox.path, encoding: .utf8)
            #expect(text.components(separatedBy: "\nSubject: Your WeChat verification code: ").count == 4)
            #expect(text.contains("To: kim@example.com\n"))
        }
    }

    @Test func devMailboxLatestCodeIsNilWithoutAFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(DevMailbox.latestCode(for: "a@example.com", inMailboxAt: directory.file("missing.txt")) == nil)
    }
}
