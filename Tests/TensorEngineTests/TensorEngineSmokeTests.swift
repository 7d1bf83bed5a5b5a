import XCTest
import TensorEngine
