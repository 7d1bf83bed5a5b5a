// What export needs to know of one backbone family: its ONNX body, and the Hugging Face
// config.json and tokenizer files that make a standalone model directory. The seam a family
// plugs into, as it plugs its model into `BackboneFamilies`; pooling and the head are the same
// for every family.
import Backbones
import Foundation
import Tokenizers

protocol ExportFamily: Sendable {
    /// The family's name in the model's metadata, e.g. "gpt2".
    var family: String { get }
    /// Whether this family knows `backbone`'s architecture.
    func exports(_ backbone: any Backbone) -> Bool
    /// Nodes from `input_ids` and `attention_mask` to the final hidden states [B, T, hidden]
    /// (after the final norm, where the family has one); returns their name.
    func hiddenStates(_ backbone: any Backbone, into graph: inout ONNXGraphBuilder) throws -> String
    /// config.json in Hugging Face's format, as the family's loader reads it.
    func configJSON(_ backbone: any Backbone) throws -> [String: Any]
}

/// The families export knows; `builtIn` has GPT-2 and every BERT layout (BERT, RoBERTa,
/// DistilBERT).
struct ExportFamilies: Sendable {
    var families: [any ExportFamily]

    static let builtIn = ExportFamilies(families: [GPT2Export()] + BERTLayout.known.map(BERTExport.init(layout:)))

    func family(for backbone: any Backbone) throws -> any ExportFamily {
        guard let family = families.first(where: { $0.exports(backbone) }) else {
            throw InvalidExport("backbone \(backbone.name) (\(type(of: backbone))) cannot be exported (known families: \(families.map(\.family).joined(separator: ", ")))")
        }
        return family
    }
}

/// A backbone's tokenizer as export sees it: its kind, in the model's metadata, and the directory
/// its files were read from (copied into a standalone directory).
struct ExportedTokenizer: Equatable {
    var kind: String
    var directory: URL

    /// Every tokenizer a built-in backbone reads. The byte-level BPE tokenizers name their source
    /// as the first file's path, then " + " and the second file's name when there are two.
    init(_ tokenizer: any Tokenizer, of backbone: String) throws {
        let source: String
        switch tokenizer {
        case let bert as BertTokenizer: (kind, source) = ("bert-wordpiece", bert.vocabulary.source)
        case let roberta as RoBERTaTokenizer: (kind, source) = ("roberta-bpe", roberta.source)
        case let gpt2 as GPT2Tokenizer: (kind, source) = ("gpt2-bpe", gpt2.source)
        default: throw InvalidExport("\(backbone)'s tokenizer (\(type(of: tokenizer))) cannot be exported")
        }
        var parts = source.components(separatedBy: " + ")
        if parts.count > 1 { parts.removeLast() }
        directory = URL(fileURLWithPath: parts.joined(separator: " + ")).deletingLastPathComponent()
    }
}
