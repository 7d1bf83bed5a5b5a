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
        // Open MPI (Debian: libopenmpi-dev, openmpi-bin), loaded with dlopen only under mpirun.
        .target(name: "CMPI"),
        // oneDNN's matmul behind a small C interface. Built against libdnnl-dev's headers but
        // loaded with dlopen at run time: without libdnnl the binary still runs, on OpenBLAS.
        .target(name: "CDNNL", path: "Sources/CDNNL"),

        // What every module needs, with no system library: the bad-input error protocol, seeded
        // randomness, atomic file writes, the one JSON reader, the name-or-path rule.
        .target(name: "Common"),
        // Archives and delimited text, over libarchive.
        .target(name: "DataIO", dependencies: ["CArchive", "Common"]),
        // GPT-2 byte-level BPE and BERT WordPiece.
        .target(name: "Tokenizers", dependencies: ["Common"]),
        // Element-wise kernels in C for the vector units: compiled for AVX-512F, AVX2 and baseline
        // x86-64 (target attributes, no flags), the variant chosen at run time.
        .target(name: "CKernels"),
        // Tensors, BLAS, fused kernels, autograd, tensor file formats.
        .target(name: "TensorEngine", dependencies: ["COpenBLAS", "CDNNL", "CKernels", "Common"]),
        // The Backbone protocol and its families (GPT-2, BERT).
        .target(name: "Backbones", dependencies: ["Common", "TensorEngine", "Tokenizers", "Store"]),
        // Pooling and N-class heads; the Classifier.
        .target(name: "Heads", dependencies: ["Common", "Backbones", "TensorEngine"]),
        // Where models and datasets come from: cache, mirrors, verified downloads.
        .target(name: "Store", dependencies: ["Common", "DataIO"]),
        // Dataset adapters and user dataset specs.
        .target(name: "Datasets", dependencies: ["Common", "DataIO", "Store", "Tokenizers"]),
        // A trained classifier: its on-disk format, backbone families, loading and prediction,
        // without the trainer.
        .target(name: "Inference", dependencies: ["Common", "Backbones", "Heads", "TensorEngine", "Tokenizers", "Store"]),
        // A trained classifier written for other runtimes: an ONNX graph, or a standalone model
        // directory (safetensors); a hand-written protobuf encoder, no generated code.
        .target(name: "Export", dependencies: ["Common", "Inference", "Backbones", "Heads", "TensorEngine", "Tokenizers", "Store"]),
        // Optimisers, training loop, metrics, checkpoints.
        .target(name: "Training", dependencies: ["Common", "CKernels", "Heads", "Backbones", "TensorEngine", "Datasets", "Store", "Inference"], exclude: ["README.md"]),
        // Tasks: a dataset + labels + backbone + head + training settings.
        .target(name: "Tasks", dependencies: ["Common", "Datasets", "Training", "Inference", "Heads", "Backbones", "Store", "Tokenizers"]),
        // `textclf serve`: an HTTP server over trained classifiers, with dynamic batching and
        // metrics. The only module that links Hummingbird.
        .target(name: "Serve", dependencies: [
            "Common", "Inference", "Heads", "Tokenizers", "TensorEngine", "Store",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // Scale-out: the ranks of an mpirun job and the collectives textclf uses, over CMPI.
        .target(name: "ScaleOut", dependencies: ["CMPI", "Common"]),
        // The library users import.
        .target(name: "Textclf", dependencies: ["Common", "DataIO", "Tokenizers", "TensorEngine", "Backbones", "Heads",
                                               "Store", "Datasets", "Inference", "Training", "Tasks", "Export"]),
        // The CLI and the examples import the modules they use, not the umbrella: an
        // `@_exported` umbrella used inside its own package has linked executables against a
        // stale interface in incremental builds.
        .executableTarget(name: "TextclfCLI", dependencies: [
            "Common", "DataIO", "Tokenizers", "TensorEngine", "Backbones", "Heads", "Store", "Datasets", "Inference", "Training", "Tasks",
            "Export", "Serve", "ScaleOut", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // What a test needs from outside the repository: skipped where missing, required in CI.
        .target(name: "TestRequirements", path: "Tests/TestRequirements"),
        .testTarget(name: "CommonTests", dependencies: ["Common"]),
        .testTarget(name: "DataIOTests", dependencies: ["TestRequirements", "Common", "DataIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizersTests", dependencies: ["TestRequirements", "Tokenizers", "Common", "DataIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorEngineTests", dependencies: ["TestRequirements", "TensorEngine", "CKernels"]),
        .testTarget(name: "SerializationTests", dependencies: ["TestRequirements", "TensorEngine", "Backbones"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StoreTests", dependencies: ["TestRequirements", "Store", "Common", "DataIO"]),
        .testTarget(name: "BackbonesTests", dependencies: ["TestRequirements", "Backbones", "Store", "Tokenizers", "Common"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["TestRequirements", "Datasets", "Common", "DataIO", "Store", "Tokenizers"]),
        .testTarget(name: "HeadsTests", dependencies: ["TestRequirements", "Heads", "Backbones", "TensorEngine", "Tokenizers"]),
        .testTarget(name: "InferenceTests", dependencies: ["TestRequirements", "Inference", "Heads", "Backbones", "Store", "TensorEngine", "Common"]),
        .testTarget(name: "ExportTests", dependencies: ["TestRequirements", "Export", "Inference", "Heads", "Backbones", "TensorEngine", "Store", "Common"]),
        .testTarget(name: "TrainingTests", dependencies: ["TestRequirements", "Training", "Inference", "Heads", "Backbones", "TensorEngine", "Datasets", "Tokenizers", "Common", "Tasks"],
                    resources: [.copy("Fixtures")]),
        // The real `textclf` binary end to end: exit codes, one-line errors, train → predict,
        // interrupt and resume. Depends on the executable so `swift test` builds it.
        .testTarget(name: "CLITests", dependencies: ["TestRequirements", "TextclfCLI"]),
        // The server's request checks, batching plan and queue, in process (the HTTP API itself
        // is tested through the binary, in CLITests).
        .testTarget(name: "ServeTests", dependencies: ["Serve"]),

        // Example: the SMS spam reference recipe through the library API (config.json beside it).
        .executableTarget(name: "SpamExample", dependencies: ["Common", "Store", "Inference", "Tasks", "Training"], path: "Examples/spam", exclude: ["config.json", "README.md"]),
        // Example: a dataset adapter written in Swift, registered next to a dataset spec.
        .executableTarget(name: "CustomDatasetExample", dependencies: ["Common", "DataIO", "Datasets", "Heads", "Store", "Tasks", "Training"],
                          path: "Examples/custom-dataset",
                          exclude: ["README.md", "tickets.json", "task.json", "data", "make_sample_data.py"]),
    ]
)
