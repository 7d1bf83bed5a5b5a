import XCTest
import Tokenizers
