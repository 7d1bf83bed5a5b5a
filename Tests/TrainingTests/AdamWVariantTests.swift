import CKernels
import Common
import TensorEngine
import Training
import XCTest

/// AdamW's CKernels loop in every variant this CPU runs (avx512f, avx2, default) against the
/// Swift loop, bit for bit: the same float operations in the same order per element, so the
/// vector width cannot change a result (see CKernels.h).
final class AdamWVariantTests: XCTestCase {
    override func tearDown() {
        VectorKernels.swiftReference = false
        VectorKernels.use(.best)
    }

    /// Three steps on parameters of awkward lengths (and one split between workers).
    func steps(beta1: Double) -> [[Float]] {
        var rng = SplitMix64(seed: 5)
        let parameters = [0, 1, 15, 16, 17, 1000, 70_001].map { n in
            Parameter(name: "p\(n)", value: Tensor(shape: [n], repeating: 0))
        }
        for p in parameters { for i in 0..<p.value.count { p.value[flat: i] = rng.nextUnitFloat() - 0.5 } }
        let optimizer = AdamW(learningRate: 1e-3, beta1: beta1, weightDecay: 0.1)
        for _ in 0..<3 {
            for p in parameters {
                p.grad = Tensor(shape: p.shape, repeating: 0)
                for i in 0..<p.value.count { p.grad![flat: i] = (rng.nextUnitFloat() - 0.5) * 0.1 }
            }
            optimizer.step(parameters)
        }
        return parameters.map(\.value.scalars)
    }

    func testEveryVariantGivesTheSwiftLoopsBits() {
        for beta1 in [0.9, 0.3] {  // both sides of torch.lerp's branch
            VectorKernels.swiftReference = true
            let expected = steps(beta1: beta1)
            VectorKernels.swiftReference = false
            for isa in VectorISA.allCases where VectorKernels.use(isa) {
                let actual = steps(beta1: beta1)
                for (a, e) in zip(actual, expected) {
                    XCTAssertEqual(a.map(\.bitPattern), e.map(\.bitPattern), "AdamW [\(isa)] beta1 \(beta1), \(a.count) elements")
                }
            }
        }
    }
}
