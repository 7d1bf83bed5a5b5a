import ArgumentParser

/// Flags every result-producing command shares.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Write results as JSON lines on stdout (progress and logs stay on stderr).")
    var json = false

    @Flag(help: "Explain failures at length.")
    var verbose = false
}
