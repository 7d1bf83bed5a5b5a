import Foundation
import TestRequirements
import XCTest

/// `textclf bench gemm --json` through the binary: one line per shape and column, OpenBLAS f32
/// always, and oneDNN f32, bf16 and int8 wherever libdnnl loads (which `make setup` installs).
/// Figures are not checked (no timed tests), only that every product ran and was counted.
final class BenchGemmTests: XCTestCase {
    func testEveryShapeHasEveryBackendAndPrecision() throws {
        let doctor = try CLI.run(["doctor", "--json"])
        assertSucceeds(doctor)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: doctor.stdout) as? [String: Any])
        let oneDNN = report["onednn_isa"] is String
        if !oneDNN { throw missingPrerequisite("oneDNN (libdnnl) is not installed: make setup") }

        let result = try CLI.run(["bench", "gemm", "--repeats", "1", "--json"], timeout: 120)
        assertSucceeds(result)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        var columns: [String: Set<String>] = [:]
        for line in lines {
            let shape = "\(line["m"] ?? "")×\(line["k"] ?? "")×\(line["n"] ?? "")"
            columns[shape, default: []].insert("\(line["backend"] ?? "") \(line["precision"] ?? "")")
            let gflops = try XCTUnwrap(line["gflops"] as? Double, "\(line)")
            XCTAssertGreaterThan(gflops, 0, "\(line)")
        }
        XCTAssertEqual(columns.count, 8, "shapes: \(columns.keys.sorted())")
        for (shape, found) in columns {
            XCTAssertEqual(found, ["openblas fp32", "onednn fp32", "onednn bf16", "onednn int8"], shape)
        }
    }
}
