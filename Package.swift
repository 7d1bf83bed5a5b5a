// swift-tools-version:6.0
import PackageDescription

// No unsafe flags: every module, parsers of untrusted bytes included, keeps Swift's bounds and
// overflow checks, and the package can be a versioned dependency (SwiftPM refuses
// `unsafeFlags` there). The numeric kernels do their hot loops on raw pointers; building them
// -Ounchecked measured no difference on a whole GPT-2 block (README, "Checked builds").

let package = Package(
    name: "textclf",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Textclf", targets: ["Textclf"]),
        .executable(name: "textclf", targets: ["TextclfCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `textclf serve` only (module Serve): HTTP server, logging, metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries (Debian: libarchive-dev, libopenblas-dev; `make setup`).
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // Archives, delimited text, atomic files.
        .target(name: "DataIO", dependencies: ["CArchive"]),
        // GPT-2 byte-level BPE and BERT WordPiece.
        .target(name: "Tokenizers", dependencies: ["DataIO"]),
        // Tensors, BLAS, fused kernels, autograd, tensor file formats.
        .target(name: "TensorEngine", dependencies: ["COpenBLAS", "DataIO"]),
        // The Backbone protocol and its families (GPT-2, BERT).
        .target(name: "Backbones", dependencies: ["TensorEngine", "Tokenizers", "Store"]),
        // Pooling and N-class heads; the Classifier.
        .target(name: "Heads", dependencies: ["Backbones", "TensorEngine"]),
        // Where models and datasets come from: cache, mirrors, verified downloads.
        .target(name: "Store", dependencies: ["DataIO"]),
        // Dataset adapters and user dataset specs.
        .target(name: "Datasets", dependencies: ["DataIO", "Store", "Tokenizers"]),
        // A trained classifier: its on-disk format, backbone families, loading and prediction,
        // without the trainer.
        .target(name: "Inference", dependencies: ["Backbones", "Heads", "TensorEngine", "Tokenizers", "Store", "DataIO"]),
        // Optimisers, training loop, metrics, checkpoints.
        .target(name: "Training", dependencies: ["Heads", "Backbones", "TensorEngine", "Datasets", "Store", "Inference"], exclude: ["README.md"]),
        // Tasks: a dataset + labels + backbone + head + training settings.
        .target(name: "Tasks", dependencies: ["Datasets", "Training", "Inference", "Heads", "Backbones", "Store", "Tokenizers", "DataIO"]),
        // `textclf serve`: an HTTP server over trained classifiers, with dynamic batching and
        // metrics. The only module that links Hummingbird.
        .target(name: "Serve", dependencies: [
            "Inference", "Heads", "Tokenizers", "TensorEngine", "Store", "DataIO",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The library users import.
        .target(name: "Textclf", dependencies: ["DataIO", "Tokenizers", "TensorEngine", "Backbones", "Heads",
                                               "Store", "Datasets", "Inference", "Training", "Tasks"]),
        // The CLI and the examples import the modules they use, not the umbrella: an
        // `@_exported` umbrella used inside its own package has linked executables against a
        // stale interface in incremental builds.
        .executableTarget(name: "TextclfCLI", dependencies: [
            "DataIO", "Tokenizers", "TensorEngine", "Backbones", "Heads", "Store", "Datasets", "Inference", "Training", "Tasks", "Serve",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // What a test needs from outside the repository: skipped where missing, required in CI.
        .target(name: "TestRequirements", path: "Tests/TestRequirements"),
        .testTarget(name: "DataIOTests", dependencies: ["TestRequirements", "DataIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizersTests", dependencies: ["TestRequirements", "Tokenizers", "DataIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorEngineTests", dependencies: ["TestRequirements", "TensorEngine"]),
        .testTarget(name: "SerializationTests", dependencies: ["TestRequirements", "TensorEngine", "Backbones"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StoreTests", dependencies: ["TestRequirements", "Store"]),
        .testTarget(name: "BackbonesTests", dependencies: ["TestRequirements", "Backbones", "Store", "Tokenizers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["TestRequirements", "Datasets", "DataIO", "Store", "Tokenizers"]),
        .testTarget(name: "HeadsTests", dependencies: ["TestRequirements", "Heads", "Backbones", "TensorEngine", "Tokenizers"]),
        .testTarget(name: "InferenceTests", dependencies: ["TestRequirements", "Inference", "Heads", "Backbones", "Store", "TensorEngine", "DataIO"]),
        .testTarget(name: "TrainingTests", dependencies: ["TestRequirements", "Training", "Inference", "Heads", "Backbones", "TensorEngine", "Datasets", "Tokenizers", "DataIO", "Tasks"],
                    resources: [.copy("Fixtures")]),
        // The real `textclf` binary end to end: exit codes, one-line errors, train → predict,
        // interrupt and resume. Depends on the executable so `swift test` builds it.
        .testTarget(name: "CLITests", dependencies: ["TextclfCLI"]),
        // The server's request checks, batching plan and queue, in process (the HTTP API itself
        // is tested through the binary, in CLITests).
        .testTarget(name: "ServeTests", dependencies: ["Serve"]),

        // Example: the SMS spam reference recipe through the library API (config.json beside it).
        .executableTarget(name: "SpamExample", dependencies: ["DataIO", "Store", "Inference", "Tasks", "Training"], path: "Examples/spam", exclude: ["config.json", "README.md"]),
        // Example: a dataset adapter written in Swift, registered next to a dataset spec.
        .executableTarget(name: "CustomDatasetExample", dependencies: ["DataIO", "Datasets", "Heads", "Store", "Tasks", "Training"],
                          path: "Examples/custom-dataset",
                          exclude: ["README.md", "tickets.json", "task.json", "data", "make_sample_data.py"]),
    ]
)
