import Common
import TensorEngine

/// The input embedding of the BERT family (Hugging Face's `BertEmbeddings`, `RobertaEmbeddings`,
/// DistilBERT's `Embeddings`):
///   LayerNorm(word[token] + position[p] + token_type[segment]), then dropout,
/// without the token-type term where the layout has none, and with positions numbered as the
/// layout says. One `embeddingSum` kernel adds the lookups.
public final class BERTEmbeddings {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding?
    public let layerNorm: LayerNorm

    init(_ table: ParameterTable, layout: BERTLayout, epsilon: Float) {
        wordEmbeddings = table.embedding(layout.wordEmbeddings)
        positionEmbeddings = table.embedding(layout.positionEmbeddings)
        tokenTypeEmbeddings = layout.tokenTypeEmbeddings.map(table.embedding)
        layerNorm = table.layerNorm(layout.embeddingsLayerNorm, epsilon: epsilon)
    }

    public var parameters: [Parameter] {
        [wordEmbeddings.weight, positionEmbeddings.weight] + (tokenTypeEmbeddings.map { [$0.weight] } ?? []) + layerNorm.parameters
    }

    /// [batch · time, hidden]. Throws for a sequence longer than the position table allows or an
    /// id outside its table (naming the table).
    func forward(_ input: BackboneInput, config: BERTConfig, dropout: inout DropoutGenerator, tape: Tape?) throws -> Variable {
        let batch = input.batch
        guard batch.time <= config.maxSequenceLength else {
            throw InvalidInput("sequence length \(batch.time) exceeds the \(config.maxSequenceLength) positions of \(positionEmbeddings.weight.name)")
        }
        var lookups = [wordEmbeddings.lookup(input.tokenIDs), positionEmbeddings.lookup(Self.positionIDs(input, config: config))]
        if let tokenTypeEmbeddings {
            lookups.append(tokenTypeEmbeddings.lookup(input.tokenTypeIDs ?? [Int32](repeating: 0, count: batch.rowCount)))
        }
        let normed = layerNorm(try Ops.embeddingSum(lookups, tape: tape), tape: tape)
        return Ops.dropout(normed, rate: config.hiddenDropoutProb, generator: &dropout, tape: tape)
    }

    /// Row-major position ids. RoBERTa's: pad + (number of non-pad tokens up to and including
    /// this one) for a real token, pad for a pad token, wherever it is in the row.
    public static func positionIDs(_ input: BackboneInput, config: BERTConfig) -> [Int32] {
        let batch = input.batch
        switch config.layout.positions {
        case .fromZero:
            return batch.positionIDs
        case .afterPadding:
            let pad = Int32(config.padTokenID)
            var ids = [Int32](repeating: pad, count: batch.rowCount)
            for b in 0..<batch.batchSize {
                var count: Int32 = 0
                for t in 0..<batch.time where input.tokenIDs[b * batch.time + t] != pad {
                    count += 1
                    ids[b * batch.time + t] = pad + count
                }
            }
            return ids
        }
    }
}
