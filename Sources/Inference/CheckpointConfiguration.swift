// classifier.json: what a saved classifier is (see ClassifierCheckpoint).
import Backbones
import Foundation
import Heads

/// The contents of classifier.json.
public struct CheckpointConfiguration: Codable, Hashable, Sendable {
    public static let formatTag = "textclf-classifier/1"

    public struct BackboneInfo: Codable, Hashable, Sendable {
        public var source: BackboneSource
        /// SHA-256 (hex) over the backbone parameters that are *not* in the tensor file: the
        /// lines `<name> NUL <SHA-256 hex of its float32 values, little-endian> LF`, one per
        /// parameter in `namedParameters` order. Loading recomputes it to prove the rebuilt
        /// backbone is the one the head was trained on. (Of no bytes when every tensor is saved.)
        public var frozenParametersSHA256: String
        public var hiddenSize: Int
        public var blockCount: Int

        enum CodingKeys: String, CodingKey {
            case source, frozenParametersSHA256 = "frozen_parameters_sha256", hiddenSize = "hidden_size", blockCount = "block_count"
        }
    }

    public struct TokenizerInfo: Codable, Hashable, Sendable {
        public var vocabularySize: Int
        public var padTokenID: Int
        enum CodingKeys: String, CodingKey { case vocabularySize = "vocabulary_size", padTokenID = "pad_token_id" }
    }

    public struct TensorsInfo: Codable, Hashable, Sendable {
        public enum Content: String, Codable, Hashable, Sendable { case trainable, full }
        public var file: String
        public var content: Content
        public var count: Int
        public var parameters: Int
    }

    public var format: String
    public var backbone: BackboneInfo
    public var labels: [String]
    public var pooling: Pooling
    public var head: HeadSpec
    public var trainable: TrainablePolicy
    public var maxLength: Int
    /// How texts longer than `maxLength` were read in training, and are by default in
    /// `predict`, `evaluate` and `serve` (nil, in files written before it was recorded: truncate).
    public var longText: LongTextPolicy?
    public var tokenizer: TokenizerInfo
    public var tensors: TensorsInfo
    /// Optimiser steps behind these weights.
    public var step: Int
    public var textclfVersion: String?
    /// How logits become probabilities and labels: sigmoid outputs and per-label thresholds
    /// for tags, a fitted temperature, a decision threshold (absent: softmax and the argmax).
    public var decision: DecisionRule?
    /// false: the backbone ran without its causal mask (GPT-2 with `--causal-mask off`); absent
    /// otherwise.
    public var causalMask: Bool?

    enum CodingKeys: String, CodingKey {
        case format, backbone, labels, pooling, head, trainable, maxLength = "max_length", tokenizer, tensors, step
        case textclfVersion = "textclf_version", decision, causalMask = "causal_mask"
        case longText = "long_text"
    }
}
