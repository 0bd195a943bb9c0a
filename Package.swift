// swift-tools-version:6.0
// drd — PostgreSQL backup and disaster-recovery daemon.
// No package dependencies: the toolchain plus system C libraries (libpq, zlib, libcurl, libcrypto).
import PackageDescription

let package = Package(
    name: "drd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "drd", targets: ["drd"]),
        .executable(name: "drctl", targets: ["drctl"]),
    ],
    targets: [
        // System libraries (Debian -dev packages; see scripts/test for the install step).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libdeflate: whole-buffer gzip, 2.6x faster than zlib at level 6 and 10% smaller (docs/benchmarks.md).
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // C entry points Swift cannot call directly (variadic functions, macros).
        .target(name: "CShims", dependencies: ["CZlib", "CCurl"]),

        // Library modules; dependencies point one way (see docs/architecture.md).
        .target(name: "Support", dependencies: ["CCrypto"]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "Support"]),
        .target(name: "Archive", dependencies: ["CDeflate", "CZlib", "CShims", "Support"]),
        .target(name: "Storage", dependencies: ["CCurl", "CShims", "Support"]),
        .target(name: "Dump", dependencies: ["Postgres", "Archive", "Storage", "Support"]),
        .target(name: "Restore", dependencies: ["Postgres", "Archive", "Storage", "Support"]),
        .target(name: "Policy", dependencies: ["Support"]),
        .target(name: "Compliance", dependencies: ["Policy", "Support"]),
        .target(name: "Control", dependencies: ["Support"]),
        .target(name: "Service", dependencies: [
            "Postgres", "Dump", "Restore", "Archive", "Storage", "Policy", "Compliance", "Control", "Support",
        ]),
        .executableTarget(name: "drd", dependencies: ["Service", "Policy", "Control", "Support"]),
        .executableTarget(name: "drctl", dependencies: [
            "Service", "Dump", "Restore", "Storage", "Policy", "Compliance", "Control", "Postgres", "Support",
        ]),

        // Tests: unit tests per module, integration tests against real PostgreSQL and moto.
        .target(name: "TestHelpers", dependencies: ["Postgres", "Support"], path: "Tests/TestHelpers"),
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "ArchiveTests", dependencies: ["TestHelpers", "Archive", "Support"]),
        .testTarget(name: "DumpTests", dependencies: ["TestHelpers", "Dump", "Postgres", "Support"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "RestoreTests", dependencies: ["TestHelpers", "Restore", "Postgres", "Archive", "Support"]),
        .testTarget(name: "StorageTests", dependencies: ["TestHelpers", "Storage", "Support"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Support"]),
        .testTarget(name: "ComplianceTests", dependencies: ["Compliance", "Policy", "Support"]),
        .testTarget(name: "ControlTests", dependencies: ["TestHelpers", "Control", "Support"]),
        .testTarget(name: "IntegrationTests", dependencies: ["TestHelpers", 
            "Service", "Dump", "Restore", "Archive", "Storage", "Postgres", "Policy", "Compliance", "Control", "Support",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
