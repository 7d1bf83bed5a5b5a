import Foundation
import XCTest

/// TEXTCLF_SPIN_US through the binary: how long the kernel workers spin between jobs. A whole
/// number of microseconds from 0 to 1,000,000 is taken; anything else is a one-line error.
final class KernelWorkersTests: XCTestCase {
    func environment(_ spin: String) -> [String: String] { CLI.environment("TEXTCLF_SPIN_US", spin) }

    func testBadSpinTimesAreOneLineErrors() throws {
        for value in ["fast", "-5", "12us", "1000001", "99999999999999999999"] {
            assertFails(try CLI.run(["doctor"], environment: environment(value)), naming: ["TEXTCLF_SPIN_US=\(value)"])
        }
    }

    func testSpinTimesInRangeAreTaken() throws {
        for value in ["0", "250", "1000000"] {
            assertSucceeds(try CLI.run(["doctor", "--json"], environment: environment(value)))
        }
    }
}
