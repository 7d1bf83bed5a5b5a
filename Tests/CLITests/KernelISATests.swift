import Foundation
import XCTest

/// TEXTCLF_KERNEL_ISA through the binary: a training run gives the same model bytes whichever
/// element-wise kernels run it (the Swift loops, or CKernels' baseline or best variant), since
/// they do the same float operations in the same order; a wrong value is a one-line error.
final class KernelISATests: XCTestCase {
    func environment(_ isa: String) -> [String: String] { CLI.environment("TEXTCLF_KERNEL_ISA", isa) }

    func testTrainingGivesTheSameModelBytesWithEveryKernelVariant() throws {
        let doctor = try CLI.run(["doctor", "--json"])
        assertSucceeds(doctor)
        let report = try JSONSerialization.jsonObject(with: doctor.stdout) as? [String: Any]
        let best = try XCTUnwrap(report?["vector_kernels"] as? String)
        XCTAssertTrue(["avx512f", "avx2", "default"].contains(best), best)

        var models: [String: Data] = [:]
        for isa in Set(["swift", "default", best]).sorted() {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-isa-\(getpid())-\(isa)")
            defer { try? FileManager.default.removeItem(at: output) }
            // Two epochs with the tiny BERT's dropout: LayerNorm, GELU, softmax, dropout masks, AdamW.
            assertSucceeds(try CLI.run(Fixtures.finetune(output: output, epochs: 2), timeout: 120, environment: environment(isa)))
            models[isa] = try Data(contentsOf: output.appendingPathComponent("model/model.safetensors"))
        }
        for (isa, model) in models { XCTAssertEqual(model, models["swift"], "the model trained with \(isa) kernels differs") }
    }

    func testDoctorShowsTheForcedVariant() throws {
        let result = try CLI.run(["doctor", "--json"], environment: environment("default"))
        assertSucceeds(result)
        let report = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        XCTAssertEqual(report?["vector_kernels"] as? String, "default")
    }

    func testUnknownVariantIsAOneLineError() throws {
        assertFails(try CLI.run(["doctor"], environment: environment("sse9")), naming: ["TEXTCLF_KERNEL_ISA=sse9", "avx2"])
    }
}
