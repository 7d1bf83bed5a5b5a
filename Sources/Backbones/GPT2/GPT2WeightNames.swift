/// GPT-2 parameter names in the two layouts GPT-2 weights come in, and the mapping between them.
///
/// Our canonical names are Hugging Face's, without the `transformer.` prefix:
///
///     wte.weight [vocab, embd]            wpe.weight [ctx, embd]
///     h.{i}.ln_1.weight|bias [embd]       h.{i}.attn.c_attn.weight [embd, 3*embd]  .bias [3*embd]
///     h.{i}.attn.c_proj.weight [embd, embd] .bias [embd]
///     h.{i}.ln_2.weight|bias [embd]       h.{i}.mlp.c_fc.weight [embd, 4*embd]     .bias [4*embd]
///     h.{i}.mlp.c_proj.weight [4*embd, embd] .bias [embd]
///     ln_f.weight|bias [embd]
///
/// OpenAI's TensorFlow checkpoint names the same tensors `model/wte`, `model/h{i}/ln_1/g|b`,
/// `model/h{i}/attn/c_attn/w|b`, ..., `model/ln_f/g|b`, and stores each Conv1D weight (`w`) as
/// [1, in, out]; Hugging Face's Conv1D keeps the same [in, out] order, so squeezing the leading 1
/// is the only change to the data. The LM head is tied to `wte`, so `lm_head.weight` is never read.
///
/// Pure string logic, no dependencies, so it can be reused (and compiled) on its own.
public enum GPT2WeightNames {
    /// The modules of one transformer block, in HF dotted form; the leaf is `weight` or `bias`.
    public static let blockModules = ["ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj"]

    /// Every parameter name of a GPT-2 with `layerCount` blocks, in model order.
    public static func parameterNames(layerCount: Int) -> [String] {
        var names = ["wte.weight", "wpe.weight"]
        for i in 0 ..< max(0, layerCount) {
            for module in blockModules {
                names.append("h.\(i).\(module).weight")
                names.append("h.\(i).\(module).bias")
            }
        }
        return names + ["ln_f.weight", "ln_f.bias"]
    }

    /// Every parameter with its shape (HF layout) for the given sizes.
    public static func parameterShapes(vocabSize: Int, contextLength: Int, embeddingSize e: Int,
                                       layerCount: Int, innerSize: Int? = nil) -> [(name: String, shape: [Int])] {
        let inner = innerSize ?? 4 * e
        return parameterNames(layerCount: layerCount).map { name in
            let shape: [Int]
            switch name {
            case "wte.weight": shape = [vocabSize, e]
            case "wpe.weight": shape = [contextLength, e]
            default:
                let isWeight = name.hasSuffix(".weight")
                if name.contains(".attn.c_attn.") { shape = isWeight ? [e, 3 * e] : [3 * e] }
                else if name.contains(".mlp.c_fc.") { shape = isWeight ? [e, inner] : [inner] }
                else if name.contains(".mlp.c_proj.") { shape = isWeight ? [inner, e] : [e] }
                else if name.contains(".attn.c_proj.") { shape = isWeight ? [e, e] : [e] }
                else { shape = [e] }  // layer norms
            }
            return (name, shape)
        }
    }

    /// The canonical name for a name found in a Hugging Face file: `transformer.` stripped.
    /// Nil for tensors that are present in some files but must not be loaded: the tied
    /// `lm_head.weight`, and the causal-mask buffers `attn.bias` / `attn.masked_bias` of old files.
    public static func canonical(huggingFace name: String) -> String? {
        let stripped = name.hasPrefix("transformer.") ? String(name.dropFirst("transformer.".count)) : name
        if stripped == "lm_head.weight" || stripped.hasSuffix(".attn.bias") || stripped.hasSuffix(".attn.masked_bias") {
            return nil
        }
        return stripped
    }

    /// `model/h3/attn/c_attn/w` -> `h.3.attn.c_attn.weight`; nil for names that are not GPT-2 parameters.
    public static func huggingFace(openAI name: String) -> String? {
        var parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.removeFirst() == "model" else { return nil }
        if parts == ["wte"] || parts == ["wpe"] { return parts[0] + ".weight" }
        guard let leaf = parts.popLast() else { return nil }
        var prefix = ""
        if let first = parts.first, first.hasPrefix("h"), let layer = Int(first.dropFirst()), layer >= 0, String(layer) == first.dropFirst() {
            prefix = "h.\(layer)."
            parts.removeFirst()
            guard blockModules.contains(parts.joined(separator: ".")) else { return nil }
        } else {
            guard parts == ["ln_f"] else { return nil }
        }
        let module = parts.joined(separator: ".")
        let isNorm = module.hasPrefix("ln_")
        switch (leaf, isNorm) {
        case ("g", true), ("w", false): return prefix + module + ".weight"
        case ("b", _): return prefix + module + ".bias"
        default: return nil
        }
    }

    /// `h.3.attn.c_attn.weight` (or with `transformer.`) -> `model/h3/attn/c_attn/w`.
    public static func openAI(huggingFace name: String) -> String? {
        guard let name = canonical(huggingFace: name) else { return nil }
        if name == "wte.weight" || name == "wpe.weight" { return "model/" + name.dropLast(".weight".count) }
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let kind = parts.popLast() else { return nil }
        var head = "model/"
        if parts.first == "h", parts.count >= 2, let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1] {
            head += "h\(layer)/"
            parts.removeFirst(2)
            guard blockModules.contains(parts.joined(separator: ".")) else { return nil }
        } else {
            guard parts == ["ln_f"] else { return nil }
        }
        let isNorm = parts.last?.hasPrefix("ln_") ?? false
        let leaf: String
        switch kind {
        case "weight": leaf = isNorm ? "g" : "w"
        case "bias": leaf = "b"
        default: return nil
        }
        return head + parts.joined(separator: "/") + "/" + leaf
    }

    /// Conv1D weights, stored [1, in, out] by OpenAI and [in, out] by Hugging Face.
    public static func isConv1DWeight(huggingFace name: String) -> Bool {
        name.hasSuffix(".weight") && (name.contains(".attn.c_") || name.contains(".mlp.c_"))
    }

    /// The HF-layout shape of an OpenAI tensor: the leading 1 of a Conv1D weight is dropped.
    /// Nil when a Conv1D weight does not have that leading 1 (a malformed checkpoint).
    public static func huggingFaceShape(openAI name: String, shape: [Int]) -> [Int]? {
        guard let hf = huggingFace(openAI: name) else { return nil }
        guard isConv1DWeight(huggingFace: hf) else { return shape }
        guard shape.count == 3, shape[0] == 1 else { return nil }
        return Array(shape.dropFirst())
    }
}
