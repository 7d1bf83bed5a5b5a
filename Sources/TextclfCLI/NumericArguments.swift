import ArgumentParser
import Foundation

/// swift-argument-parser reads `-1` in `--lr -1` as an option of its own and reports a missing
/// value; a number after a long option is that option's value, so it is joined to it
/// (`--lr=-1`) and then checked like any other value. Arguments after `--` are left alone.
enum NegativeNumbers {
    static func joined(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                result += arguments[index...]
                break
            }
            if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
               isNegativeNumber(arguments[index + 1]) {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
            } else {
                result.append(argument)
                index += 1
            }
        }
        return result
    }

    /// "-1", "-0.5", "-1e-5", "-.5", "-inf", "-nan".
    static func isNegativeNumber(_ text: String) -> Bool {
        guard text.hasPrefix("-"), text.count > 1 else { return false }
        return Double(text) != nil
    }
}

/// Range checks of numeric options: one line naming the option and the value given.
enum NumericCheck {
    /// A finite number above 0.
    static func positive<T: BinaryFloatingPoint>(_ value: T?, _ option: String) throws {
        guard let value else { return }
        guard value.isFinite, value > 0 else { throw bad(option, "a positive number", value) }
    }

    /// A finite number, 0 or more.
    static func nonNegative<T: BinaryFloatingPoint>(_ value: T?, _ option: String) throws {
        guard let value else { return }
        guard value.isFinite, value >= 0 else { throw bad(option, "a number ≥ 0", value) }
    }

    /// A finite number in [0, 1).
    static func fraction<T: BinaryFloatingPoint>(_ value: T?, _ option: String) throws {
        guard let value else { return }
        guard value.isFinite, value >= 0, value < 1 else { throw bad(option, "a number in [0, 1)", value) }
    }

    /// A whole number at least `minimum`.
    static func atLeast(_ minimum: Int, _ value: Int?, _ option: String) throws {
        guard let value, value < minimum else { return }
        throw ValidationError("\(option) must be \(minimum == 1 ? "a positive whole number" : "a whole number ≥ \(minimum)"), got \(value)")
    }

    private static func bad<T: BinaryFloatingPoint>(_ option: String, _ expected: String, _ value: T) -> ValidationError {
        ValidationError("\(option) must be \(expected), got \(String(format: "%g", Double(value)))")
    }
}
