import ArgumentParser
import Textclf

@main
struct TextclfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "textclf",
        abstract: "Fine-tune pretrained transformers for text classification.",
        version: textclfVersion,
        subcommands: []
    )
}
