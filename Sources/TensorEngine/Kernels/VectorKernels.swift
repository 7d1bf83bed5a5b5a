// Which code the element-wise kernels run: module CKernels' variant for the best instruction
// set this CPU has (AVX-512F, AVX2 or baseline x86-64, chosen at run time; the environment
// variable TEXTCLF_KERNEL_ISA=default|avx2|avx512f picks one), or the Swift loops the C code
// mirrors (TEXTCLF_KERNEL_ISA=swift). Both give the same bits (see CKernels.h); the Swift loops stay as the reference the
// tests compare every variant against, and as the "before" of `textclf bench kernels`.
import CKernels
import Foundation

/// An instruction set the C kernels are compiled for, lowest first.
public enum VectorISA: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// Baseline x86-64 (SSE2), what the Swift modules are compiled for.
    case baseline = 0
    case avx2 = 1
    case avx512f = 2

    /// The name TEXTCLF_KERNEL_ISA takes: "default", "avx2" or "avx512f".
    public var description: String { String(cString: tc_isa_name(rawValue)) }

    /// The best this CPU runs.
    public static var best: VectorISA { VectorISA(rawValue: tc_isa_best()) ?? .baseline }

    public var isSupported: Bool { rawValue <= tc_isa_best() }
}

public enum VectorKernels {
    /// The variant the C kernels dispatch to.
    public static var isa: VectorISA { VectorISA(rawValue: tc_isa_active()) ?? .baseline }

    /// Dispatches to `isa` from now on; false (and no change) if the CPU lacks it. For tests
    /// and benchmarks, between ops.
    @discardableResult
    public static func use(_ isa: VectorISA) -> Bool { tc_set_isa(isa.rawValue) != 0 }

    /// True runs the Swift loops instead of the C kernels (TEXTCLF_KERNEL_ISA=swift). A switch
    /// for tests and benchmarks, set between ops, never while they run: hence nonisolated(unsafe).
    nonisolated(unsafe) public static var swiftReference = ProcessInfo.processInfo.environment["TEXTCLF_KERNEL_ISA"] == "swift"

    /// What runs, as `textclf doctor` shows it: "avx512f", "avx2", "default" or "swift".
    public static var activeName: String { swiftReference ? "swift" : isa.description }
}
