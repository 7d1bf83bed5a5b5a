import Backbones

extension BERTFamily {
    /// RoBERTa (`RobertaModel` directories: config.json with model_type "roberta",
    /// model.safetensors, and vocab.json + merges.txt or tokenizer.json). No manifest names: no
    /// released weights can be verified here.
    static let roberta = BERTFamily(layout: .roberta, names: [], architectureFiles: [],
                                    tokenizerFiles: ["tokenizer.json", "vocab.json"])
}
