import Common
import Foundation
import Store
import XCTest

final class ManifestTests: XCTestCase {
    /// The compiled-in manifest must be exactly `Datasets/*.json`: rerun
    /// `scripts/embed_manifests.sh` after editing the JSON.
    func testEmbeddedManifestMatchesDatasetsDirectory() throws {
        let dir = packageRoot.appendingPathComponent("Datasets")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(BuiltinManifest.sources.map(\.file), files, "run scripts/embed_manifests.sh")
        for source in BuiltinManifest.sources {
            let onDisk = try String(contentsOf: dir.appendingPathComponent(source.file), encoding: .utf8)
            XCTAssertTrue(source.json == onDisk, "Sources/Store/BuiltinManifest.swift is out of date for \(source.file): run scripts/embed_manifests.sh")
        }
    }

    func testBuiltinManifestHoldsTheKnownEntries() throws {
        let manifest = try Manifest.builtin()
        let datasets = manifest.entries.filter { $0.kind == .dataset }.map(\.name)
        XCTAssertEqual(Set(datasets), ["sms-spam", "sst2", "imdb", "ag-news", "bbc-news", "banking77", "reuters-21578"])

        let (_, sms) = try manifest.require(.dataset("sms-spam"), file: "sms+spam+collection.zip")
        XCTAssertEqual(sms.urls.first?.absoluteString, "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip")
        XCTAssertEqual(sms.urls.count, 2)
        XCTAssertNil(sms.sha256)
        XCTAssertEqual(sms.member, MemberChecksum(name: "SMSSpamCollection", size: 477_907,
                                                  sha256: "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"))

        let (_, weights) = try manifest.require(.model("gpt2"), file: "model.safetensors")
        XCTAssertEqual(weights.size, 548_105_171)
        XCTAssertEqual(weights.sha256, "248dfc3911869ec493c76e65bf2fcf7f615828b0254c12b473182f0f81d3a707")
        XCTAssertEqual(weights.urls, [URL(string: "https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors")!])
        for (name, repo) in [("gpt2-medium", "gpt2-medium"), ("gpt2-large", "gpt2-large"), ("gpt2-xl", "gpt2-xl")] {
            let entry = try manifest.require(.model(name))
            XCTAssertEqual(entry.files.map(\.name), ["config.json", "model.safetensors", "vocab.json", "merges.txt"])
            XCTAssertEqual(entry.files[1].urls, [URL(string: "https://huggingface.co/openai-community/\(repo)/resolve/main/model.safetensors")!])
        }
        for size in ["124M", "355M", "774M", "1558M"] {
            let entry = try manifest.require(.model("gpt2-\(size)"))
            XCTAssertEqual(entry.files.map(\.name), ["checkpoint", "encoder.json", "hparams.json", "model.ckpt.data-00000-of-00001",
                                                     "model.ckpt.index", "model.ckpt.meta", "vocab.bpe"])
            XCTAssertEqual(entry.files[3].urls, [URL(string: "https://openaipublic.blob.core.windows.net/gpt-2/models/\(size)/model.ckpt.data-00000-of-00001")!])
        }
        let gpt2 = try manifest.require(.model("gpt2")).files.map(\.name)
        XCTAssertTrue(Set(["encoder.json", "vocab.bpe", "gpt2.tiktoken"]).isSubset(of: gpt2))
        let minilm = try manifest.require(.model("all-MiniLM-L6-v2"))
        XCTAssertEqual(Set(minilm.files.map(\.name)), ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json",
                                                       "tokenizer_config.json", "special_tokens_map.json"])
        XCTAssertTrue(minilm.files.allSatisfy { $0.sha256 != nil && $0.size != nil })
        for entry in manifest.entries {
            for file in entry.files {
                XCTAssertTrue(file.urls.allSatisfy { $0.scheme == "https" }, "\(entry.ref) \(file.name)")
            }
        }
    }

    private func parse(_ json: String) throws -> Manifest {
        try Manifest.parse(Data(json.utf8), source: "test.json")
    }

    private func entryJSON(file: String) -> String {
        #"{"format": "textclf-manifest/1", "entries": [{"kind": "dataset", "name": "x", "files": [\#(file)]}]}"#
    }

    func testMalformedManifestsAreRejectedWithTheirPlace() {
        let cases: [(String, String)] = [
            (entryJSON(file: #"{"name": "a", "urls": [], "sha265": null}"#), "unknown key(s) sha265"),
            (entryJSON(file: #"{"name": "a", "urls": [], "sha256": "abc"}"#), "must be 64 hex digits"),
            (entryJSON(file: #"{"name": "../a", "urls": []}"#), "is not a usable name"),
            (entryJSON(file: #"{"name": "a", "urls": ["ftp://x/y"]}"#), "is not an http(s) URL"),
            (entryJSON(file: #"{"name": "a", "urls": [], "size": -1}"#), "must be a whole number"),
            (entryJSON(file: #"{"name": "a", "urls": []}, {"name": "a", "urls": []}"#), "file 'a' appears twice"),
            (entryJSON(file: #"{"name": "a", "urls": [], "member": {"name": "m"}}"#), "member.sha256\" is required"),
            (#"{"format": "textclf-manifest/2", "entries": []}"#, "\"format\" must be"),
            (#"{"format": "textclf-manifest/1", "entries": [{"kind": "corpus", "name": "x", "files": []}]}"#, "\"kind\" must be"),
            ("[1, 2", "not valid JSON"),
        ]
        for (json, expected) in cases {
            XCTAssertThrowsError(try parse(json), expected) { error in
                XCTAssertTrue(error is InputError)
                XCTAssertTrue("\(error)".contains("manifest test.json"), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "expected '\(expected)' in: \(error)")
            }
        }
    }

    func testUserManifestAddsAndReplacesEntries() throws {
        let cache = try makeTempDirectory(self)
        let extra = cache.appendingPathComponent("more.json")
        try Data(#"""
        {"format": "textclf-manifest/1", "entries": [
          {"kind": "dataset", "name": "sms-spam", "files": [{"name": "spam.csv", "urls": [], "size": 10, "sha256": null}]}
        ]}
        """#.utf8).write(to: cache.appendingPathComponent("manifest.json"))
        try Data(#"""
        {"format": "textclf-manifest/1", "entries": [
          {"kind": "model", "name": "my-model", "files": [{"name": "w.bin", "urls": ["https://example.org/w.bin"], "size": null, "sha256": null}]}
        ]}
        """#.utf8).write(to: extra)
        var config = testConfiguration(cache: cache)
        config.manifestFiles = [extra]

        let store = try Store(configuration: config)

        XCTAssertEqual(store.manifest.entry(.dataset("sms-spam"))?.files.map(\.name), ["spam.csv"])
        XCTAssertEqual(store.manifest.entry(.model("my-model"))?.source, extra.path)
        XCTAssertNotNil(store.manifest.entry(.model("gpt2")))
    }
}
