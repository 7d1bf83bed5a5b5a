import XCTest
import DataIO
