// Tests that need something from outside the repository (the shared mirror, OpenBLAS) skip
// where it is missing, so a developer without it still gets a green run of the rest. In CI
// (CI=true) `.ci/run` installs every prerequisite and ../shared is beside the clone, so a
// missing one is a failure there: a CI that passes while its parity tests skip proves nothing.
import Foundation
import XCTest

/// The error to throw when `reason` keeps a test from running: a skip, or under CI a failure.
public func missingPrerequisite(_ reason: String, file: StaticString = #filePath, line: UInt = #line) -> Error {
    if ProcessInfo.processInfo.environment["CI"] == "true" { return PrerequisiteMissingInCI(reason: reason) }
    return XCTSkip(reason, file: file, line: line)
}

public struct PrerequisiteMissingInCI: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "CI=true, so this test may not skip: \(reason)" }
}
