import Datasets
import XCTest

/// The built-in adapters' text clean-ups, on strings shaped like the data.
final class TextCleaningTests: XCTestCase {
    func testAGNewsEscapes() {
        XCTAssertEqual(AGNewsDataset.clean("the  #36;10 million prize"), "the $10 million prize")
        XCTAssertEqual(AGNewsDataset.clean("Newsday #146;s Stephen"), "Newsday\u{2019}s Stephen")
        XCTAssertEqual(AGNewsDataset.clean("vowing:  quot;After the fall quot; he said"), "vowing: \"After the fall\" he said")
        XCTAssertEqual(AGNewsDataset.clean("Johnson  amp; Johnson"), "Johnson & Johnson")
        XCTAssertEqual(AGNewsDataset.clean("Dell Inc. &lt;DELL.O&gt;, the"), "Dell Inc. <DELL.O>, the")
        XCTAssertEqual(AGNewsDataset.clean("convention  #151; California"), "convention \u{2014} California")
        XCTAssertEqual(AGNewsDataset.clean("it #39;s"), "it's")
        XCTAssertEqual(AGNewsDataset.clean("for just over \\$1 billion"), "for just over $1 billion")
        XCTAssertEqual(AGNewsDataset.clean("a second\\team of"), "a second\nteam of")
        XCTAssertEqual(AGNewsDataset.clean("distribution.\\\\I think"), "distribution.\n\nI think")
        XCTAssertEqual(AGNewsDataset.clean("  Turner   Newall  "), "Turner Newall")
        // Not entities: left alone.
        XCTAssertEqual(AGNewsDataset.clean("R&D spending; more"), "R&D spending; more")
        XCTAssertEqual(AGNewsDataset.clean("the #1 seed; again"), "the #1 seed; again")
    }

    func testAGNewsTitleJoin() {
        XCTAssertEqual(AGNewsDataset.joinTitle("Fears for pension after talks", "Unions say"), "Fears for pension after talks. Unions say")
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
