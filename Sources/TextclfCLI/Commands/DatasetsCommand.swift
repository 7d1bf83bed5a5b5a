import ArgumentParser
import Datasets
import Foundation
import Store

/// `textclf datasets`: the datasets this textclf knows (built-ins and the spec files given),
/// where their data comes from, and whether it is on this machine (cache or mirror; nothing is
/// downloaded to find out).
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "List the built-in datasets (and dataset specs) and whether their data is available locally.",
        discussion: """
        Availability is an offline lookup in the cache and the mirrors ($TEXTCLF_MIRROR): a \
        dataset shown as missing would be downloaded (when its manifest entry has URLs) by \
        `textclf fetch NAME` or on first use.

        With --json, one line per dataset with keys: name, kind (built-in or spec), spec (the \
        spec file, or null), summary, source, available (true/false), where (cache, mirror DIR, \
        file paths, or why it is missing), default_split.

        Examples:
          textclf datasets
          textclf datasets Examples/custom-dataset/tickets.json --json
        """
    )

    @Argument(help: ArgumentHelp("Dataset spec files to list too.", valueName: "spec.json"))
    var specs: [String] = []

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try self.store.makeStore()
        var registry = DatasetRegistry.builtIn
        let builtInNames = Set(registry.adapters.map(\.name))
        for spec in specs { try registry.registerSpec(at: spec) }

        var rows: [[String]] = []
        var missing: [String] = []
        for adapter in registry.adapters {
            let availability = adapter.availability(in: store)
            if !availability.isLocal { missing.append("\(adapter.name): \(availability.detail)") }
            let spec = (adapter as? SpecDataset)?.specFile.path
            if output.json {
                JSONLines.emit([
                    "name": adapter.name, "kind": builtInNames.contains(adapter.name) ? "built-in" : "spec",
                    "spec": spec ?? NSNull(), "summary": adapter.summary, "source": adapter.source.description,
                    "available": availability.isLocal, "where": availability.detail,
                    "default_split": adapter.defaultSplitPolicy.description,
                ])
            } else {
                rows.append([adapter.name, availability.isLocal ? "yes (\(availability.detail))" : "no", adapter.summary])
            }
        }
        if !output.json {
            printTable(header: ["NAME", "LOCAL", "SUMMARY"], rows: rows)
            missing.forEach(Log.info)
        }
    }
}

/// Columns padded to their widest cell: text to the left, `numeric` columns to the right; the
/// last column is not padded unless numeric.
func printTable(header: [String], rows: [[String]], numeric: Set<Int> = []) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        print(row.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
            if numeric.contains(column) { return pad + cell }
            return column == row.count - 1 ? cell : cell + pad
        }.joined(separator: "  "))
    }
}
