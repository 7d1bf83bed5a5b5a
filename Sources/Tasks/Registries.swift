// What a run can refer to by name: datasets and classification heads. A Swift program that
// registers its own adapter or head passes its registries to `FineTuneRun`; the CLI uses the
// built-ins.
import Datasets
import Heads

public struct Registries: Sendable {
    public var datasets: DatasetRegistry
    public var heads: HeadRegistry

    public init(datasets: DatasetRegistry = .builtIn, heads: HeadRegistry = .builtIn) {
        self.datasets = datasets
        self.heads = heads
    }

    public static var builtIn: Registries { Registries() }
}
