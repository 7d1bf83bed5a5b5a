import ArgumentParser
import TensorEngine

/// `--precision fp32|bf16|auto`: the matrix products' precision (see `Precision`).
struct PrecisionOption: ParsableArguments {
    @Option(help: ArgumentHelp("Matrix products in fp32, bf16 (bf16 operands, fp32 accumulation; needs a CPU with native bf16), "
                               + "or auto (bf16 where the CPU has it, else fp32).", valueName: "fp32|bf16|auto"))
    var precision: String?

    /// The chosen precision, or nil if the option was not given; exit 2 with the reason for bf16
    /// on a CPU without it.
    func resolved() throws -> Precision? { try precision.map(Precision.resolve) }

    /// Sets the products' precision for the rest of the process (fp32 unless given).
    func apply() throws {
        Matmul.precision = try resolved() ?? .fp32
    }
}
extension Precision: ExpressibleByArgument {}
