/// A backbone's dropout rates in one vocabulary for every family. They apply only while a tape
/// records (training); `--dropout`, a task's `dropout` and the library all set them through
/// `Backbone.setDropout`, or through a config's `setDropout` before the model is built.
public struct DropoutRates: Equatable, Sendable {
    /// After the embeddings (GPT-2's `embd_pdrop`; BERT's `hidden_dropout_prob`).
    public var embedding: Float
    /// On each sublayer's output, before the residual sum (`resid_pdrop`; `hidden_dropout_prob`).
    public var residual: Float
    /// On the attention probabilities (`attn_pdrop`; `attention_probs_dropout_prob`).
    public var attention: Float

    public init(embedding: Float, residual: Float, attention: Float) {
        self.embedding = embedding
        self.residual = residual
        self.attention = attention
    }

    /// One rate for all three, as `--dropout` and Raschka's `drop_rate` give it.
    public init(_ rate: Float) {
        self.init(embedding: rate, residual: rate, attention: rate)
    }

    /// BERT's two: `hidden` after the embeddings and on sublayer outputs, and `attention`
    /// (default: `hidden`).
    public init(hidden: Float, attention: Float? = nil) {
        self.init(embedding: hidden, residual: hidden, attention: attention ?? hidden)
    }
}
