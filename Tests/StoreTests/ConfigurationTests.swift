import Foundation
import Store
import XCTest

final class ConfigurationTests: XCTestCase {
    func testCacheDirectoryPrecedence() {
        let all = ["TEXTCLF_HOME": "/t/home", "XDG_CACHE_HOME": "/t/xdg", "HOME": "/t/user"]
        XCTAssertEqual(StoreConfiguration.fromEnvironment(all).cacheDirectory.path, "/t/home")
        XCTAssertEqual(StoreConfiguration.fromEnvironment(all.filter { $0.key != "TEXTCLF_HOME" }).cacheDirectory.path, "/t/xdg/textclf")
        XCTAssertEqual(StoreConfiguration.fromEnvironment(["HOME": "/t/user"]).cacheDirectory.path, "/t/user/.cache/textclf")
        XCTAssertEqual(StoreConfiguration.fromEnvironment(["TEXTCLF_HOME": "", "HOME": "/t/user"]).cacheDirectory.path, "/t/user/.cache/textclf")
    }

    func testMirrorsOfflineAndManifestsFromTheEnvironment() {
        let config = StoreConfiguration.fromEnvironment(["HOME": "/h", "TEXTCLF_MIRROR": "/m/one::/m/two",
                                                         "TEXTCLF_OFFLINE": "1", "TEXTCLF_MANIFEST": "/x/a.json"])
        XCTAssertEqual(config.mirrors.map(\.path), ["/m/one", "/m/two"])
        XCTAssertTrue(config.offline)
        XCTAssertEqual(config.manifestFiles.map(\.path), ["/x/a.json"])
        XCTAssertEqual(config.userManifestFile.path, "/h/.cache/textclf/manifest.json")
        for (value, offline) in [("0", false), ("", false), ("true", true), ("yes", true), ("no", false)] {
            XCTAssertEqual(StoreConfiguration.fromEnvironment(["HOME": "/h", "TEXTCLF_OFFLINE": value]).offline, offline, value)
        }
        XCTAssertEqual(StoreConfiguration.fromEnvironment(["HOME": "/h"]).mirrors, [])
    }

    func testBackoffDoublesAndIsCapped() {
        let policy = RetryPolicy(attempts: 5, initialDelay: 1, maxDelay: 3)
        XCTAssertEqual((1 ... 4).map { policy.delay(beforeRetry: $0) }, [1, 2, 3, 3])
        XCTAssertEqual(RetryPolicy(attempts: 0).attempts, 1)
    }
}
