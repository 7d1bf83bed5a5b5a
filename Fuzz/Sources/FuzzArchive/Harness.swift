// Archive reader (zip, tar, tar.gz, .gz, plain): any bytes, saved under a name picked by the
// first byte, must list and stream every member, or fail with a ReadError naming the file.
import DataIO
import FuzzSupport

let names = ["fuzz.zip", "fuzz.tar.gz", "fuzz.bin", "fuzz.csv.gz", "fuzz.tar"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let name = names[Int(data[0]) % names.count]
    let path = writeScratchFile(name, UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard let archive = expectingInputError(naming: path, { try ArchiveReader(path: path) }) else { return 0 }
    guard let members = expectingInputError(naming: path, { try archive.members() }) else { return 0 }
    for member in members.prefix(16) {
        do {
            let stream = try archive.open(member: member.name)
            let count = try drain(stream)
            // Opening by name gives the first of several members of that name.
            if let size = member.size, count < 1 << 22, archive.kind != .plainFile,
               members.filter({ $0.name == member.name }).count == 1 {
                require(count == size, "member \(member.name) lists \(size) bytes, \(count) were read")
            }
        } catch let error as ReadError where error.kind == .missingMember && !isGlob(member.name) {
            violated("listed member \(member.name.debugDescription) cannot be opened: \(error)")
        } catch {
            checkInputError(error, naming: path)
        }
    }
    expectingInputError(naming: path) { _ = try drain(archive.open(member: nil)) }
    expectingInputError(naming: path) { _ = try drain(archive.open(member: "*.csv")) }
    expectingInputError(naming: path) { _ = try archive.readAll(member: "missing.txt") }
    return 0
}

func isGlob(_ name: String) -> Bool { name.contains { "*?[".contains($0) } }
