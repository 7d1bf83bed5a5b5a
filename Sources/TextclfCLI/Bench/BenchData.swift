import ArgumentParser
import Datasets
import Foundation
import Store
import Tokenizers

/// `textclf bench data`: the way from the IMDB zip to tokenised, length-bucketed batches for all
/// 50,000 reviews, in three phases, on all cores.
struct BenchData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Measure IMDB zip → examples → GPT-2 ids → length-bucketed batches (50,000 reviews).",
        discussion: """
        Phases, each the median over --runs: read (both CSV members of imdb.zip → 50,000 cleaned \
        examples, through the imdb adapter), tokenise (encodeForModel on all cores, at most \
        --max-length ids, with a fresh tokenizer each run so its word cache starts empty), batch \
        (a bucketed sampler over all examples and every padded TokenBatch built). The vocabulary \
        is loaded once, outside the timings. Padding is the share of batch positions that are pad ids.

        With --json, one line with keys: reviews, tokens, truncated, batches, batch_size, \
        max_length, padding_fraction, runs, cores, read_s, tokenize_s, batch_s, total_s \
        (medians; total_s is the median of the per-run totals).

        Example:
          textclf bench data --runs 3
        """
    )

    @Option(help: "Timed runs; medians are reported.")
    var runs = 3

    @Option(help: "Examples per batch.")
    var batchSize = 8

    @Option(help: "Ids per text at most (GPT-2's context is 1024).")
    var maxLength = 1024

    @Option(name: [.customLong("model")], help: "Directory holding the GPT-2 vocabulary (default: models/gpt2 from the Store).")
    var model: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard batchSize >= 1, maxLength >= 1 else { throw ValidationError("--batch-size and --max-length must be at least 1") }
    }

    func run() throws {
        let store = try self.store.makeStore()
        let directory = try store.resolveDirectory(.model("gpt2"), files: ["encoder.json", "vocab.bpe"],
                                                   explicitDirectory: model.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let vocabulary = try BytePairVocabulary.load(directory: directory)
        // Resolve (and checksum) the archive once, outside the timings.
        _ = try store.resolve(.dataset("imdb"), file: IMDBDataset.archive)
        let adapter = IMDBDataset()

        var reads: [Double] = [], tokenizes: [Double] = [], batchings: [Double] = [], totals: [Double] = []
        var reviews = 0, tokens = 0, truncated = 0, batchCount = 0, padding = 0.0
        for run in 1 ... runs {
            var start = DispatchTime.now()
            let raw = try adapter.load(using: store)
            let examples = raw.sources.flatMap(\.examples)
            let read = seconds(since: start)

            let tokenizer = try GPT2Tokenizer(vocabulary: vocabulary)
            start = DispatchTime.now()
            let tokenized = TokenizedExamples(examples, tokenizer: tokenizer, maxLength: maxLength)
            let tokenize = seconds(since: start)

            start = DispatchTime.now()
            let sampler = try BatchSampler(lengths: tokenized.lengths, batchSize: batchSize, order: .bucketed(seed: UInt64(run)))
            let batches = tokenized.batches(sampler)
            let batch = seconds(since: start)

            reviews = examples.count
            tokens = tokenized.tokens.reduce(0) { $0 + $1.count }
            truncated = tokenized.truncatedCount
            batchCount = batches.count
            let positions = batches.reduce(0) { $0 + $1.ids.count }
            padding = Double(positions - tokens) / Double(positions)
            reads.append(read); tokenizes.append(tokenize); batchings.append(batch); totals.append(read + tokenize + batch)
            Log.info(String(format: "  run %d: read %.2f s, tokenise %.2f s, batch %.2f s, total %.2f s", run, read, tokenize, batch, read + tokenize + batch))
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if output.json {
            JSONLines.emit([
                "reviews": reviews, "tokens": tokens, "truncated": truncated, "batches": batchCount, "batch_size": batchSize,
                "max_length": maxLength, "padding_fraction": rounded(padding, 4), "runs": runs, "cores": cores,
                "read_s": rounded(median(reads), 3), "tokenize_s": rounded(median(tokenizes), 3),
                "batch_s": rounded(median(batchings), 3), "total_s": rounded(median(totals), 3),
            ])
        } else {
            print("imdb: \(reviews) reviews → \(tokens) GPT-2 ids (\(truncated) cut at \(maxLength)) → \(batchCount) batches of \(batchSize), "
                + String(format: "%.1f%% padding", padding * 100))
            print(String(format: "median of %d runs on %d cores: read %.2f s, tokenise %.2f s, batch %.2f s, total %.2f s",
                         runs, cores, median(reads), median(tokenizes), median(batchings), median(totals)))
        }
    }
}

private func median(_ values: [Double]) -> Double { BenchTiming.median(values) }

private func rounded(_ x: Double, _ places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (x * scale).rounded() / scale
}
