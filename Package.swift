// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "tongxin",
    products: [
        .executable(name: "tongxin", targets: ["tongxin"]),
        .executable(name: "tongxin-worker", targets: ["tongxin-worker"]),
        .executable(name: "tongxin-web", targets: ["tongxin-web"]),
        .executable(name: "tongxin-devdb", targets: ["tongxin-devdb"]),
        .executable(name: "tongxin-bench", targets: ["tongxin-bench"]),
        .executable(name: "tongxin-chaos", targets: ["tongxin-chaos"]),
        .library(name: "PostgresClient", targets: ["PostgresClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The web server (issue 16). No traits: not swift-configuration, nor full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // libpq, from the system (pkg-config libpq; Debian: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // libcrypto (OpenSSL), for Ed25519 signatures of exchange bundles and SHA-256.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // libsodium, for argon2id password hashes, random bytes and constant-time comparison.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // The value types every layer shares (CalendarDate, WorkflowError); depends on nothing.
        .target(
            name: "TongxinBase",
            swiftSettings: swiftSettings
        ),
        // What both programs' entry points share: usage errors on one line.
        .target(
            name: "CommandLineSupport",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // The data layer: connections, queries, decoding, transactions, pipeline, COPY, LISTEN, pool.
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ", "TongxinBase",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A throwaway PostgreSQL server (initdb into a private folder, unix socket only).
        .target(
            name: "EmbeddedPostgres",
            swiftSettings: swiftSettings
        ),
        // SQL migrations: the files, their checksums, and the runner.
        .target(
            name: "Migrations",
            dependencies: ["PostgresClient", "CCrypto"],
            swiftSettings: swiftSettings
        ),
        // Counties as schemas: the registry in the control schema, settings, create and archive.
        .target(
            name: "Counties",
            dependencies: ["TongxinBase", "PostgresClient", "Migrations"],
            swiftSettings: swiftSettings
        ),
        // The proposal workflow's rules: a pure state machine and deadline arithmetic, no SQL.
        .target(
            name: "Workflow",
            dependencies: ["TongxinBase"],
            swiftSettings: swiftSettings
        ),
        // The workflow in a county's schema: each step one audited transaction.
        .target(
            name: "WorkflowStore",
            dependencies: ["TongxinBase", "PostgresClient", "Counties", "Workflow", "JobQueue"],
            swiftSettings: swiftSettings
        ),
        // Accounts in the control schema: adding and managing them, passwords (argon2id),
        // sign-in with locks, web sessions; the principal a PostgreSQL login acts as.
        .target(
            name: "Accounts",
            dependencies: ["TongxinBase", "PostgresClient", "Counties", "Workflow", "CSodium"],
            swiftSettings: swiftSettings
        ),
        // The job queue in the control schema: enqueue, claim, complete, retry, rescue, prune.
        .target(
            name: "JobQueue",
            dependencies: ["TongxinBase", "PostgresClient", "Counties"],
            swiftSettings: swiftSettings
        ),
        // Reports: the metrics of domain.md (rates with counts and Wilson intervals), the annual
        // report, the unit league table, the cross-county comparison.
        .target(
            name: "Reports",
            dependencies: ["TongxinBase", "PostgresClient", "Counties", "Workflow", "WorkflowStore", "CCrypto"],
            swiftSettings: swiftSettings
        ),
        // The demo year: deterministic profiles of the seed's counties, planned and played through
        // the store step by step, and replayed through the worker's jobs.
        .target(
            name: "TongxinDemo",
            dependencies: [
                "TongxinBase", "PostgresClient", "Counties", "Workflow", "WorkflowStore", "TongxinWorker", "Reports",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TongxinCLI",
            dependencies: [
                "TongxinBase", "CommandLineSupport",
                "PostgresClient", "Migrations", "Counties", "Accounts", "Workflow", "WorkflowStore", "JobQueue", "TongxinDemo", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TongxinWorker",
            dependencies: [
                "TongxinBase",
                "PostgresClient", "JobQueue", "Counties", "Workflow", "WorkflowStore", "Migrations", "Reports",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web application: pages for every role on the same store and permission check.
        .target(
            name: "TongxinWeb",
            dependencies: [
                "TongxinBase", "PostgresClient", "Counties", "Accounts", "Workflow", "WorkflowStore", "Reports", "TongxinWorker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tongxin-web",
            dependencies: [
                "TongxinWeb", "TongxinWorker", "PostgresClient", "TongxinBase", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tongxin",
            dependencies: ["TongxinCLI"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tongxin-worker",
            dependencies: [
                "TongxinWorker", "WorkflowStore", "PostgresClient", "TongxinBase", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tongxin-devdb",
            dependencies: ["EmbeddedPostgres"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tongxin-bench",
            dependencies: ["TongxinBase", "PostgresClient", "EmbeddedPostgres", "Migrations", "Counties", "Accounts", "Workflow", "WorkflowStore", "JobQueue", "TongxinWorker"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tongxin-chaos",
            dependencies: ["TongxinBase", "PostgresClient", "EmbeddedPostgres", "Migrations", "Counties", "JobQueue", "TongxinWorker", "WorkflowStore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PostgresTestSupport",
            dependencies: ["PostgresClient", "EmbeddedPostgres"],
            path: "Tests/PostgresTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["TongxinBase", "PostgresClient", "PostgresTestSupport", "EmbeddedPostgres"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MigrationsTests",
            dependencies: ["Migrations", "Counties", "PostgresClient", "PostgresTestSupport", "CountiesTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccountsTests",
            dependencies: ["Accounts", "Counties", "Migrations", "PostgresClient", "Workflow", "TongxinBase", "PostgresTestSupport", "CountiesTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountiesTests",
            dependencies: ["Counties", "Migrations", "PostgresClient", "PostgresTestSupport", "CountiesTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TongxinBaseTests",
            dependencies: ["TongxinBase"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkflowTests",
            dependencies: ["TongxinBase", "Workflow"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkflowStoreTests",
            dependencies: ["TongxinBase", "WorkflowStore", "Workflow", "Counties", "Migrations", "PostgresClient", "PostgresTestSupport"],
            swiftSettings: swiftSettings
        ),
        // A fresh database with a county registry, or with the control schema: for the tests of
        // counties, the queue and the worker.
        .target(
            name: "CountiesTestSupport",
            dependencies: ["Counties", "Migrations", "PostgresClient", "PostgresTestSupport"],
            path: "Tests/CountiesTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JobQueueTests",
            dependencies: ["JobQueue", "Counties", "Migrations", "PostgresClient", "PostgresTestSupport", "CountiesTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TongxinWorkerTests",
            dependencies: [
                "TongxinBase", "JobQueue", "TongxinWorker", "Counties", "Migrations", "PostgresClient", "PostgresTestSupport",
                "CountiesTestSupport", "Workflow", "WorkflowStore",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TongxinDemoTests",
            dependencies: [
                "TongxinBase", "TongxinDemo", "Reports", "WorkflowStore", "Workflow", "Counties", "Migrations", "PostgresClient",
                "PostgresTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TongxinWebTests",
            dependencies: ["TongxinWeb", "TongxinBase", "WorkflowStore", "Workflow", "Counties", "Migrations", "PostgresClient", "PostgresTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReportsTests",
            dependencies: ["TongxinBase", "Reports", "TongxinDemo", "WorkflowStore", "Workflow", "Counties", "Migrations", "PostgresClient", "PostgresTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmbeddedPostgresTests",
            dependencies: ["EmbeddedPostgres", "PostgresClient", "PostgresTestSupport", "tongxin-devdb"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TongxinCLITests",
            dependencies: [
                "TongxinCLI", "TongxinBase", "PostgresTestSupport", "EmbeddedPostgres", "Migrations",
                "tongxin", "tongxin-worker",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
