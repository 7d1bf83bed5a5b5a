import ArgumentParser
import Common
import Datasets
import Foundation
import Store
import Tokenizers

/// `textclf data ...`: looking at datasets before training on them.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect datasets.",
        discussion: """
        Example:
          textclf data inspect sms-spam
        """,
        subcommands: [DataInspectCommand.self]
    )
}

/// `textclf data inspect DATASET|SPEC`: rows per split and label, token lengths, duplicates,
/// texts shared between splits, empty texts, skipped rows.
struct DataInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a dataset's splits, labels, token lengths, duplicates and skipped rows.",
        discussion: """
        DATASET is a built-in name (see `textclf datasets`) or the path of a dataset spec (JSON; \
        format in Datasets/README.md). The splits are the dataset's default split (--seed changes \
        its seed). Token lengths are GPT-2 token counts of the full texts (no truncation), from \
        the gpt2 vocabulary found through the Store (cache or mirror) or --model DIR. Duplicates \
        are exact repeats of a text among all source rows; "in two splits" counts texts of a later \
        split that also occur in an earlier one (possible leakage).

        With --json, one line with keys: dataset, summary, labels, sources and splits (each a list \
        of {name, examples, label_counts: {label: count}}), policy (as in split.json), \
        token_lengths (list of {split, count, min, median, p95, max, mean}; empty with \
        --no-tokens), duplicates {texts, extra_rows, conflicting_labels, samples}, overlaps \
        (list of {first, second, texts, rows, samples}), empty_texts, skipped {count, reasons, rows}.

        --write-split FILE writes the split's record (the format trainers keep as split.json; \
        scripts/split_from_record.py rebuilds the same split in Python from it).

        Examples:
          textclf data inspect sms-spam
          textclf data inspect sms-spam --seed 7 --write-split /tmp/split.json
          textclf data inspect Examples/custom-dataset/tickets.json --json
        """
    )

    @Argument(help: ArgumentHelp("A dataset name, or the path of a dataset spec.", valueName: "dataset|spec"))
    var dataset: String

    @Option(help: "Seed for the default split (instead of the dataset's own).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Also write the split's record (split.json) to this file.", valueName: "file"))
    var writeSplit: String?

    @Flag(help: "Skip the token-length figures (no tokenizer needed).")
    var noTokens = false

    @Option(name: [.customLong("model")], help: "Directory holding the GPT-2 vocabulary (default: models/gpt2 from the Store).")
    var model: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try self.store.makeStore()
        let adapter = try DatasetRegistry.builtIn.adapter(named: dataset)
        var policy = adapter.defaultSplitPolicy
        if let seed { policy.seed = seed }
        let tokenizer: GPT2Tokenizer?
        do {
            tokenizer = noTokens ? nil : try gpt2Tokenizer(store: store, model: model)
        } catch let error as ResolutionError {
            // Still the Store's error (exit 1, its places under --verbose), with the way around it.
            throw ResolutionError(ref: error.ref, file: error.file, attempts: error.attempts,
                                  fix: error.fix + "; the GPT-2 vocabulary is only needed for token lengths: --no-tokens skips them")
        }
        if !output.json { Log.info("reading \(adapter.name) (\(adapter.source))...") }
        let raw = try adapter.load(using: store)
        let report = try DatasetReport(raw: raw, policy: policy, tokenizer: tokenizer)
        if let writeSplit {
            try raw.split(policy).record.write(to: URL(fileURLWithPath: writeSplit))
            Log.info("split record written to \(writeSplit)")
        }
        if output.json {
            JSONLines.emit(try json(report, summary: adapter.summary))
        } else {
            printReport(report, summary: adapter.summary)
        }
    }

    private func json(_ report: DatasetReport, summary: String) throws -> [String: Any] {
        func counts(_ count: DatasetReport.Count) -> [String: Any] {
            ["name": count.name, "examples": count.examples,
             "label_counts": Dictionary(uniqueKeysWithValues: zip(report.labels.names, count.labelCounts))]
        }
        let policy = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report.policy))
        return [
            "dataset": report.dataset, "summary": summary, "labels": report.labels.names,
            "sources": report.sources.map(counts), "splits": report.splits.map(counts), "policy": policy,
            "token_lengths": report.tokenLengths.map {
                ["split": $0.split, "count": $0.count, "min": $0.min, "median": $0.median, "p95": $0.p95, "max": $0.max,
                 "mean": ($0.mean * 100).rounded() / 100] as [String: Any]
            },
            "duplicates": ["texts": report.duplicates.texts, "extra_rows": report.duplicates.extraRows,
                           "conflicting_labels": report.duplicates.conflictingLabels, "samples": report.duplicates.samples],
            "overlaps": report.overlaps.map {
                ["first": $0.first, "second": $0.second, "texts": $0.texts, "rows": $0.rows, "samples": $0.samples] as [String: Any]
            },
            "empty_texts": report.emptyTexts,
            "skipped": ["count": report.skipped.count, "reasons": report.skipped.countsByReason,
                        "rows": report.skipped.rows.map {
                            ["location": $0.location, "line": $0.line ?? NSNull(), "row": $0.row ?? NSNull(),
                             "reason": $0.reason, "detail": $0.detail] as [String: Any]
                        }],
        ]
    }

    private func printReport(_ report: DatasetReport, summary: String) {
        print("dataset \(report.dataset): \(summary)")
        print("labels: " + report.labels.names.enumerated().map { "\($1) (\($0))" }.joined(separator: ", "))
        func table(_ counts: [DatasetReport.Count]) {
            printTable(header: ["  split", "rows"] + report.labels.names,
                       rows: counts.map { ["  " + $0.name, String($0.examples)] + $0.labelCounts.map(String.init) },
                       numeric: Set(1 ... report.labels.count + 1))
        }
        print("\nsource splits:")
        table(report.sources)
        print("\nsplit (\(report.policy)):")
        table(report.splits)
        if !report.tokenLengths.isEmpty {
            print("\nGPT-2 tokens per text:")
            printTable(header: ["  split", "min", "median", "p95", "max", "mean"], rows: report.tokenLengths.map {
                ["  " + $0.split, String($0.min), String(format: "%g", $0.median), String($0.p95), String($0.max), String(format: "%.1f", $0.mean)]
            }, numeric: [1, 2, 3, 4, 5])
        }
        let d = report.duplicates
        print("\nduplicate texts: \(d.texts) texts occur more than once (\(d.extraRows) extra rows, \(d.conflictingLabels) with conflicting labels)")
        for sample in d.samples { print("  \(sample)") }
        print("texts in two splits:")
        for overlap in report.overlaps {
            print("  \(overlap.first)/\(overlap.second): \(overlap.texts) texts (\(overlap.rows) rows of \(overlap.second))"
                + (overlap.samples.isEmpty ? "" : ", e.g. \(overlap.samples[0])"))
        }
        print("empty texts: \(report.emptyTexts)")
        print("skipped rows: \(report.skipped.summary)")
        for row in report.skipped.rows.prefix(10) { print("  \(row)") }
        if report.skipped.count > 10 { print("  ... (\(report.skipped.count - 10) more; --json lists up to \(SkipReport.detailLimit))") }
    }
}

/// GPT-2's tokenizer: the vocabulary in `model` if given, else models/gpt2 through the Store
/// (cache, mirror, or a verified download unless offline).
func gpt2Tokenizer(store: Store, model: String?) throws -> GPT2Tokenizer {
    let directory = try store.resolveDirectory(.model("gpt2"), files: ["encoder.json", "vocab.bpe"],
                                               explicitDirectory: model.map { URL(fileURLWithPath: $0, isDirectory: true) })
    return try GPT2Tokenizer.load(directory: directory)
}
