extension BERTLayout {
    /// Hugging Face's `DistilBertModel`: BERT's maths under its own tensor names and config keys
    /// (`dim`, `hidden_dim`, `n_layers`, `n_heads`, `dropout`, `attention_dropout`, `activation`),
    /// no token types, LayerNorm epsilon 1e-12, and no dropout after the attention's output
    /// projection. Its tokenizer is BERT's WordPiece.
    public static let distilBERT = BERTLayout(
        modelType: "distilbert", displayName: "DistilBERT", taskModelPrefix: "distilbert.",
        wordEmbeddings: "embeddings.word_embeddings.weight", positionEmbeddings: "embeddings.position_embeddings.weight",
        tokenTypeEmbeddings: nil, embeddingsLayerNorm: "embeddings.LayerNorm",
        layerPrefix: "transformer.layer",
        modules: Modules(query: "attention.q_lin", key: "attention.k_lin", value: "attention.v_lin",
                         attentionOutput: "attention.out_lin", attentionLayerNorm: "sa_layer_norm",
                         intermediate: "ffn.lin1", output: "ffn.lin2", outputLayerNorm: "output_layer_norm"),
        positions: .fromZero, attentionOutputDropout: false,
        configKeys: ["hidden_size": "dim", "intermediate_size": "hidden_dim", "num_hidden_layers": "n_layers",
                     "num_attention_heads": "n_heads", "hidden_dropout_prob": "dropout",
                     "attention_probs_dropout_prob": "attention_dropout", "hidden_act": "activation"],
        unsupportedSetting: { config in
            (config["sinusoidal_pos_embds"] as? Bool) == true
                ? "sinusoidal_pos_embds is true; only learned position embeddings (false) are implemented" : nil
        })
}
