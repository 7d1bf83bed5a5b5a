import Common
import Foundation

/// An example by position: `source` indexes `RawDataset.sources`, `index` its examples.
struct ExampleRef: Hashable {
    var source: Int
    var index: Int
}

/// Example refs per split.
struct SplitParts {
    var train: [ExampleRef] = []
    var validation: [ExampleRef] = []
    var test: [ExampleRef] = []

    subscript(split: SplitName) -> [ExampleRef] {
        get {
            switch split {
            case .train: train
            case .validation: validation
            case .test: test
            }
        }
        set {
            switch split {
            case .train: train = newValue
            case .validation: validation = newValue
            case .test: test = newValue
            }
        }
    }
}

/// Applies a `SplitPolicy` to a `RawDataset` (see `SplitPolicy` for the steps).
struct Splitter {
    let raw: RawDataset
    let policy: SplitPolicy

    func label(_ ref: ExampleRef) -> Int { raw.sources[ref.source].examples[ref.index].label }

    func run() throws -> SplitParts {
        try policy.validate()
        var parts: SplitParts
        switch policy.partition {
        case .ratios(let train, let validation, let test):
            var pool = raw.sources.indices.flatMap { s in raw.sources[s].examples.indices.map { ExampleRef(source: s, index: $0) } }
            if policy.balance { pool = try balanced(pool, what: "the pooled examples") }
            parts = cut(pool, fractions: [train, validation, test])
        case .sourceSplits(let train, let validation, let test):
            func refs(_ name: String) throws -> [ExampleRef] {
                guard let s = raw.sources.firstIndex(where: { $0.name == name }) else {
                    throw DatasetError("dataset \(raw.name): the split policy asks for source split \"\(name)\", but the source has only \(raw.sources.map { "\"\($0.name)\"" }.joined(separator: ", "))")
                }
                return raw.sources[s].examples.indices.map { ExampleRef(source: s, index: $0) }
            }
            parts = SplitParts(train: try refs(train), validation: try validation.map(refs) ?? [], test: try refs(test))
            if policy.balance { parts.train = try balanced(parts.train, what: "the training split") }
        }
        if policy.validationFromTrain > 0 {
            (parts.train, parts.validation) = carve(parts.train, fraction: policy.validationFromTrain)
        }
        if let cap = policy.maxExamples {
            for split in SplitName.allCases { parts[split] = capped(parts[split], to: cap, split: split) }
        }
        try check(parts)
        return parts
    }

    // MARK: - Steps

    /// Each class undersampled to the smallest class's size; the kept examples stay in order.
    private func balanced(_ refs: [ExampleRef], what: String) throws -> [ExampleRef] {
        var rng = stream("balance")
        let byClass = grouped(refs)
        guard let smallest = byClass.map(\.count).min(), smallest > 0 else {
            let missing = byClass.indices.filter { byClass[$0].isEmpty }.map { "\"\(raw.labels[$0])\"" }
            throw DatasetError("dataset \(raw.name): cannot balance \(what): class \(missing.joined(separator: ", ")) has no examples")
        }
        var keep = Set<ExampleRef>()
        for members in byClass {
            keep.formUnion(members.count == smallest ? members : Array(members.fisherYatesShuffled(using: &rng).prefix(smallest)))
        }
        return refs.filter(keep.contains)
    }

    /// Shuffled and cut by fractions; per class with `stratify`, then each split shuffled.
    private func cut(_ pool: [ExampleRef], fractions: [Double]) -> SplitParts {
        var rng = stream("partition")
        var parts: [[ExampleRef]] = [[], [], []]
        let groups = policy.stratify ? grouped(pool) : [pool]
        for group in groups {
            let order = group.fisherYatesShuffled(using: &rng)
            let sizes = Self.sizes(order.count, fractions: fractions)
            parts[0] += order[0 ..< sizes[0]]
            parts[1] += order[sizes[0] ..< sizes[0] + sizes[1]]
            parts[2] += order[(sizes[0] + sizes[1])...]
        }
        if policy.stratify {
            for k in parts.indices { parts[k].fisherYatesShuffle(using: &rng) }
        }
        return SplitParts(train: parts[0], validation: parts[1], test: parts[2])
    }

    /// ⌊n·f⌋ of `train` (per class with `stratify`) become validation; train keeps its order.
    private func carve(_ train: [ExampleRef], fraction: Double) -> (kept: [ExampleRef], carved: [ExampleRef]) {
        var rng = stream("validation")
        var carved: [ExampleRef] = []
        for group in policy.stratify ? grouped(train) : [train] {
            carved += group.fisherYatesShuffled(using: &rng).prefix(Self.wholePart(Double(group.count) * fraction))
        }
        if policy.stratify { carved.fisherYatesShuffle(using: &rng) }
        let taken = Set(carved)
        return (train.filter { !taken.contains($0) }, carved)
    }

    /// A seeded sample of `cap` examples, in the split's order. With `stratify`, class quotas
    /// are proportional: ⌊cap·n_c/n⌋, the remainder going to the largest fractional parts
    /// (ties to the lower class id).
    private func capped(_ refs: [ExampleRef], to cap: Int, split: SplitName) -> [ExampleRef] {
        guard refs.count > cap else { return refs }
        var rng = stream("cap-\(split.rawValue)")
        var keep = Set<ExampleRef>()
        if policy.stratify {
            let groups = grouped(refs)
            var quotas = groups.map { cap * $0.count / refs.count }
            let byRemainder = groups.indices.sorted { a, b in
                let ra = cap * groups[a].count % refs.count, rb = cap * groups[b].count % refs.count
                return ra != rb ? ra > rb : a < b
            }
            for c in byRemainder.prefix(cap - quotas.reduce(0, +)) { quotas[c] += 1 }
            for (c, group) in groups.enumerated() { keep.formUnion(group.fisherYatesShuffled(using: &rng).prefix(quotas[c])) }
        } else {
            keep.formUnion(refs.fisherYatesShuffled(using: &rng).prefix(cap))
        }
        return refs.filter(keep.contains)
    }

    private func check(_ parts: SplitParts) throws {
        for split in SplitName.allCases where policy.expectsExamples(in: split) && parts[split].isEmpty {
            throw DatasetError("dataset \(raw.name): the \(split) split has no examples (\(raw.sources.map { "\($0.name): \($0.examples.count)" }.joined(separator: ", ")) examples in the source; policy: \(policy))")
        }
        // A tag without training examples is one its classifier learns never to give, which
        // is what the rarest Reuters topics need; one class of a single-label classifier cannot be.
        if raw.isMultiLabel { return }
        let trainCounts = grouped(parts.train).map(\.count)
        let missing = trainCounts.indices.filter { trainCounts[$0] == 0 }
        if !missing.isEmpty {
            throw DatasetError("dataset \(raw.name): class \(missing.map { "\"\(raw.labels[$0])\"" }.joined(separator: ", ")) has no examples in the training split (labels: \(raw.labels); policy: \(policy)); a classifier cannot learn a class it never sees")
        }
    }

    // MARK: - Helpers

    /// The refs of each class, in class-id order, each in the given order.
    private func grouped(_ refs: [ExampleRef]) -> [[ExampleRef]] {
        var groups = [[ExampleRef]](repeating: [], count: raw.labels.count)
        for ref in refs { groups[label(ref)].append(ref) }
        return groups
    }

    private func stream(_ purpose: String) -> SplitMix64 {
        SplitMix64(seed: policy.seed ^ fnv1a64(Array(purpose.utf8)))
    }

    /// Sizes of train, validation and test for `n` examples; the rounding remainder goes to
    /// the last split with a positive fraction.
    static func sizes(_ n: Int, fractions: [Double]) -> [Int] {
        var sizes = fractions.map { wholePart(Double(n) * $0) }
        let last = fractions.lastIndex { $0 > 0 } ?? 0
        sizes[last] = 0
        sizes[last] = n - sizes.reduce(0, +)
        return sizes
    }

    /// ⌊x⌋ with a 1e-9 tolerance (see `SplitPolicy`).
    static func wholePart(_ x: Double) -> Int { Int((x + 1e-9).rounded(.down)) }
}

/// FNV-1a, 64 bits: a simple, well-known hash that Python reproduces in three lines.
func fnv1a64(_ bytes: [UInt8], state: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
    var h = state
    for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return h
}
