// What a run can refer to by name: datasets, classification heads and backbone families. A
// Swift program that registers its own adapter, head or family passes its registries to
// `FineTuneRun`; the CLI uses the built-ins.
import Datasets
import Heads
import Inference

public struct Registries: Sendable {
    public var datasets: DatasetRegistry
    public var heads: HeadRegistry
    public var families: BackboneFamilies

    public init(datasets: DatasetRegistry = .builtIn, heads: HeadRegistry = .builtIn, families: BackboneFamilies = .builtIn) {
        self.datasets = datasets
        self.heads = heads
        self.families = families
    }

    public static var builtIn: Registries { Registries() }
}
