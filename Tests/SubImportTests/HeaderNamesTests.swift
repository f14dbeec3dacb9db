import Foundation
import Testing

@testable import SubImport

/// Header names people write in spreadsheet exports reach the right columns.
@Suite struct HeaderNamesTests {
    let directory = TestDirectory()

    /// The column each header cell maps to, through the provider's schema.
    func columns(_ header: [String], provider: any ProviderDefinition = OctopushProvider()) throws -> [String?] {
        let mapping = try provider.columns(mode: .create).map(header: header, path: "h.csv")
        return mapping.positions.map { $0.map { mapping.schema.columns[$0].name } }
    }

    @Test func frenchExportHeadersMapToOctopushColumns() throws {
        let cases: [(String, String)] = [
            ("Prénom", "first_name"), ("Nom", "last_name"), ("Nom de famille", "last_name"),
            ("Mot de passe", "password"), ("MDP", "password"), ("Société", "company_name"),
            ("Raison sociale", "company_name"), ("Entreprise", "company_name"),
            ("Nom de la société", "company_name"), ("Nom de l’entreprise", "company_name"),
            ("E-mail", "email_for_inbounds"), ("Courriel", "email_for_inbounds"),
            ("Adresse e-mail", "email_for_inbounds"), ("Adresse mail", "email_for_inbounds"),
            ("Mail", "email_for_inbounds"), ("Email address", "email_for_inbounds"),
        ]
        for (header, column) in cases {
            let mapped = try columns(["first_name", "last_name", "password"].filter { $0 != column } + [header])
            #expect(mapped.last == column, "\(header) should map to \(column)")
        }
    }

    @Test func englishCounterpartsMapToTheSameColumns() throws {
        let mapped = try columns(["Given name", "Family name", "Password", "Company name", "E-mail address"])
        #expect(mapped == ["first_name", "last_name", "password", "company_name", "email_for_inbounds"])
        let smspartner = try columns(
            ["Type", "Adresse e-mail", "Prénom", "Nom de famille"], provider: SMSPartnerProvider())
        #expect(smspartner == ["type", "email", "first_name", "last_name"])
        #expect(try columns(["type", "Courriel"], provider: SMSPartnerProvider()) == ["type", "email"])
    }

    @Test func aFileWithNaturalHeadersIsQueuedWithTrimmedCells() throws {
        let store = try QueueStore(directory: directory.file("state"))
        let file = directory.write(
            "export.csv",
            """
            Prénom;Nom de famille;MDP;Raison sociale;Courriel
              Marie ; Curie ; radium 1898 ; Institut du Radium ;marie@example.com
            """)
        let summary = try Ingestor(store: store, provider: OctopushProvider(), mode: .create, account: "a")
            .ingest(path: file)
        #expect(summary.toSend == 1)
        var fields: [String: String] = [:]
        try store.forEachJob(batchID: summary.batch.id) { fields = $0.fields }
        #expect(fields["first_name"] == "Marie")
        #expect(fields["last_name"] == "Curie")
        #expect(fields["company_name"] == "Institut du Radium")
        #expect(fields["email_for_inbounds"] == "marie@example.com")
        #expect(try store.storedRow(batchID: summary.batch.id, row: 1)?.secret == " radium 1898 ")
    }
}
