// swift-tools-version:6.0
// libFuzzer targets for textclf's parsers of untrusted bytes, a package of its own so that the
// root package's `swift build` and `swift test` never build them. Build and run with `make fuzz`
// from the repository root (flags and why: the Makefile and Fuzz/check_build.py).
import PackageDescription

let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: [.product(name: "Textclf", package: "textclf"), "FuzzSupport"],
                      swiftSettings: harness)
}

let package = Package(
    name: "textclf-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "textclf", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "Textclf", package: "textclf")]),
        fuzzTarget("FuzzCSV"),
        fuzzTarget("FuzzSpec"),
        fuzzTarget("FuzzSafeTensors"),
        fuzzTarget("FuzzArchive"),
        fuzzTarget("FuzzGPT2"),
        fuzzTarget("FuzzWordPiece"),
        fuzzTarget("FuzzVocab"),
    ]
)
