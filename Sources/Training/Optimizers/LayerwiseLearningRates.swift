// Layer-wise learning-rate decay (discriminative fine-tuning, ULMFiT; Clark et al. for
// ELECTRA): the head trains at the optimiser's rate, the top block at D times that, the block
// below at D², ..., the embeddings at D^(blocks+1). Lower layers hold more general features and
// move less. Each unit becomes a parameter group with its own learning-rate scale.
import Backbones
import Foundation
import Heads
import TensorEngine

public enum LayerwiseLearningRates {
    /// The learning-rate scale of a backbone unit with decay `decay` over `blockCount` blocks:
    /// block i → decay^(blockCount − i), embeddings → decay^(blockCount + 1), the final norm → 1
    /// (it sits on top of every block, with the head).
    public static func scale(_ kind: BackboneUnit.Kind, decay: Double, blockCount: Int) -> Double {
        switch kind {
        case .embeddings: pow(decay, Double(blockCount + 1))
        case .block(let index): pow(decay, Double(blockCount - index))
        case .finalNorm: 1
        }
    }

    /// The optimiser's groups for the trainable parameters of `classifier`: with `decay` nil,
    /// `scope`'s groups (one, or decayed and undecayed); with a decay, those groups again for
    /// each unit, named by it ("block.3", "block.3.no_decay"), each scaled by `scale`, units from
    /// the top (head, final norm, last block, ..., embeddings). Empty groups are left out.
    public static func groups(_ classifier: Classifier, decay: Double?, scope: WeightDecayScope) -> [ParameterGroup] {
        let trainable = classifier.trainableParameters
        guard let decay else { return scope.groups(trainable) }
        let blockCount = classifier.backbone.blockCount
        var sets: [(name: String, scale: Double, parameters: [Parameter])] = []
        var inUnits = Set<ObjectIdentifier>()
        for unit in classifier.backbone.units.reversed() {
            let parameters = unit.parameters.filter(\.requiresGrad)
            inUnits.formUnion(unit.parameters.map(ObjectIdentifier.init))
            let name = switch unit.kind {
            case .embeddings: "embeddings"
            case .block(let index): "block.\(index)"
            case .finalNorm: "final_norm"
            }
            sets.append((name, scale(unit.kind, decay: decay, blockCount: blockCount), parameters))
        }
        // The head and any parameter outside the backbone's units train at the full rate.
        sets.insert(("head", 1, trainable.filter { !inUnits.contains(ObjectIdentifier($0)) }), at: 0)
        return sets.flatMap { set in
            scope.groups(set.parameters).map { group in
                var group = group
                group.name = group.name == "all" || group.name == "decay" ? set.name : "\(set.name).\(group.name)"
                group.learningRateScale = set.scale
                return group
            }
        }.filter { !$0.parameters.isEmpty }
    }
}
