import Foundation

/// How user-given member names and globs are compared with the names stored in an archive.
public enum MemberPattern {
    /// True if `text` has glob characters (`*`, `?`, `[`) and so is matched, not compared.
    public static func isGlob(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// Shell-style matching (fnmatch(3)) in which `*` also crosses `/`, so `*/test.csv` finds
    /// `ag_news_csv/test.csv` and `*.csv` finds CSV files in any folder.
    public static func matches(glob: String, name: String) -> Bool {
        fnmatch(glob, stripDotSlash(name), 0) == 0
    }

    /// Exact comparison that ignores a leading `./` (tar archives made with `tar -C dir .` have it).
    public static func sameName(_ stored: String, _ asked: String) -> Bool {
        stripDotSlash(stored) == stripDotSlash(asked)
    }

    private static func stripDotSlash(_ name: String) -> String {
        name.hasPrefix("./") ? String(name.dropFirst(2)) : name
    }
}
