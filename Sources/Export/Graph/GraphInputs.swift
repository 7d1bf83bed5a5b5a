// Values derived from the graph's inputs, computed once and shared by every layer: positions,
// the attention masks, the real-token mask for pooling.
extension ONNXGraphBuilder {
    /// The padded sequence length T, an int64 scalar.
    mutating func sequenceLength() -> String {
        shared("sequence-length") { graph in
            graph.op("Gather", graph.op("Shape", Self.inputIDs), graph.int64s([1], shape: []), attributes: [.int("axis", 0)], hint: "time")
        }
    }

    /// 0, 1, …, T-1 (int64 [T]): every text's positions, as textclf numbers them (right padding).
    mutating func positions() -> String {
        shared("positions") { graph in
            graph.op("Range", graph.int64s([0], shape: []), graph.sequenceLength(), graph.int64s([1], shape: []), hint: "positions")
        }
    }

    /// True where a key may not be attended (bool [B, 1, 1, T] for padding; [B, 1, T, T] with
    /// `causal`, where key j > query i is masked too).
    mutating func attentionMask(causal: Bool) -> String {
        shared("attention-mask:\(causal)") { graph in
            let padding = graph.op("Unsqueeze", graph.op("Equal", Self.attentionMask, graph.int64s([0], shape: [])),
                                   graph.int64s([1, 2]), hint: "padded_keys")
            guard causal else { return padding }
            let positions = graph.positions()
            let later = graph.op("Greater", graph.op("Unsqueeze", positions, graph.int64s([0])),
                                 graph.op("Unsqueeze", positions, graph.int64s([1])), hint: "later_keys")  // [T, T]: j > i
            return graph.op("Or", padding, later, hint: "masked_keys")
        }
    }

    /// 1.0 for real tokens, 0.0 for padding: float [B, T, 1].
    mutating func realTokens3D() -> String {
        shared("real-tokens") { graph in
            graph.op("Unsqueeze", graph.op("Cast", Self.attentionMask, attributes: [.int("to", Int(ONNXDataType.float.rawValue))]),
                     graph.int64s([2]), hint: "real_tokens")
        }
    }
}
