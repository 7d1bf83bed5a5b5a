extension BERTLayout {
    /// Hugging Face's `RobertaModel`: BERT's tensor names and config keys, one token type,
    /// positions numbered after the padding id (fairseq's), pad_token_id 1. Its tokenizer is
    /// byte-level BPE (`RoBERTaTokenizer`).
    public static let roberta = BERTLayout(
        modelType: "roberta", displayName: "RoBERTa", taskModelPrefix: "roberta.",
        wordEmbeddings: "embeddings.word_embeddings.weight", positionEmbeddings: "embeddings.position_embeddings.weight",
        tokenTypeEmbeddings: "embeddings.token_type_embeddings.weight", embeddingsLayerNorm: "embeddings.LayerNorm",
        layerPrefix: "encoder.layer", modules: .bert, positions: .afterPadding, attentionOutputDropout: true,
        configDefaults: ["pad_token_id": 1], unsupportedSetting: absolutePositionsOnly)
}
