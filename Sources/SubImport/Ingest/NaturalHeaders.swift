/// Header names people write in spreadsheet exports, French and English, for the columns every
/// provider shares, in normalized form (see ``ColumnSchema/normalize(_:)``). A schema adds them
/// to the aliases of its columns of the same canonical name, so `Nom de famille`, `Raison
/// sociale`, `Courriel`, `MDP` or `Email address` are understood whichever provider reads the
/// file. A name that a schema already gives to another column is left to that column.
enum NaturalHeaders {
    static let aliases: [String: [String]] = [
        "first_name": [
            "first_name", "firstname", "first", "given_name", "forename", "prenom", "prenoms",
        ],
        "last_name": [
            "last_name", "lastname", "last", "surname", "family_name", "nom", "nom_de_famille",
            "nom_de_naissance",
        ],
        "company_name": [
            "company", "companyname", "company_name", "business_name", "organisation", "organization",
            "societe", "nom_de_la_societe", "nom_de_societe", "nom_de_l_entreprise", "raison_sociale",
            "entreprise",
        ],
        "password": ["pass", "password", "passwd", "pwd", "mot_de_passe", "mdp"],
        "email": emailAliases,
        "email_for_inbounds": emailAliases,
    ]

    private static let emailAliases = [
        "email", "e_mail", "mail", "email_address", "e_mail_address", "mail_address", "courriel",
        "adresse_email", "adresse_e_mail", "adresse_mail", "adresse_courriel",
    ]
}
