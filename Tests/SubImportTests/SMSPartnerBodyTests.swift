import Testing

@testable import SubImport

/// The create body is written as bytes (no `[String: Any]`), with the same JSON as before.
@Suite struct SMSPartnerBodyTests {
    @Test func theCreateBodyHasSortedKeysAndTypedNumbers() {
        let body = SMSPartnerClient.body(
            fields: [
                "email": "a\"b@example.com", "first_name": "Ann", "type": "Advanced", "credit_to_attribute": "12,5",
                "is_buyer": "oui",
            ], apiKey: "key")
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"apiKey":"key","parameters":{"creditToAttribute":12.5,"email":"a\"b@example.com","firstname":"Ann","isBuyer":1},"type":"advanced"}"#
        )
        let whole = SMSPartnerClient.body(fields: ["credit_to_attribute": "100"], apiKey: "k")
        #expect(
            String(decoding: whole, as: UTF8.self)
                == #"{"apiKey":"k","parameters":{"creditToAttribute":100},"type":""}"#)
    }
}
