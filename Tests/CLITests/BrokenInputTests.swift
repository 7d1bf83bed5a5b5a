import Foundation
import XCTest

/// Broken data given to every command that reads a dataset: exit 2, no signal, and one line on
/// stderr naming the file (and row) at fault. The archives here used to end in signal 11.
final class BrokenInputTests: XCTestCase {
    /// data inspect, finetune and evaluate --dataset on `spec`.
    private func assertEveryDatasetCommandFails(spec: URL, naming culprits: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let output = try makeTemporaryDirectory(self, "run").appendingPathComponent("run")
        let commands = [
            ["data", "inspect", spec.path, "--no-tokens", "--json"],
            Fixtures.finetune(output: output, dataset: spec),
            ["evaluate", "--model", Fixtures.run.path, "--dataset", spec.path, "--json"],
        ]
        for command in commands {
            assertFails(try CLI.run(command), naming: culprits, file: file, line: line)
        }
    }

    /// A spec in a fresh directory reading `bytes` as its data file `name` (`member` inside an archive).
    private func spec(data bytes: [UInt8], name: String, member: String? = nil) throws -> URL {
        let directory = try makeTemporaryDirectory(self, "data")
        try Data(bytes).write(to: directory.appendingPathComponent(name))
        var source: [String: Any] = ["path": name]
        source["member"] = member
        return try Fixtures.writeSpec(in: directory, name: "spec.json", source: source)
    }

    func testEmptyZip() throws {
        // End-of-central-directory record only: a zip with no members.
        let empty: [UInt8] = [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)
        try assertEveryDatasetCommandFails(spec: spec(data: empty, name: "data.zip", member: "*.csv"), naming: ["data.zip"])
    }

    func testTruncatedTarGz() throws {
        let archive = try tarGz(member: "data.csv", Array(Fixtures.csv.utf8))
        let truncated = Array(archive.prefix(archive.count / 2))
        try assertEveryDatasetCommandFails(spec: spec(data: truncated, name: "data.tar.gz", member: "data.csv"), naming: ["data.tar.gz"])
    }

    func testGzipMagicFollowedByJunk() throws {
        let junk: [UInt8] = [0x1F, 0x8B] + Array(String(repeating: "junk", count: 50).utf8)
        try assertEveryDatasetCommandFails(spec: spec(data: junk, name: "data.csv.gz"), naming: ["data.csv.gz"])
    }

    func testRaggedCSV() throws {
        let ragged = Array("text,label\ngood day,pos\nbad day,neg,extra\n".utf8)
        try assertEveryDatasetCommandFails(spec: spec(data: ragged, name: "data.csv"), naming: ["data.csv", "line 3", "3"])
    }

    func testInvalidUTF8InCSV() throws {
        let invalid = Array("text,label\ngood day,pos\n".utf8) + [0x62, 0xFF, 0x64] + Array(",neg\n".utf8)
        try assertEveryDatasetCommandFails(spec: spec(data: invalid, name: "data.csv"), naming: ["data.csv", "line 3", "UTF-8"])
    }

    func testUnknownSpecKey() throws {
        let directory = try makeTemporaryDirectory(self, "data")
        try Data(Fixtures.csv.utf8).write(to: directory.appendingPathComponent("data.csv"))
        let spec = try Fixtures.writeSpec(in: directory, name: "spec.json", source: ["path": "data.csv"], extra: ["splitz": [:]])
        try assertEveryDatasetCommandFails(spec: spec, naming: ["spec.json", "'splitz'"])
    }

    func testSpecPathIsADirectory() throws {
        let directory = try makeTemporaryDirectory(self, "data")
        try assertEveryDatasetCommandFails(spec: directory, naming: [directory.path, "is a directory", "spec"])
    }

    // MARK: Models

    /// A copy of the tiny BERT directory with `change` applied.
    private func brokenBackbone(_ change: (URL) throws -> Void) throws -> URL {
        let directory = try makeTemporaryDirectory(self, "model").appendingPathComponent("tiny-bert")
        try FileManager.default.copyItem(at: CLI.tinyBERT, to: directory)
        try change(directory)
        return directory
    }

    func testCorruptSafetensorsBackbone() throws {
        let backbone = try brokenBackbone { try Data("not a safetensors file".utf8).write(to: $0.appendingPathComponent("model.safetensors")) }
        let output = try makeTemporaryDirectory(self, "run").appendingPathComponent("run")
        assertFails(try CLI.run(Fixtures.finetune(output: output, backbone: backbone)), naming: ["model.safetensors"])
    }

    func testSafetensorsOffsetAbove2To63() throws {
        let header = #"{"embeddings.word_embeddings.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}"#
        let backbone = try brokenBackbone { try safetensors(header: header).write(to: $0.appendingPathComponent("model.safetensors")) }
        let output = try makeTemporaryDirectory(self, "run").appendingPathComponent("run")
        assertFails(try CLI.run(Fixtures.finetune(output: output, backbone: backbone)),
                    naming: ["model.safetensors", "embeddings.word_embeddings.weight", "out of range"])
    }

    func testCorruptSafetensorsInARun() throws {
        let run = try makeTemporaryDirectory(self, "run").appendingPathComponent("run")
        try FileManager.default.copyItem(at: Fixtures.run, to: run)
        let weights = run.appendingPathComponent("model/model.safetensors")
        try Data(try Data(contentsOf: weights).prefix(100)).write(to: weights)
        assertFails(try CLI.run(["predict", "--model", run.path, "good day"]), naming: [weights.path])
        assertFails(try CLI.run(["evaluate", "--model", run.path, "--json"]), naming: [weights.path])
    }
}

/// An 8-byte little-endian header length, the header, and 8 bytes of data.
func safetensors(header: String) -> Data {
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header.utf8)
    data.append(contentsOf: [UInt8](repeating: 0, count: 8))
    return data
}

/// `contents` as the one member `name` of a .tar.gz, made by the system's tar.
func tarGz(member name: String, _ contents: [UInt8]) throws -> [UInt8] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-tar-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try Data(contents).write(to: directory.appendingPathComponent(name))
    let result = try sh(#"cd "$1" && tar -czf archive.tar.gz "$2""#, directory.path, name)
    guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: result.summary]) }
    return Array(try Data(contentsOf: directory.appendingPathComponent("archive.tar.gz")))
}
