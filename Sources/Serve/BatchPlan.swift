// Length bucketing: the texts a worker took, sorted by length, cut into batches that cost the
// least in all. A batch is padded to its longest text, so its cost is taken as
// size × longest + `batchCost` (the work of one more, smaller forward pass, in token-equivalents):
// a lone long SMS among short ones then goes in a batch of its own rather than making 31 short
// texts pay for its length, and short texts still share batches.

enum BatchPlan {
    /// About what one more forward pass costs beyond its tokens on a 2-core machine, from
    /// `predict --batch-size 1` against `--batch-size 32` on 1,000 SMS texts (MiniLM): 8.6 s more
    /// CPU for 968 more batches, about 30 tokens' worth each.
    static let batchCost = 32

    /// Indices into `lengths`, cut into batches of at most `maxBatchSize`: by length, longest
    /// first, equal lengths in the order given (earlier requests first among equals), each batch
    /// a run of that order, the runs chosen to minimise the total cost (dynamic programming over
    /// the sorted lengths). With `equalLengthsOnly` (a pooling that reads padding, `position-last`)
    /// a batch never mixes lengths, so no text is padded and each gets what it gets alone.
    static func batches(lengths: [Int], maxBatchSize: Int, equalLengthsOnly: Bool = false) -> [[Int]] {
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        let size = max(1, maxBatchSize)
        let n = order.count
        // best[j]: the least cost of the first j texts of `order`; start[j]: where its last batch starts.
        var best = [Int](repeating: Int.max, count: n + 1)
        var start = [Int](repeating: 0, count: n + 1)
        best[0] = 0
        for j in 1 ..< (n + 1) {
            var i = j - 1
            while i >= max(0, j - size) {
                if equalLengthsOnly && lengths[order[i]] != lengths[order[j - 1]] { break }
                let cost = best[i] + (j - i) * lengths[order[i]] + batchCost
                if cost < best[j] {
                    best[j] = cost
                    start[j] = i
                }
                i -= 1
            }
        }
        var batches: [[Int]] = []
        var j = n
        while j > 0 {
            batches.append(Array(order[start[j] ..< j]))
            j = start[j]
        }
        return batches.reversed()
    }
}
