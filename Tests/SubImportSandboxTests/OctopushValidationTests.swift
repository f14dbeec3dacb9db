import AsyncHTTPClient
import Foundation
import SubImportSandbox
import Testing

/// Each validation limit of the Octopush create (and edit) body, at its boundaries.
@Suite struct OctopushValidationTests {
    /// (body, expected HTTP status, expected code when rejected)
    static let cases: [(String, String, Int, Int?)] = [
        ("first_name 2", octopushBody(first: "Al"), 400, 102),
        ("first_name 3", octopushBody(first: "Ali"), 201, nil),
        ("first_name 30", octopushBody(first: String(repeating: "a", count: 30)), 201, nil),
        ("first_name 31", octopushBody(first: String(repeating: "a", count: 31)), 400, 102),
        ("first_name accents 3", octopushBody(first: "Zoé"), 201, nil),
        ("last_name 2", octopushBody(last: "Li"), 400, 103),
        ("last_name 3", octopushBody(last: "Lee"), 201, nil),
        ("last_name 30", octopushBody(last: String(repeating: "b", count: 30)), 201, nil),
        ("last_name 31", octopushBody(last: String(repeating: "b", count: 31)), 400, 103),
        ("password 5", octopushBody(password: "12345"), 400, 104),
        ("password 6", octopushBody(password: "123456"), 201, nil),
        ("company 100", octopushBody(["company_name": String(repeating: "c", count: 100)]), 201, nil),
        ("company 101", octopushBody(["company_name": String(repeating: "c", count: 101)]), 400, 105),
        ("callback ftp", octopushBody(["callbacks": ["callback_url_for_deliveries": "ftp://dns.com/x"]]), 400, 106),
        ("callback relative", octopushBody(["callbacks": ["callback_url_for_inbounds": "/relative/path"]]), 400, 106),
        ("callback no host", octopushBody(["callbacks": ["callback_url_for_visits": "https://"]]), 400, 106),
        ("callback legacy bad", octopushBody(["callbacks": ["callback_url_for_sms_deliveries": "dns.com"]]), 400, 106),
        (
            "callback http ok", octopushBody(["callbacks": ["callback_url_for_blacklisted_numbers": "http://x.io/s"]]),
            201, nil
        ),
        ("email bad", octopushBody(["callbacks": ["email_for_inbounds": "not-an-email"]]), 400, 107),
        ("email no tld", octopushBody(["callbacks": ["email_for_inbounds": "a@localhost"]]), 400, 107),
        ("email space", octopushBody(["callbacks": ["email_for_inbounds": "a b@x.org"]]), 400, 107),
        ("email ok", octopushBody(["callbacks": ["email_for_inbounds": "a.b+c@x-y.org"]]), 201, nil),
        ("missing first_name", jsonText(["last_name": "Da Vinci", "password": "secret1"]), 400, 100),
        ("missing last_name", jsonText(["first_name": "Leo", "password": "secret1"]), 400, 100),
        ("missing password", jsonText(["first_name": "Leo", "last_name": "Vinci"]), 400, 100),
        ("not json", "first_name=Leo", 400, 108),
        ("numbers are cast", #"{"first_name": 12345, "last_name": "Vinci", "password": 123456}"#, 201, nil),
    ]

    @Test(arguments: 0..<cases.count)
    func createLimit(_ index: Int) async throws {
        let (name, body, status, code) = Self.cases[index]
        try await withSandbox { server in
            let answer = try await octopushCreate(server, body)
            #expect(answer.status == status, "\(name): \(answer.text)")
            #expect(answer.int("code") == code, "\(name)")
            if code != nil {
                #expect(answer.string("message")?.isEmpty == false)
                #expect(Set(answer.object.keys) == ["code", "message"])
            }
            #expect(server.accounts().count == (status == 201 ? 1 : 0), "\(name)")
        }
    }

    @Test func editValidatesTheFieldsPresentAndChangesNothingWhenRejected() async throws {
        try await withSandbox { server in
            let login = try #require(try await octopushCreate(server, octopushBody()).string("api_login"))
            let url = server.baseURL + "/v1/public/subaccount/\(login)/edit"
            let rejected: [(String, Int)] = [
                (#"{"first_name": "Al"}"#, 102), (#"{"last_name": "\#(String(repeating: "x", count: 31))"}"#, 103),
                (#"{"password": "12345"}"#, 104), (#"{"company_name": "\#(String(repeating: "x", count: 101))"}"#, 105),
                (#"{"callbacks": {"callback_url_for_deliveries": "nope"}}"#, 106),
                (#"{"callbacks": {"email_for_inbounds": "nope"}}"#, 107), ("first_name=Ali", 108),
            ]
            for (body, code) in rejected {
                let answer = try await send(.PATCH, url, headers: masterHeaders, json: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.int("code") == code, "\(body)")
            }
            #expect(server.accounts().first?.firstName == "Leonardo")
            let accepted = try await send(.PATCH, url, headers: masterHeaders, json: #"{"first_name": "Ali"}"#)
            #expect(accepted.status == 201)
            #expect(server.accounts().first?.firstName == "Ali")
        }
    }

    @Test func errorCodeTablesAreConsistent() {
        #expect(OctopushErrorCode.incorrectLoginDetails.httpStatus == 401)
        #expect(OctopushErrorCode.subAccountLimitReached.httpStatus == 403)
        #expect(OctopushErrorCode.subAccountNotFound.httpStatus == 404)
        #expect(Set(OctopushErrorCode.allCases.map(\.rawValue)).count == OctopushErrorCode.allCases.count)
        #expect(SMSPartnerErrorCode.invalidAPIKey.rawValue == 10)
        #expect(SMSPartnerErrorCode.invalidAPIKey.message == "Invalid API key")
        #expect(SMSPartnerErrorCode.allCases.allSatisfy { !$0.message.isEmpty && $0.httpStatus >= 400 })
    }
}
