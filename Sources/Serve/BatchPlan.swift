// Length bucketing: the texts a worker took are run longest first, in batches of at most
// `maxBatchSize`, each padded only to its own longest text, as `Classifier.logits(tokens:)`
// orders them for `predict`.

enum BatchPlan {
    /// Indices into `lengths`, cut into batches: by length, longest first; equal lengths in the
    /// order given (so earlier requests go first among equals). With `equalLengthsOnly` (a
    /// pooling that reads padding, `position-last`) a batch never mixes lengths, so no text is
    /// padded and each gets what it gets alone.
    static func batches(lengths: [Int], maxBatchSize: Int, equalLengthsOnly: Bool = false) -> [[Int]] {
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        let size = max(1, maxBatchSize)
        var batches: [[Int]] = []
        var current: [Int] = []
        for index in order {
            if current.count == size || (equalLengthsOnly && !current.isEmpty && lengths[current[0]] != lengths[index]) {
                batches.append(current)
                current = []
            }
            current.append(index)
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}
