import Foundation
import Inference
import Training
import XCTest

/// One writer per run directory, and nothing left behind by a writer that was killed.
final class RunDirectoryTests: XCTestCase {
    func testASecondLockOnARunDirectoryNamesTheHolder() throws {
        let directory = try temporaryDirectory()
        var first: RunDirectoryLock? = try RunDirectoryLock(directory)
        XCTAssertThrowsError(try RunDirectoryLock(directory)) { error in
            XCTAssertTrue("\(error)".contains("pid \(getpid())"), "\(error)")
            XCTAssertTrue("\(error)".contains(directory.path), "\(error)")
        }
        XCTAssertNotNil(first)
        first = nil  // released with its descriptor
        XCTAssertNoThrow(try RunDirectoryLock(directory))
    }

    func testInterruptedWritesAreCleanedAndAMovedAsideDirectoryRestored() throws {
        let run = try temporaryDirectory()
        let fm = FileManager.default
        func make(_ path: String, file: String? = "x") throws {
            let url = run.appendingPathComponent(path)
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            if let file { try Data("data".utf8).write(to: url.appendingPathComponent(file)) }
        }
        try make(".resume.partial-123-456")                 // a save killed mid-write
        try make("model", file: "model.safetensors")
        try make(".model.old-1-2")                          // killed after the new one took its place
        try make(".best.old-3-4", file: "model.safetensors") // killed before the new one took its place
        try Data("{".utf8).write(to: run.appendingPathComponent(".config.json.tmp-9-9"))
        try Data("1\n".utf8).write(to: run.appendingPathComponent(RunDirectoryLock.fileName))

        try DirectoryCommit.recoverInterruptedWrites(in: run)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: run.path).sorted(), [".lock", "best", "model"])
        XCTAssertTrue(fm.fileExists(atPath: run.appendingPathComponent("best/model.safetensors").path))
        XCTAssertTrue(fm.fileExists(atPath: run.appendingPathComponent("model/model.safetensors").path))
    }
}
