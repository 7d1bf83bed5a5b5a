import Common
import Foundation
import Store
import TensorEngine
import Tokenizers

extension GPT2Model {
    /// A GPT-2 with fresh random weights, initialised as Hugging Face's `GPT2PreTrainedModel`
    /// does: every weight matrix and embedding ~ N(0, 0.02²), the two `c_proj` weights of each
    /// block ~ N(0, (0.02/√(2·n_layer))²) so the residual stream does not grow with depth,
    /// biases 0, LayerNorm gains 1 and biases 0. For when pretrained weights are not available
    /// (and as the "no pretraining" baseline of a fine-tuning experiment).
    ///
    /// The values depend only on `seed` (and the config), not on the number of threads.
    /// `tokenizer` defaults to the Store's `gpt2` vocabulary.
    ///
    ///     let model = try GPT2Model.randomlyInitialized(config: .gpt2, seed: 123)
    public static func randomlyInitialized(config: GPT2Config = .gpt2, seed: UInt64 = 0, tokenizer: GPT2Tokenizer? = nil,
                                           store: Store? = nil, name: String = "gpt2-random") throws -> GPT2Model {
        try config.validate()
        let tokenizer = try tokenizer ?? GPT2Tokenizer.pretrained("gpt2", store: store)
        let shapes = GPT2WeightNames.parameterShapes(vocabSize: config.vocabSize, contextLength: config.contextLength,
                                                     embeddingSize: config.embeddingSize, layerCount: config.layerCount,
                                                     innerSize: config.innerSize)
        let std: Float = 0.02
        let projectionStd = std / (2 * Float(config.layerCount)).squareRoot()
        var parameters: [String: Parameter] = [:]
        for (index, (name, shape)) in shapes.enumerated() {
            let tensor: Tensor
            if name.hasSuffix(".bias") {
                tensor = Tensor(zeros: shape)
            } else if name.contains(".ln_") || name.hasPrefix("ln_f.") {
                tensor = Tensor(shape: shape, repeating: 1)
            } else {
                let scale = name.hasSuffix(".c_proj.weight") ? projectionStd : std
                tensor = normalTensor(shape: shape, std: scale, seed: SplitMix64.mix(seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
            }
            parameters[name] = Parameter(name: name, value: tensor)
        }
        return try GPT2Model(name: name, config: config, tokenizer: tokenizer, parameters: parameters,
                             source: "random init (seed \(seed))", dropoutSeed: seed)
    }

    /// N(0, std²) values by Marsaglia's polar method (Box–Muller without the sine and cosine),
    /// in fixed-size chunks each with its own generator, so the cores can share the work and
    /// the result does not depend on how it was split.
    static func normalTensor(shape: [Int], std: Float, seed: UInt64) -> Tensor {
        let tensor = Tensor(uninitializedShape: shape)
        let count = tensor.count, chunk = 1 << 14
        let base = tensor.mutablePointer
        Parallel.forEach((count + chunk - 1) / chunk) { c in
            var rng = SplitMix64(seed: SplitMix64.mix(seed ^ UInt64(c)))
            var i = c * chunk
            let end = min(count, i + chunk)
            while i < end {
                // A point uniform in the unit disc (rejecting ~21% of the square) gives two normals.
                let u = Double(rng.next() >> 11) * 0x1p-52 - 1, v = Double(rng.next() >> 11) * 0x1p-52 - 1
                let s = u * u + v * v
                guard s < 1, s > 0 else { continue }
                let factor = (-2 * Foundation.log(s) / s).squareRoot() * Double(std)
                base[i] = Float(u * factor)
                if i + 1 < end { base[i + 1] = Float(v * factor) }
                i += 2
            }
        }
        return tensor
    }
}
