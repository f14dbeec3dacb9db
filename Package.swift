// swift-tools-version:6.0
// subimport: imports CSV files of SMS-gateway sub-accounts through the providers' APIs.

import PackageDescription

let package = Package(
    name: "subimport",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "subimport", targets: ["subimport"]),
        .library(name: "SubImport", targets: ["SubImport"]),
        .library(name: "SubImportSandbox", targets: ["SubImportSandbox"]),
        .library(name: "SubImportCSV", targets: ["SubImportCSV"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // A streaming, byte-level CSV reader with no dependencies.
        .target(name: "SubImportCSV"),
        // The engine: ingest, queue, workers, providers, reports. No CLI, no printing.
        .target(
            name: "SubImport",
            dependencies: [
                "SubImportCSV",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The shared queue for many hosts: the engine's `JobQueue` on a PostgreSQL server.
        .target(
            name: "SubImportPostgres",
            dependencies: [
                "SubImport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The provider emulator: a real HTTP server on loopback.
        .target(
            name: "SubImportSandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The command-line tool: argument parsing, progress output, exit codes.
        .executableTarget(
            name: "subimport",
            dependencies: [
                "SubImport",
                "SubImportPostgres",
                "SubImportSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "SubImportCSVTests", dependencies: ["SubImportCSV"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SubImportSandboxTests",
            dependencies: [
                "SubImportSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SubImportTests",
            dependencies: [
                "SubImport", "SubImportPostgres", "SubImportSandbox", .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .testTarget(
            name: "SubImportCLITests",
            dependencies: [
                "subimport", "SubImport", "SubImportSandbox", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ]
)
