import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// A taken username is said when the person leaves the field or asks for the code, not only at
/// the final submit, after the code was spent.
@Suite struct UsernameCheckTests {
    init() { DisplayWidth.useUTF8Locale() }

    func type(_ text: String, into state: inout AppState) {
        for character in text { _ = state.apply(.key(.character(character))) }
    }

    func registerForm() -> AppState {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.width = 80
        state.height = 24
        _ = state.apply(.key(.function(2)))
        return state
    }

    @Test func leavingTheFieldAsksAndATakenNameIsSaidNextToIt() {
        var state = registerForm()
        type("alice", into: &state)
        #expect(state.apply(.key(.tab)) == [.checkUsername("alice")])
        #expect(!AppView.render(state).contains("taken"), "nothing is said before the answer")
        // Back and out again: the name was asked about already.
        _ = state.apply(.key(.backTab))
        #expect(state.apply(.key(.tab)).isEmpty)

        _ = state.apply(.usernameChecked(username: "alice", .success(false)))
        let canvas = AppView.render(state)
        let field = canvas.lines.firstIndex { $0.contains("Username") && $0.contains("alice") }
        #expect(field.map { canvas.lines[$0 + 1].contains("That username is taken.") } == true, "\(canvas.description)")
        // The submit is refused with it, before anything is sent.
        #expect(state.submitRegistration().isEmpty)
        #expect(state.register.error == "That username is taken.")

        // Another name: the line under the field no longer says so.
        state.register.username.setText("alice2")
        let after = AppView.render(state)
        let row = after.lines.firstIndex { $0.contains("Username") && $0.contains("alice2") }
        #expect(row.map { !after.lines[$0 + 1].contains("That username is taken.") } == true, "\(after.description)")
    }

    @Test func askingForTheCodeAsksTooAndAFreeNameSaysNothing() {
        var state = registerForm()
        state.register.username.setText("zoe")
        _ = state.apply(.key(.tab))
        _ = state.apply(.usernameChecked(username: "zoe", .failure(ChatError(.unavailable, "no gate"))))
        // Unanswered, it is asked again, together with the code.
        type("zoe@example.com", into: &state)
        #expect(
            state.apply(.key(.function(5)))
                == [.checkUsername("zoe"), .requestCode(email: "zoe@example.com", purpose: .register)]
        )
        _ = state.apply(.usernameChecked(username: "zoe", .success(true)))
        #expect(state.register.usernameProblem == nil)
        #expect(!AppView.render(state).contains("taken"))
    }

    @Test func aNameAgainstTheRulesIsNotAskedAbout() {
        var state = registerForm()
        type("9lives", into: &state)
        #expect(state.apply(.key(.tab)).isEmpty)
        #expect(AppView.render(state).contains("starts with a letter"))
    }

    @Test func aNameTakenBetweenTheCheckAndTheSubmitIsSaidAtTheField() {
        var state = registerForm()
        state.register.username.setText("bob")
        _ = state.apply(.registered(.failure(ChatError(.usernameTaken, "The username 'bob' is already taken."))))
        #expect(state.register.usernameProblem == "That username is taken.")
    }
}
