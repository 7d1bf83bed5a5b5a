// swift-tools-version:6.0
// libFuzzer targets for textclf's parsers of untrusted bytes. Build and run with `make fuzz` from
// the repository root: it builds with --sanitize fuzzer --sanitize address and -Xswiftc -O, which
// comes after each module's own -Ounchecked and so wins, keeping Swift's bounds and overflow
// checks on in the parsers the fuzzers run (the Makefile checks that it did).
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
    ]
)
