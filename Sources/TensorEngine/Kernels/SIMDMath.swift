// Vector helpers for the kernels: 16-float loads/stores and exp / tanh / erf written with
// plain SIMD arithmetic (stdlib helpers such as `rounded` or `pointwiseMax` become scalar
// loops or calls at the baseline x86-64 target; comparisons + `replacing` stay vectorised).

typealias Vec = SIMD16<Float>
let vecWidth = 16

@inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> Vec {
    UnsafeRawPointer(p + i).loadUnaligned(as: Vec.self)
}

@inline(__always) func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> Vec {
    UnsafeRawPointer(p + i).loadUnaligned(as: Vec.self)
}

@inline(__always) func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Vec.self)
}

/// Sum of the lanes, pairwise (less rounding than a running sum).
@inline(__always) func horizontalSum(_ v: Vec) -> Float {
    let v8 = v.lowHalf + v.highHalf
    let v4 = v8.lowHalf + v8.highHalf
    let v2 = v4.lowHalf + v4.highHalf
    return v2[0] + v2[1]
}

@inline(__always) func horizontalMax(_ v: Vec) -> Float {
    var m = v[0]
    for i in 1..<vecWidth where v[i] > m { m = v[i] }
    return m
}

@inline(__always) func clamp(_ x: Vec, _ lo: Float, _ hi: Float) -> Vec {
    var y = x.replacing(with: lo, where: x .< lo)
    y = y.replacing(with: hi, where: y .> hi)
    return y
}

/// e^x to about 2 ulp (Cephes expf): x = n·ln2 + r, e^r by a degree-5 polynomial,
/// 2^n assembled in the exponent bits. Inputs are clamped to avoid overflow.
@inline(__always) func exp(_ x: Vec) -> Vec {
    let x = clamp(x, -87.33654, 88.72283)
    // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick: the integer ends up
    // in the low mantissa bits, which also gives 2^n without a float-to-int conversion.
    let magic: Float = 12_582_912
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p: Vec = Vec(repeating: 1.987_569_1e-4)
    p = p * r + 1.398_199_9e-3
    p = p * r + 8.333_452e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_5e-1
    p = p * r + 0.5
    p = p * (r * r) + r + 1
    let bits = unsafeBitCast(shifted, to: SIMD16<Int32>.self)
    let twoToN = unsafeBitCast((bits &- 0x4B3F_FF81) &<< 23, to: Vec.self)
    return p * twoToN
}

/// tanh(x) = 1 − 2 / (e^{2x} + 1): exact limits ±1, absolute error ~1e-7 near 0.
@inline(__always) func tanh(_ x: Vec) -> Vec {
    1 - 2 / (exp(x + x) + 1)
}

/// erf(x), Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), odd-symmetric.
@inline(__always) func erf(_ x: Vec) -> Vec {
    let negative = x .< 0
    let a = x.replacing(with: -x, where: negative)
    let t = 1 / (1 + 0.327_591_1 * a)
    var poly: Vec = Vec(repeating: 1.061_405_429)
    poly = poly * t - 1.453_152_027
    poly = poly * t + 1.421_413_741
    poly = poly * t - 0.284_496_736
    poly = poly * t + 0.254_829_592
    let y = 1 - poly * t * exp(-(a * a))
    return y.replacing(with: -y, where: negative)
}
