// What this CPU can run, read with CPUID (and XGETBV for what the OS enabled), so the BLAS
// loader can pick an OpenBLAS kernel family and `textclf doctor` can show what it saw.
import COpenBLAS
import Foundation

/// The instruction-set features that matter for choosing BLAS kernels, plus the CPU's name.
public struct CPUFeatures: Sendable, Equatable {
    /// Brand string, e.g. "Intel(R) Xeon(R) Processor" (from CPUID, else /proc/cpuinfo).
    public var modelName: String
    /// Feature names in /proc/cpuinfo spelling ("avx2", "fma", "avx512f", ...), only those
    /// usable here: AVX and AVX-512 count only if the OS saves their register state.
    public var flags: Set<String>

    public init(modelName: String, flags: Set<String>) {
        self.modelName = modelName
        self.flags = flags
    }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// The features of the machine we run on.
    public static let current: CPUFeatures = detect()

    /// The flags shown by `doctor` and used for the kernel choice, in a fixed order.
    public static let reportedFlags = [
        "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "fma", "avx2",
        "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    ]

    private static func detect() -> CPUFeatures {
        #if arch(x86_64)
        return detectWithCPUID()
        #else
        return CPUFeatures(modelName: procCPUInfoValue("model name") ?? "unknown", flags: [])
        #endif
    }

    #if arch(x86_64)
    private static func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> [UInt32] {
        var regs: [UInt32] = [0, 0, 0, 0]
        let ok = regs.withUnsafeMutableBufferPointer { textclf_cpuid(leaf, subleaf, $0.baseAddress) }
        return ok != 0 ? regs : [0, 0, 0, 0]
    }

    private static func detectWithCPUID() -> CPUFeatures {
        func bit(_ r: UInt32, _ n: UInt32) -> Bool { (r >> n) & 1 == 1 }
        let maxLeaf = cpuid(0)[0]
        let leaf1 = cpuid(1)
        let leaf7 = maxLeaf >= 7 ? cpuid(7, 0) : [0, 0, 0, 0]
        let leaf7s1 = maxLeaf >= 7 ? cpuid(7, 1) : [0, 0, 0, 0]
        let (ecx1, edx1) = (leaf1[2], leaf1[3])
        let (ebx7, ecx7) = (leaf7[1], leaf7[2])

        let osxsave = bit(ecx1, 27)
        let xcr0 = osxsave ? textclf_xgetbv0() : 0
        let osAVX = xcr0 & 0x6 == 0x6            // XMM and YMM state
        let osAVX512 = osAVX && xcr0 & 0xE0 == 0xE0  // opmask, ZMM_Hi256, Hi16_ZMM

        var flags = Set<String>()
        func add(_ name: String, _ present: Bool) { if present { flags.insert(name) } }
        add("sse2", bit(edx1, 26))
        add("sse3", bit(ecx1, 0))
        add("ssse3", bit(ecx1, 9))
        add("sse4_1", bit(ecx1, 19))
        add("sse4_2", bit(ecx1, 20))
        add("avx", osAVX && bit(ecx1, 28))
        add("fma", osAVX && bit(ecx1, 12))
        add("f16c", osAVX && bit(ecx1, 29))
        add("avx2", osAVX && bit(ebx7, 5))
        add("avx512f", osAVX512 && bit(ebx7, 16))
        add("avx512dq", osAVX512 && bit(ebx7, 17))
        add("avx512cd", osAVX512 && bit(ebx7, 28))
        add("avx512bw", osAVX512 && bit(ebx7, 30))
        add("avx512vl", osAVX512 && bit(ebx7, 31))
        add("avx512_vnni", osAVX512 && bit(ecx7, 11))
        add("avx512_bf16", osAVX512 && bit(leaf7s1[0], 5))

        return CPUFeatures(modelName: brandString() ?? procCPUInfoValue("model name") ?? "unknown", flags: flags)
    }

    private static func brandString() -> String? {
        guard cpuid(0x8000_0000)[0] >= 0x8000_0004 else { return nil }
        var bytes: [UInt8] = []
        for leaf in UInt32(0x8000_0002)...0x8000_0004 {
            for reg in cpuid(leaf) {
                for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: reg >> UInt32(shift))) }
            }
        }
        let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? nil : name
    }
    #endif

    /// A `key : value` line of /proc/cpuinfo (first processor), or nil where there is none.
    static func procCPUInfoValue(_ key: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
