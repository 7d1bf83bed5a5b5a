import ArgumentParser
import Backbones
import Common
import Foundation
import Inference
import Store

@main
struct TextclfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "textclf",
        abstract: "Fine-tune pretrained transformers for text classification.",
        discussion: """
        Examples:
          textclf doctor
          textclf tokenize "Hello world"
        """,
        version: textclfVersion,
        subcommands: [
            BenchCommand.self,
            FetchCommand.self,
            CacheCommand.self,
            TokenizeCommand.self,
            DoctorCommand.self,
            DatasetsCommand.self,
            TasksCommand.self,
            DataCommand.self,
            GenerateCommand.self,
            DebugCommand.self,
            FinetuneCommand.self,
            EvaluateCommand.self,
            PredictCommand.self,
            ExportCommand.self,
            QuantizeCommand.self,
            ServeCommand.self,
        ]
    )

    /// Exit codes are part of the interface: 0 success, 1 the run failed, 2 bad usage or bad
    /// input (one line on stderr; the longer story under --verbose).
    static func main() async {
        let verbose = CommandLine.arguments.contains("--verbose")
        if let position = RawArguments.firstInvalidUTF8() {
            CLIExit.fail(code: 2, "error: argument \(position) is not valid UTF-8: \(CommandLine.arguments[position].debugDescription)", nil)
        }
        do {
            var command = try parseAsRoot(NegativeNumbers.joined(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            try ScaleOutJob.finish()
        } catch let error as InputError {
            CLIExit.fail(code: 2, "error: \(error.description)", verbose ? String(reflecting: error) : nil)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code == .validationFailure && isHelpOrVersion(error) {
                exit(withError: error)
            } else if code == .validationFailure || code.rawValue == 64 {
                // ArgumentParser says 64 (EX_USAGE); we promise 2 for every kind of bad usage.
                let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "bad usage"
                CLIExit.fail(code: 2, message, verbose ? fullMessage(for: error) : nil)
            } else if error is CleanExit || error is ExitCode {
                exit(withError: error)
            } else {
                // An error with a longer story (e.g. every place the Store tried) tells it under --verbose.
                let listsPlaces = error is ResolutionError || error is FetchError || error is GPT2WeightsNotFound || error is WeightsUnavailable
                let more = !verbose && listsPlaces ? " (--verbose for every place tried)" : ""
                CLIExit.fail(code: 1, "error: \(error)\(more)", verbose ? String(reflecting: error) : nil)
            }
        }
    }

    private static func isHelpOrVersion(_ error: Error) -> Bool { error is CleanExit }
}

enum CLIExit {
    static func fail(code: Int32, _ line: String, _ detail: String?) -> Never {
        Log.error(line)
        if let detail, detail != line { Log.error(detail) }
        Foundation.exit(code)
    }
}

/// `CommandLine.arguments` decodes with replacement characters on Linux, so a text with invalid
/// UTF-8 would be used altered; the raw bytes of argv tell.
enum RawArguments {
    /// The position (1 = the first after the program name) of the first argument that is not UTF-8.
    static func firstInvalidUTF8() -> Int? {
        for position in 1 ..< Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[position] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if String(validating: bytes, as: UTF8.self) == nil { return position }
        }
        return nil
    }
}
