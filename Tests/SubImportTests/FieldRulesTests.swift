import Testing

@testable import SubImport

@Suite struct FieldRulesTests {
    @Test(arguments: [
        "a@example.com", "first.last+tag@sub.example.co.uk", "x@example-domain.fr", "élodie@société.fr",
        "o'brien@example.ie",
    ])
    func wellFormedEmails(_ value: String) { #expect(FieldRules.isEmail(value)) }

    @Test(arguments: [
        "", "plain", "@example.com", "a@", "a@example", "a@@example.com", "a@b@example.com", "a b@example.com",
        "a@-example.com", "a@example-.com", "a@example..com", "a@example.c0m", "a@example.c", "a@exa_mple.com",
        String(repeating: "l", count: 65) + "@example.com",
    ])
    func malformedEmails(_ value: String) { #expect(!FieldRules.isEmail(value)) }

    @Test(arguments: [
        "https://hooks.example.com/dr", "http://localhost:8080/x?y=1#z", "HTTPS://EXAMPLE.COM", "https://user@host.io",
        "http://[::1]:9000/cb", "https://bücher.example/ç",
    ])
    func absoluteHTTPURLs(_ value: String) { #expect(FieldRules.isHTTPURL(value)) }

    @Test(arguments: [
        "", "notaurl", "ftp://example.com/x", "https://", "https:///path", "//example.com", "https://exa mple.com",
        "https://example.com:port/x", "https://example.com:123456/", "mailto:a@example.com", "javascript:alert(1)",
    ])
    func notHTTPURLs(_ value: String) { #expect(!FieldRules.isHTTPURL(value)) }

    @Test func lengthsCountCharactersNotBytes() {
        #expect(FieldRules.length("Éve", column: "first_name", 3...30) == nil)
        #expect(FieldRules.length("Jo", column: "first_name", 3...30)?.message == "must be 3–30 characters (got 2)")
        #expect(FieldRules.length(String(repeating: "é", count: 30), column: "c", 3...30) == nil)
        #expect(FieldRules.length(nil, column: "c", 3...30)?.message == "is required")
        #expect(FieldRules.length(nil, column: "c", 0...100, required: false) == nil)
    }
}
