import Common
import TensorEngine
import Tokenizers

extension BERTModel {
    /// A BERT-family encoder with fresh random weights, initialised as transformers'
    /// `BertPreTrainedModel` does: every weight matrix and embedding table ~ N(0, std²)
    /// (`initializer_range`, 0.02), the padding token's row of the word embeddings 0 (and of the
    /// position table, where positions are numbered after the padding id, as RoBERTa's), biases
    /// 0, LayerNorm gains 1. For the
    /// "no pretraining" baseline of a fine-tuning experiment. The values depend only on `seed`.
    ///
    ///     let tokenizer = try TokenizerLoader.load(directory: miniLMDirectory)
    ///     let model = try BERTModel.randomlyInitialized(config: .init(vocabSize: 30522, hiddenSize: 384,
    ///         numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536), seed: 123, tokenizer: tokenizer)
    public static func randomlyInitialized(config: BERTConfig, seed: UInt64 = 0, std: Float = 0.02, tokenizer: any Tokenizer,
                                           name: String = "bert-random") throws -> BERTModel {
        try config.validate()
        let parameters = BERTWeightNames.parameterShapes(config).enumerated().map { index, entry -> Parameter in
            let (name, shape) = entry
            let tensor: Tensor
            if name.hasSuffix(".bias") {
                tensor = Tensor(zeros: shape)
            } else if shape.count == 1 {  // a LayerNorm gain
                tensor = Tensor(shape: shape, repeating: 1)
            } else {
                tensor = GPT2Model.normalTensor(shape: shape, std: std, seed: SplitMix64.mix(seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
                if name == config.layout.wordEmbeddings || (name == config.layout.positionEmbeddings && config.layout.positions == .afterPadding) {
                    let h = config.hiddenSize
                    tensor.withUnsafeMutableBufferPointer { $0[(config.padTokenID * h)..<((config.padTokenID + 1) * h)].update(repeating: 0) }
                }
            }
            return Parameter(name: name, value: tensor)
        }
        let model = try BERTModel(name: name, config: config, parameters: parameters, tokenizer: tokenizer)
        model.dropoutGenerator = DropoutGenerator(seed: seed)
        return model
    }
}
