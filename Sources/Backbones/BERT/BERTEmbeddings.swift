import DataIO
import TensorEngine

/// BERT's input embedding (Hugging Face's `BertEmbeddings`):
///   LayerNorm(word[token] + position[t] + token_type[segment]), then dropout.
/// One `embeddingSum` kernel adds the three lookups.
public final class BERTEmbeddings {
    public let wordEmbeddings: Parameter
    public let positionEmbeddings: Parameter
    public let tokenTypeEmbeddings: Parameter
    public let layerNormWeight: Parameter
    public let layerNormBias: Parameter

    init(_ parameter: (String) -> Parameter) {
        wordEmbeddings = parameter("embeddings.word_embeddings.weight")
        positionEmbeddings = parameter("embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = parameter("embeddings.token_type_embeddings.weight")
        layerNormWeight = parameter("embeddings.LayerNorm.weight")
        layerNormBias = parameter("embeddings.LayerNorm.bias")
    }

    public var parameters: [Parameter] {
        [wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings, layerNormWeight, layerNormBias]
    }

    /// [batch · time, hidden]. Throws for a sequence longer than the position table or an id
    /// outside its table (naming the table).
    func forward(_ input: BackboneInput, config: BERTConfig, dropout: inout DropoutGenerator, tape: Tape?) throws -> Variable {
        let batch = input.batch
        guard batch.time <= config.maxPositionEmbeddings else {
            throw InvalidInput("sequence length \(batch.time) exceeds the \(config.maxPositionEmbeddings) positions of \(positionEmbeddings.name)")
        }
        let tokenTypes = input.tokenTypeIDs ?? [Int32](repeating: 0, count: batch.rowCount)
        let sum = try Ops.embeddingSum([
            EmbeddingLookup(table: wordEmbeddings, ids: input.tokenIDs),
            EmbeddingLookup(table: positionEmbeddings, ids: batch.positionIDs),
            EmbeddingLookup(table: tokenTypeEmbeddings, ids: tokenTypes),
        ], tape: tape)
        let normed = Ops.layerNorm(sum, weight: layerNormWeight, bias: layerNormBias, eps: config.layerNormEps, tape: tape)
        return Ops.dropout(normed, rate: config.hiddenDropoutProb, generator: &dropout, tape: tape)
    }
}
