import Testing

@testable import SubImport

/// The duplicate finder's row hash: equal rows (as `String`s) always hash alike, whichever bytes
/// they were typed with and whichever of the hash's two paths (bytes read in place, or NFC code
/// units one by one) each string takes; different rows practically never do.
@Suite struct RowContentHashTests {
    @Test func canonicallyEquivalentRowsHashAlikeOnBothPaths() {
        let hasher = RowContentHash()
        let pairs: [(String, String)] = [
            // Composed (bytes below 0xCC: read in place) and decomposed (U+0301: normalized),
            // long enough that the accents fall in different 8-byte words.
            (
                "[\"Soci\u{E9}t\u{E9} G\u{E9}n\u{E9}rale des H\u{E9}l\u{E8}ne\",null]",
                "[\"Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale des He\u{301}le\u{300}ne\",null]"
            ),
            // A singleton decomposing to ASCII: the Kelvin sign is the letter K.
            ("[\"Kaplan\",\"Kelvin and Kelvin\"]", "[\"\u{212A}aplan\",\"\u{212A}elvin and \u{212A}elvin\"]"),
            // Hangul syllables and their jamo; an emoji on both sides.
            ("[\"\u{D55C}\u{AD6D}\",\"🙂\"]", "[\"\u{1112}\u{1161}\u{11AB}\u{1100}\u{116E}\u{11A8}\",\"🙂\"]"),
        ]
        for (composed, decomposed) in pairs {
            #expect(composed == decomposed)
            #expect(Array(composed.utf8) != Array(decomposed.utf8))
            #expect(hasher.hash(fields: composed, secret: nil) == hasher.hash(fields: decomposed, secret: nil))
            #expect(
                hasher.hash(fields: "[]", secret: composed) == hasher.hash(fields: "[]", secret: decomposed))
        }
    }

    @Test func differentRowsHashApart() {
        let hasher = RowContentHash()
        // Where one string ends and the next begins, and an absent password, are part of the content.
        #expect(hasher.hash(fields: "[\"a\"]", secret: nil) != hasher.hash(fields: "[\"a\"]", secret: ""))
        #expect(hasher.hash(fields: "[\"ab\"]", secret: "c") != hasher.hash(fields: "[\"a\"]", secret: "bc"))
        #expect(hasher.hash(fields: "12345678", secret: "9") != hasher.hash(fields: "1234567", secret: "89"))
        #expect(hasher.hash(fields: "", secret: "\0") != hasher.hash(fields: "", secret: ""))
        // Rows a byte apart (an accent, a digit) across 20,000 rows: no two share the hash, and
        // the high 32 bits (all the duplicate map keeps) are practically all distinct too.
        var hashes = Set<UInt64>()
        var highBits = Set<UInt64>()
        for row in 0..<20_000 {
            let fields =
                "[\"H\u{E9}l\u{E8}ne\(row % 97)\",\"Dupont\",\"Company \(row)\",null,\"user\(row)@example.com\"]"
            let hash = hasher.hash(fields: fields, secret: "pw-\(row)")
            hashes.insert(hash)
            highBits.insert(hash >> 32)
        }
        #expect(hashes.count == 20_000)
        #expect(highBits.count >= 19_990)
    }

    @Test func eachHasherIsKeyedOnItsOwn() {
        // A file cannot be crafted to collide: the key differs from one ingest to the next.
        let row = (fields: "[\"Leonardo\",\"Da Vinci\"]", secret: "pw-00000001")
        #expect(
            RowContentHash().hash(fields: row.fields, secret: row.secret)
                != RowContentHash().hash(fields: row.fields, secret: row.secret))
    }
}
