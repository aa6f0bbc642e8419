import Testing

@testable import ChatTUI

@Suite("TOMLDocument")
struct TOMLDocumentTests {
    /// The error parsing `text` throws, or nil if it parses.
    private func parseError(_ text: String) -> TOMLError? {
        do {
            _ = try TOMLDocument(parsing: text)
            return nil
        } catch let error as TOMLError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func parsesEveryValueKind() throws {
        let document = try TOMLDocument(
            parsing: #"""
                # a comment on its own line

                basic = "say \"hi\" \\ back\nnext\ttab \u00e9 \U0001F600"  # a trailing comment
                literal = 'C:\no\escapes "here"'
                "quoted key" = 1
                'literal key' = 2
                dash-and_under = 3
                negative = -1_000
                positive = +42
                zero = 0
                yes = true
                no = false
                mixed = [1, "two", 'three', true, [4, 5], ]
                empty = [ ]
                hash = "# not a comment"
                """#
        )

        #expect(document.string(nil, "basic") == "say \"hi\" \\ back\nnext\ttab é 😀")
        #expect(document.string(nil, "literal") == #"C:\no\escapes "here""#)
        #expect(document.int(nil, "quoted key") == 1)
        #expect(document.int(nil, "literal key") == 2)
        #expect(document.int(nil, "dash-and_under") == 3)
        #expect(document.int(nil, "negative") == -1_000)
        #expect(document.int(nil, "positive") == 42)
        #expect(document.int(nil, "zero") == 0)
        #expect(document.bool(nil, "yes") == true)
        #expect(document.bool(nil, "no") == false)
        #expect(
            document.value(nil, "mixed")
                == .array([
                    .integer(1), .string("two"), .string("three"), .boolean(true), .array([.integer(4), .integer(5)]),
                ])
        )
        #expect(document.value(nil, "empty") == .array([]))
        #expect(document.string(nil, "hash") == "# not a comment")
        #expect(document.value(nil, "missing") == nil)
        // Typed accessors do not convert.
        #expect(document.string(nil, "zero") == nil)
        #expect(document.int(nil, "yes") == nil)
        #expect(document.bool(nil, "basic") == nil)
    }

    @Test func tablesKeysAndLines() throws {
        let document = try TOMLDocument(
            parsing: """
                top = 1

                [colours]
                fg = 1
                bg = 2
                [colours.sub]   # comment after a header
                fg = 3
                [ "with space" . inner ]
                k = 'v'
                [empty]
                """
        )

        #expect(document.tables == ["colours", "colours.sub", "with space.inner", "empty"])
        #expect(document.keys(in: nil) == ["top"])
        #expect(document.keys(in: "colours") == ["fg", "bg"])
        #expect(document.keys(in: "empty") == [])
        #expect(document.keys(in: "nope") == [])
        #expect(document.int("colours", "fg") == 1)
        #expect(document.int("colours.sub", "fg") == 3)
        #expect(document.int(nil, "fg") == nil)
        #expect(document.string("with space.inner", "k") == "v")
        #expect(document.line(of: "top", in: nil) == 1)
        #expect(document.line(of: "bg", in: "colours") == 5)
        #expect(document.line(of: "fg", in: "colours.sub") == 7)
        #expect(document.line(of: "fg", in: nil) == nil)
        #expect(document.line(ofTable: "colours") == 3)
        #expect(document.line(ofTable: "empty") == 10)
        #expect(document.line(ofTable: "nope") == nil)
    }

    @Test func windowsLineEndingsAndEmptyInput() throws {
        let document = try TOMLDocument(parsing: "a = 1\r\n\r\n[t]\r\nb = \"x\"\r\n")
        #expect(document.int(nil, "a") == 1)
        #expect(document.string("t", "b") == "x")
        #expect(document.line(of: "b", in: "t") == 4)

        let empty = try TOMLDocument(parsing: "")
        #expect(empty.tables.isEmpty)
        #expect(empty.keys(in: nil).isEmpty)
    }

    @Test func missingEqualsNamesTheKeyAndLine() {
        let error = parseError("[base]\nfg = 1\n\n# comment\n\nbg = 2\nfg 3\n")
        #expect(error == TOMLError(line: 7, message: "expected '=' after key 'fg'"))
        #expect(error?.description == "line 7: expected '=' after key 'fg'")
    }

    @Test func duplicatesAreErrors() {
        #expect(parseError("a = 1\nb = 2\na = 3")?.line == 3)
        #expect(parseError("[t]\na = 1\n[u]\na = 2") == nil)  // same key, different tables: fine
        #expect(parseError("[t]\na = 1\n[u]\n[t]")?.line == 4)
        #expect(parseError("a = 1\n'a' = 2")?.line == 2)  // a quoted key is the same key
    }

    @Test func rejectsWhatItDoesNotSupportWithTheRightLine() {
        let cases: [(text: String, line: Int)] = [
            ("a = 1.5", 1),
            ("ok = 1\na = 1e3", 2),
            ("a = 0x1F", 1),
            ("a = 01", 1),
            ("a = 1__0", 1),
            ("a = _1", 1),
            ("a = 1_", 1),
            ("a = 99999999999999999999", 1),
            ("a = True", 1),
            ("a = bare", 1),
            ("a = -", 1),
            ("a =", 1),
            ("a = # comment", 1),
            ("= 1", 1),
            ("a.b = 1", 1),
            ("a = 1 2", 1),
            ("a = 'x' 'y'", 1),
            ("\n\na = \"unterminated", 3),
            ("a = 'unterminated", 1),
            ("a = \"bad \\q escape\"", 1),
            ("a = \"\\u12\"", 1),
            ("a = \"\\uD800\"", 1),
            ("a = \"\"\"multi\"\"\"", 1),
            ("a = '''multi'''", 1),
            ("a = [1, 2", 1),
            ("a = [1 2]", 1),
            ("a = [,]", 1),
            ("a = {b = 1}", 1),
            ("x = 1\n[table", 2),
            ("[table] junk", 1),
            ("[[array.of.tables]]", 1),
            ("[]", 1),
            ("a = 1\n\n\n\nnot a key value", 5),
        ]
        for (text, line) in cases {
            let error = parseError(text)
            #expect(error != nil, "should reject \(text.debugDescription)")
            #expect(error?.line == line, "\(text.debugDescription): \(String(describing: error))")
            #expect(error?.message.isEmpty == false)
        }
    }
}
