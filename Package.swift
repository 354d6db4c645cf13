// swift-tools-version:6.0
import PackageDescription

// Layers, from the bottom up: C bindings, clients (AMQP, SQLite), Core (pure domain rules),
// Store (the only module that writes SQL), Worker and Ops (application), executables.
// Support (logging, command line, configuration) sits beside all of them.
let package = Package(
    name: "Tally",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tally-worker", targets: ["tally-worker"]),
        .executable(name: "tallyctl", targets: ["tallyctl"]),
        .executable(name: "tally-bench", targets: ["tally-bench"]),
        .library(name: "AMQPClient", targets: ["AMQPClient"]),
        .library(name: "SQLite", targets: ["SQLite"]),
    ],
    targets: [
        // C bindings
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // Clients: know nothing of Tally.
        .target(name: "AMQPClient", dependencies: ["CRabbitMQ"]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),

        // Beside all layers.
        .target(name: "TallySupport"),

        // Domain
        .target(name: "TallyCore"),
        .target(name: "TallyStore", dependencies: ["TallyCore", "SQLite"]),

        // Application
        .target(name: "TallyWorker", dependencies: ["TallyStore", "SQLite", "AMQPClient", "TallySupport"]),
        .target(name: "TallyOps", dependencies: ["TallyStore", "AMQPClient", "TallySupport"]),
        // The tracker and billing stand-ins and the workload generator, for the demo, the
        // benchmarks and the end-to-end tests.
        .target(name: "TallyLoad", dependencies: ["TallyCore", "TallyStore", "AMQPClient"]),

        // Executables
        .executableTarget(name: "tally-worker", dependencies: ["TallyWorker", "TallySupport"]),
        .executableTarget(name: "tallyctl", dependencies: ["TallyOps", "TallySupport"]),
        .executableTarget(name: "tally-bench", dependencies: ["TallyLoad", "AMQPClient", "TallyStore", "TallySupport"]),

        // Fast suites: no broker needed.
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "TallySupportTests", dependencies: ["TallySupport"]),
        .testTarget(name: "TallyCoreTests", dependencies: ["TallyCore"]),
        .testTarget(name: "TallyStoreTests", dependencies: ["TallyStore"]),
        .testTarget(name: "TallyWorkerTests", dependencies: ["TallyWorker", "TallyStore", "SQLite"]),
        .testTarget(name: "TallyOpsTests", dependencies: ["TallyOps", "TallyStore", "TallySupport"]),

        // Suites that need a running broker (TALLY_TEST_AMQP_URL, set by ops/test).
        .testTarget(name: "AMQPClientTests", dependencies: ["AMQPClient"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TallyWorker", "TallyOps", "TallyLoad", "AMQPClient", "TallyStore"]),
    ],
    swiftLanguageModes: [.v6]
)
