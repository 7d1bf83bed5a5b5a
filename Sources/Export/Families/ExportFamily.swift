// What export needs to know of one backbone family: its ONNX body, and the Hugging Face
// config.json and tokenizer files that make a standalone model directory. The seam a family
// plugs into, as it plugs its model into `BackboneFamilies`; pooling and the head are the same
// for every family.
import Backbones
import Foundation

protocol ExportFamily: Sendable {
    /// The family's name in the model's metadata, e.g. "gpt2".
    var family: String { get }
    /// The tokenizer the family's models read, in the model's metadata, e.g. "gpt2-bpe".
    var tokenizerKind: String { get }
    /// Whether this family knows `backbone`'s architecture.
    func exports(_ backbone: any Backbone) -> Bool
    /// Nodes from `input_ids` and `attention_mask` to the final hidden states [B, T, hidden]
    /// (after the final norm, where the family has one); returns their name.
    func hiddenStates(_ backbone: any Backbone, into graph: inout ONNXGraphBuilder) throws -> String
    /// config.json in Hugging Face's format, as the family's loader reads it.
    func configJSON(_ backbone: any Backbone) throws -> [String: Any]
    /// The directory the backbone's tokenizer files were read from.
    func tokenizerDirectory(_ backbone: any Backbone) throws -> URL
}

/// The families export knows; `builtIn` has GPT-2 and BERT.
struct ExportFamilies: Sendable {
    var families: [any ExportFamily]

    static let builtIn = ExportFamilies(families: [GPT2Export(), BERTExport()])

    func family(for backbone: any Backbone) throws -> any ExportFamily {
        guard let family = families.first(where: { $0.exports(backbone) }) else {
            throw InvalidExport("backbone \(backbone.name) (\(type(of: backbone))) cannot be exported (known families: \(families.map(\.family).joined(separator: ", ")))")
        }
        return family
    }
}
