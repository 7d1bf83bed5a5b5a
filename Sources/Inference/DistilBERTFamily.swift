import Backbones

extension BERTFamily {
    /// DistilBERT (`DistilBertModel` directories: config.json with model_type "distilbert",
    /// model.safetensors, vocab.txt or tokenizer.json). No manifest names: no released weights
    /// can be verified here.
    static let distilBERT = BERTFamily(layout: .distilBERT, names: [], architectureFiles: [],
                                       tokenizerFiles: ["vocab.txt", "tokenizer.json"])
}
