import Foundation

/// The CSV columns a provider reads, and how header cells map onto them.
///
/// Header cells are matched case-insensitively, accents ignored, with spaces and hyphens read
/// as `_`, and through each column's aliases.
public struct ColumnSchema: Sendable {
    public struct Column: Sendable {
        public var name: String
        public var aliases: [String]
        public var required: Bool
        /// The column holds a secret (a password): stored apart and erased when settled.
        public var isSecret: Bool
        /// The value of an empty or absent cell (`--default`, `--smspartner-type`).
        public var defaultValue: String?

        public init(_ name: String, aliases: [String] = [], required: Bool = false, isSecret: Bool = false) {
            self.name = name
            self.aliases = aliases
            self.required = required
            self.isSecret = isSecret
        }
    }

    public var columns: [Column]

    /// The schema of `columns`, each also answering to the ``NaturalHeaders`` of its canonical
    /// name (unless another column of the schema already claims that name).
    public init(_ columns: [Column]) {
        var claimed = Set(columns.flatMap { [Self.normalize($0.name)] + $0.aliases.map(Self.normalize) })
        var extended = columns
        for index in extended.indices {
            for alias in NaturalHeaders.aliases[extended[index].name] ?? [] where !claimed.contains(alias) {
                extended[index].aliases.append(alias)
                claimed.insert(alias)
            }
        }
        self.columns = extended
    }

    /// The schema with `defaults` (canonical column name → value) filling empty or absent
    /// cells; a column with a default need not be in the header. Throws `invalidDefault` for a
    /// name that is not a non-secret column of the schema.
    public func withDefaults(_ defaults: [String: String]) throws -> ColumnSchema {
        var schema = self
        for (name, value) in defaults {
            guard let index = columns.firstIndex(where: { $0.name == name && !$0.isSecret }) else {
                throw SubImportError.invalidDefault(
                    "no column \(name) to give a default to (columns: \(columns.filter { !$0.isSecret }.map(\.name).joined(separator: ", ")))"
                )
            }
            schema.columns[index].defaultValue = value
        }
        return schema
    }

    /// Reduces a header cell to its comparable form: `First-Name ` → `first_name`,
    /// `Nom de l’entreprise` → `nom_de_l_entreprise`.
    public static func normalize(_ header: String) -> String {
        if header.utf8.allSatisfy({ $0 < 0x80 }) { return normalizeASCII(header) }
        let folded = header.trimmingCharacters(in: .whitespacesAndNewlines)
            .folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        var out = ""
        for character in folded {
            out.append(" -.'’".contains(character) ? "_" : character)
        }
        while out.contains("__") { out = out.replacingOccurrences(of: "__", with: "_") }
        return out
    }

