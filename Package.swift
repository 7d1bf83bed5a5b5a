// swift-tools-version:6.0
import PackageDescription

// Hot numeric code is compiled for speed even in debug builds, so tests of real-sized
// data stay quick; the kernels are bounds-checked by their own tests instead.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"])]

let package = Package(
    name: "textclf",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Textclf", targets: ["Textclf"]),
        .executable(name: "textclf", targets: ["TextclfCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libarchive-dev, zlib1g-dev, libopenblas-dev; `make setup`).
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // Archives, delimited text, atomic files.
        .target(name: "DataIO", dependencies: ["CArchive", "CZlib"], swiftSettings: fast),
        // GPT-2 byte-level BPE, later WordPiece.
        .target(name: "Tokenizers", dependencies: ["DataIO"], swiftSettings: fast),
        // Tensors, BLAS, fused kernels, autograd, tensor file formats.
        .target(name: "TensorEngine", dependencies: ["COpenBLAS", "DataIO"], swiftSettings: fast),
        // The Backbone protocol and its implementations (GPT-2, ...).
        .target(name: "Backbones", dependencies: ["TensorEngine", "Tokenizers", "Store"], swiftSettings: fast),
        // Pooling and N-class heads; the Classifier.
        .target(name: "Heads", dependencies: ["Backbones", "TensorEngine"], swiftSettings: fast),
        // Where models and datasets come from: cache, mirrors, verified downloads.
        .target(name: "Store", dependencies: ["DataIO"]),
        // Dataset adapters and user dataset specs.
        .target(name: "Datasets", dependencies: ["DataIO", "Store", "Tokenizers"]),
        // Optimisers, training loop, metrics, checkpoints.
        .target(name: "Training", dependencies: ["Heads", "Backbones", "TensorEngine", "Datasets", "Store"], exclude: ["README.md"],
                swiftSettings: fast),
        // Tasks: a dataset + labels + backbone + head + training settings.
        .target(name: "Tasks", dependencies: ["Datasets", "Training", "Heads", "Backbones", "Store", "Tokenizers", "DataIO"]),
        // The library users import.
        .target(name: "Textclf", dependencies: ["DataIO", "Tokenizers", "TensorEngine", "Backbones", "Heads",
                                               "Store", "Datasets", "Training", "Tasks"]),
        .executableTarget(name: "TextclfCLI", dependencies: [
            "Textclf", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "DataIOTests", dependencies: ["DataIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "DataIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TensorEngineTests", dependencies: ["TensorEngine"]),
        .testTarget(name: "SerializationTests", dependencies: ["TensorEngine", "Backbones"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "BackbonesTests", dependencies: ["Backbones", "Store", "Tokenizers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "DataIO", "Store", "Tokenizers"]),
        .testTarget(name: "HeadsTests", dependencies: ["Heads", "Backbones", "TensorEngine", "Tokenizers"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Heads", "Backbones", "TensorEngine", "Datasets", "Tokenizers", "DataIO", "Tasks"],
                    resources: [.copy("Fixtures")]),
        // The real `textclf` binary end to end: exit codes, one-line errors, train → predict,
        // interrupt and resume. Depends on the executable so `swift test` builds it.
        .testTarget(name: "CLITests", dependencies: ["TextclfCLI"]),

        // Example: the SMS spam reference recipe through the library API (config.json beside it).
        .executableTarget(name: "SpamExample", dependencies: ["Textclf"], path: "Examples/spam", exclude: ["config.json", "README.md"]),
        // Example: a dataset adapter written in Swift, registered next to a dataset spec.
        .executableTarget(name: "CustomDatasetExample", dependencies: ["Datasets", "Store"], path: "Examples/custom-dataset",
                          exclude: ["README.md", "tickets.json", "task.json", "data", "make_sample_data.py"]),
    ]
)
