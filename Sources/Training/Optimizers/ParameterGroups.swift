// torch.optim's param_groups: sets of parameters with their own learning rate and weight
// decay, as nanoGPT's `configure_optimizers` builds them (decay for matrices, none for biases
// and norm gains). Discriminative learning rates and adapters (LoRA) are groups too.
import Foundation
import TensorEngine

/// Parameters that share a learning rate and a weight decay.
public struct ParameterGroup {
    public var name: String
    public var parameters: [Parameter]
    /// Multiplies the optimiser's learning rate (the scheduled one) for this group.
    public var learningRateScale: Double
    /// This group's weight decay; nil uses the optimiser's.
    public var weightDecay: Double?

    public init(name: String, parameters: [Parameter], learningRateScale: Double = 1, weightDecay: Double? = nil) {
        self.name = name
        self.parameters = parameters
        self.learningRateScale = learningRateScale
        self.weightDecay = weightDecay
    }
}

/// Which parameters weight decay applies to.
public enum WeightDecayScope: String, Codable, Hashable, Sendable, CaseIterable {
    /// Every trainable parameter, as Raschka's recipe (`torch.optim.AdamW(model.parameters())`).
    case all
    /// Matrices only (linear weights and embeddings): biases and LayerNorm gains are not
    /// decayed, as nanoGPT and Hugging Face's Trainer do.
    case matrices

    /// The optimiser's groups for `trainable`: one group for `all` (exactly the ungrouped
    /// update), or a decayed and an undecayed group, each in the order of `trainable`.
    public func groups(_ trainable: [Parameter]) -> [ParameterGroup] {
        switch self {
        case .all:
            return [ParameterGroup(name: "all", parameters: trainable)]
        case .matrices:
            return [ParameterGroup(name: "decay", parameters: trainable.filter { $0.shape.count >= 2 }),
                    ParameterGroup(name: "no_decay", parameters: trainable.filter { $0.shape.count < 2 }, weightDecay: 0)]
        }
    }
}

extension Optimizer {
    /// One step over `parameters` as a single group at the optimiser's own rate and decay.
    public func step(_ parameters: [Parameter]) {
        step([ParameterGroup(name: "all", parameters: parameters)])
    }
}