    /// `normalize` of an ASCII header without Foundation (the common case, read for every
    /// column and alias of every file): trimmed, lowercased, ` `/`-`/`.` read as `_`, runs of
    /// `_` collapsed; the same result as the folding path gives for ASCII.
    private static func normalizeASCII(_ header: String) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        let bytes = Array(header.utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        var out: [UInt8] = []
        out.reserveCapacity(last - first + 1)
        for byte in bytes[first...last] {
            var mapped = byte
            if byte == 0x20 || byte == 0x2D || byte == 0x2E { mapped = 0x5F }
            if (0x41...0x5A).contains(byte) { mapped = byte + 0x20 }
            if mapped == 0x5F, out.last == 0x5F { continue }
            out.append(mapped)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Maps a header row onto the columns. Throws `unreadableFile` naming the missing required
    /// column, or a column given twice. Unknown header cells are returned in `ignored`.
    ///
    /// Messages quote header cells only once some cell is a known column name (so the row is
    /// a header, not a data row with a password in it), each cut to a short prefix.
    public func map(header: [String], path: String) throws -> HeaderMapping {
        var lookup: [String: Int] = [:]
        for (index, column) in columns.enumerated() {
            lookup[Self.normalize(column.name)] = index
            for alias in column.aliases { lookup[Self.normalize(alias)] = index }
        }
        var positions: [Int?] = Array(repeating: nil, count: header.count)
        var seen: [Int: Int] = [:]
        var ignored: [String] = []
        for (cellIndex, cell) in header.enumerated() {
            let key = Self.normalize(cell)
            if key.isEmpty { continue }
            guard let columnIndex = lookup[key] else {
                ignored.append(cell)
                continue
            }
            if let earlier = seen[columnIndex] {
                throw SubImportError.unreadableFile(
                    path: path,
                    reason:
                        "line 1: columns \(earlier + 1) (\(InputQuote.value(header[earlier]))) and \(cellIndex + 1) (\(InputQuote.value(cell))) both map to \(columns[columnIndex].name)"
                )
            }
            seen[columnIndex] = cellIndex
            positions[cellIndex] = columnIndex
        }
        if seen.isEmpty {
            throw SubImportError.unreadableFile(
                path: path,
                reason:
                    "line 1: none of the header row's \(header.count) cells is a known column name; is the header row missing? (expected columns such as \(columns.prefix(4).map(\.name).joined(separator: ", ")))"
            )
        }
        let missing = columns.enumerated().filter {
            $0.element.required && $0.element.defaultValue == nil && seen[$0.offset] == nil
        }.map {
            $0.element.name
        }
        if !missing.isEmpty {
            throw SubImportError.unreadableFile(
                path: path,
                reason:
                    "line 1: missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) (header has: \(InputQuote.list(header)))"
            )
        }
        return HeaderMapping(
            schema: self, names: columns.filter { !$0.isSecret }.map(\.name), positions: positions, ignored: ignored)
    }
}

/// A header row matched to a schema: turns records into `ImportRow`s.
public struct HeaderMapping: Sendable {
    let schema: ColumnSchema
    /// The non-secret column names, in schema order: the `names` of every row.
    let names: [String]
    /// For each cell position of the header, the schema column it feeds.
    let positions: [Int?]
    /// Header cells that match no column (ignored, reported once).
    public let ignored: [String]
    /// The cells of a row before its record is read: the columns' defaults, in `names` order.
    let defaultCells: [String?]
    /// Whether any column has a default (else every cell starts nil).
    private let hasDefaults: Bool
    /// For each cell position of the header, where its value goes: its slot in `names`,
    /// `secretTarget` or `ignoredTarget` (the schema column a cell feeds, and that column's
    /// slot, in one look-up).
    private let targets: [Int]

    init(schema: ColumnSchema, names: [String], positions: [Int?], ignored: [String]) {
        self.schema = schema
        self.names = names
        self.positions = positions
        self.ignored = ignored
        var slots: [Int?] = []
        var next = 0
        for column in schema.columns {
            if column.isSecret {
                slots.append(nil)
            } else {
                slots.append(next)
                next += 1
            }
        }
        targets = positions.map { column in
            guard let column else { return Self.ignoredTarget }
            return slots[column] ?? Self.secretTarget
        }
        defaultCells = schema.columns.filter { !$0.isSecret }.map(\.defaultValue)
        hasDefaults = defaultCells.contains { $0 != nil }
    }

    /// The row of `fields`, or a problem when the record has non-empty cells beyond the header.
    public func row(from fields: [String]) -> Result<ImportRow, RowProblem> {
        var storage: [String?] = []
        return row(from: fields, reusing: &storage)
    }

    /// `row(from:)`, its cells written into `storage` (taken, left empty) when it is the cells
    /// of an earlier row given back (see `DataRowReader.recycle`): no allocation for them.
    func row(from fields: [String], reusing storage: inout [String?]) -> Result<ImportRow, RowProblem> {
        var cells: [String?] = []
        swap(&cells, &storage)
        if cells.count == defaultCells.count {
            for slot in cells.indices { cells[slot] = hasDefaults ? defaultCells[slot] : nil }
        } else {
            // Without defaults, a fresh array of nils: copying `defaultCells` on first write goes
            // through the runtime's generic copy of each element.
            cells = hasDefaults ? defaultCells : [String?](repeating: nil, count: defaultCells.count)
        }
        var secret: String?
        // Fields and targets are read in place: no retain and release of each field it skips.
        let extra: Int? = fields.withUnsafeBufferPointer { fields in
            targets.withUnsafeBufferPointer { targets in
                for position in fields.indices {
                    guard position < targets.count else {
                        if !fields[position].isBlank { return position }
                        continue
                    }
                    let target = targets[position]
                    if target >= 0 {
                        let value = fields[position].trimmedSpaces()
                        if !value.isEmpty { cells[target] = value }
                    } else if target == Self.secretTarget {
                        // Passwords are taken as typed: leading or trailing spaces may be part of them.
                        if !fields[position].isEmpty { secret = fields[position] }
                    }
                }
                return nil
            }
        }
        if let extra {
            return .failure(
                RowProblem(
                    column: nil,
                    message:
                        "\(fields.count) cells but the header has \(positions.count) (extra cell at column \(extra + 1))"
                ))
        }
        return .success(ImportRow(names: names, cells: cells, secret: secret))
    }

    /// `targets` of a cell that feeds no column.
    private static let ignoredTarget = -1
    /// `targets` of the password cell.
    private static let secretTarget = -2
}

extension String {
    /// Whether `trimmedSpaces()` is empty, without making it: the first byte decides in the
    /// common case.
    var isBlank: Bool {
        switch spaceEnds {
        case .empty: return true
        case .unspaced: return false
        case .spaced: return trimmedSpaces().isEmpty
        }
    }

    /// Whether the string is empty, or starts or ends with a space or a tab (read in place).
    private var spaceEnds: SpaceEnds {
        withUTF8Bytes { bytes in
            guard let first = bytes.first, let last = bytes.last else { return .empty }
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
            return isSpace(first) || isSpace(last) ? .spaced : .unspaced
        }
    }

    private enum SpaceEnds { case empty, unspaced, spaced }

    /// The string without leading and trailing spaces and tabs; returns `self` untouched (no
    /// copy) in the common case where there are none.
    func trimmedSpaces() -> String {
        spaceEnds == .spaced ? trimmingCharacters(in: .whitespaces) : self
    }
}
