import TensorEngine
import XCTest
import TestRequirements

/// Central finite differences against the tape's analytic gradients.
///
/// The scalar checked is L = Σ out · W for a fixed random W (so every output element
/// matters, with different weights), accumulated in Double. Every element of every input is
/// perturbed by ±h; the relative error ‖analytic − numeric‖ / ‖numeric‖ must stay below
/// `tolerance`. A wrong or missing backward term gives errors of order 1.
func checkGradients(_ inputs: [Variable], h: Float = 1e-2, tolerance: Double = 2e-3,
                    file: StaticString = #filePath, line: UInt = #line,
                    _ forward: (Tape) throws -> Variable) throws {
    for input in inputs { input.grad = nil }
    let tape = Tape()
    let out = try forward(tape)
    XCTAssertTrue(out.requiresGrad, "output does not require grad", file: file, line: line)
    let weights = Tensor.random(shape: out.shape, seed: 99)
    tape.backward(from: out, gradient: weights)

    func loss() throws -> Double {
        let y = try forward(Tape())  // a tape, so training-only ops (dropout) behave the same
        var total: Double = 0
        for i in 0..<y.value.count { total += Double(y.value[flat: i]) * Double(weights[flat: i]) }
        return total
    }

    for (n, input) in inputs.enumerated() where input.requiresGrad {
        guard let analytic = input.grad else {
            XCTFail("input \(n) got no gradient", file: file, line: line)
            continue
        }
        var diff: Double = 0, norm: Double = 0
        for i in 0..<input.value.count {
            let original = input.value[flat: i]
            input.value[flat: i] = original + h
            let plus = try loss()
            input.value[flat: i] = original - h
            let minus = try loss()
            input.value[flat: i] = original
            let numeric = (plus - minus) / (2 * Double(h))
            let a = Double(analytic[flat: i])
            diff += (a - numeric) * (a - numeric)
            norm += numeric * numeric
        }
        let relative = diff.squareRoot() / max(norm.squareRoot(), 1e-6)
        XCTAssertLessThan(relative, tolerance, "input \(n) \(input.shape): relative gradient error", file: file, line: line)
        XCTAssertGreaterThan(norm, 0, "input \(n): numeric gradient is zero, the check proves nothing", file: file, line: line)
    }
}

func variable(_ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = true) -> Variable {
    Variable(Tensor.random(shape: shape, seed: seed, scale: scale), requiresGrad: requiresGrad)
}

func parameter(_ name: String, _ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = true) -> Parameter {
    Parameter(name: name, value: Tensor.random(shape: shape, seed: seed, scale: scale), requiresGrad: requiresGrad)
}

func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "element count", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > tolerance * max(1, abs(e)) {
        XCTFail("element \(i): \(a) vs expected \(e)", file: file, line: line)
        return
    }
}

/// Loads OpenBLAS or skips (a machine without it cannot run the kernels).
func requireBLAS() throws {
    do { try BLAS.ensureLoaded() } catch { throw missingPrerequisite("OpenBLAS not available: \(error)") }
}
