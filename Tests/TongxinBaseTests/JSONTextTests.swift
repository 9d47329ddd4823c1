import Foundation
import Testing
import TongxinBase

@Suite struct JSONTextTests {
    @Test func stringsNeedingNoEscapeAreCopiedWhole() {
        #expect(JSONText.string("雷阳 Leiyang 2021") == "\"雷阳 Leiyang 2021\"")
    }

    @Test func quotesBackslashesAndControlCharactersAreEscaped() {
        #expect(JSONText.string("a\"b\\c\nd\re\tf\u{01}") == #""a\"b\\c\nd\re\tf\u0001""#)
    }

    @Test func objectsHaveSortedKeysAndParseBack() throws {
        let object = ["z": "末", "a": "say \"hi\"\n", "m": "\u{1F}"]
        let text = JSONText.object(object)
        #expect(text.hasPrefix(#"{"a":"#))
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(parsed == object)
        #expect(JSONText.object([:]) == "{}")
    }
}
