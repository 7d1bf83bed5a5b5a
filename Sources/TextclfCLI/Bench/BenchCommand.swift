import ArgumentParser

/// `textclf bench NAME`: benchmarks that print figures (medians) and, where an anchor exists,
/// the ratio against it measured in the same run. Never timed unit tests.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures.",
        discussion: """
        Example:
          textclf bench gemm
        """,
        subcommands: [
            BenchRead.self,
            SHA256Bench.self,
            BenchTokenize.self,
            BenchGemm.self,
            BenchKernels.self,
            BenchData.self,
            BenchWordPiece.self,
            BenchForward.self,
            BenchGenerate.self,
            BenchLoad.self,
            BenchBERT.self,
            BenchFinetuneSpam.self,
        ]
    )
}
