import Common
import TensorEngine

/// BERT's input embedding (Hugging Face's `BertEmbeddings`):
///   LayerNorm(word[token] + position[t] + token_type[segment]), then dropout.
/// One `embeddingSum` kernel adds the three lookups.
public final class BERTEmbeddings {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm

    init(_ table: ParameterTable, epsilon: Float) {
        wordEmbeddings = table.embedding("embeddings.word_embeddings.weight")
        positionEmbeddings = table.embedding("embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = table.embedding("embeddings.token_type_embeddings.weight")
        layerNorm = table.layerNorm("embeddings.LayerNorm", epsilon: epsilon)
    }

    public var parameters: [Parameter] {
        [wordEmbeddings.weight, positionEmbeddings.weight, tokenTypeEmbeddings.weight] + layerNorm.parameters
    }

    /// [batch · time, hidden]. Throws for a sequence longer than the position table or an id
    /// outside its table (naming the table).
    func forward(_ input: BackboneInput, config: BERTConfig, dropout: inout DropoutGenerator, tape: Tape?) throws -> Variable {
        let batch = input.batch
        guard batch.time <= config.maxPositionEmbeddings else {
            throw InvalidInput("sequence length \(batch.time) exceeds the \(config.maxPositionEmbeddings) positions of \(positionEmbeddings.weight.name)")
        }
        let tokenTypes = input.tokenTypeIDs ?? [Int32](repeating: 0, count: batch.rowCount)
        let sum = try Ops.embeddingSum([wordEmbeddings.lookup(input.tokenIDs), positionEmbeddings.lookup(batch.positionIDs),
                                        tokenTypeEmbeddings.lookup(tokenTypes)], tape: tape)
        let normed = layerNorm(sum, tape: tape)
        return Ops.dropout(normed, rate: config.hiddenDropoutProb, generator: &dropout, tape: tape)
    }
}
