import Datasets
import XCTest

/// The built-in adapters' text clean-ups, on strings shaped like the data.
final class TextCleaningTests: XCTestCase {
    func testAGNewsEscapes() {
        XCTAssertEqual(AGNewsDataset.clean("a  #36;5 fee"), "a $5 fee")
        XCTAssertEqual(AGNewsDataset.clean("Acme #146;s chief"), "Acme\u{2019}s chief")
        XCTAssertEqual(AGNewsDataset.clean("said:  quot;Go on quot; twice"), "said: \"Go on\" twice")
        XCTAssertEqual(AGNewsDataset.clean("Smith  amp; Jones"), "Smith & Jones")
        XCTAssertEqual(AGNewsDataset.clean("Acme Corp. &lt;ACME.O&gt;, a"), "Acme Corp. <ACME.O>, a")
        XCTAssertEqual(AGNewsDataset.clean("meeting  #151; Paris"), "meeting \u{2014} Paris")
        XCTAssertEqual(AGNewsDataset.clean("it #39;s"), "it's")
        XCTAssertEqual(AGNewsDataset.clean("costs \\$3 now"), "costs $3 now")
        XCTAssertEqual(AGNewsDataset.clean("one line\\another"), "one line\nanother")
        XCTAssertEqual(AGNewsDataset.clean("end.\\\\Next"), "end.\n\nNext")
        XCTAssertEqual(AGNewsDataset.clean("  Alpha   Beta  "), "Alpha Beta")
        // Not entities: left alone.
        XCTAssertEqual(AGNewsDataset.clean("R&D spending; more"), "R&D spending; more")
        XCTAssertEqual(AGNewsDataset.clean("the #1 seed; again"), "the #1 seed; again")
    }

    func testAGNewsTitleJoin() {
        XCTAssertEqual(AGNewsDataset.joinTitle("Plans for a new park", "The council says"), "Plans for a new park. The council says")
        XCTAssertEqual(AGNewsDataset.joinTitle("Is it over?", "Maybe."), "Is it over? Maybe.")
        XCTAssertEqual(AGNewsDataset.joinTitle("Markets:", "Stocks rose."), "Markets: Stocks rose.")
        XCTAssertEqual(AGNewsDataset.joinTitle("", "Only a description."), "Only a description.")
    }

    func testIMDBLineBreakTags() {
        XCTAssertEqual(IMDBDataset.replaceLineBreakTags("One.<br /><br />Two<br/>three<BR>four"), "One.\n\nTwo\nthree\nfour")
        XCTAssertEqual(IMDBDataset.replaceLineBreakTags("a <b>bold</b> 1<2"), "a <b>bold</b> 1<2")
        XCTAssertEqual(IMDBDataset.replaceLineBreakTags("<=8.<br />"), "<=8.\n")
    }
}
