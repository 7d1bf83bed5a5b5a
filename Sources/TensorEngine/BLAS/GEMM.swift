// The one matrix-multiply entry point: row-major single-precision GEMM on OpenBLAS.
// Transpose flags let callers use weights in either layout ([in, out] like HF GPT-2's
// Conv1D, or [out, in] like nn.Linear) without copying them.
import CKernels

extension BLAS {
    /// C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C, all row-major.
    ///
    /// `op(X)` is X or Xᵀ; `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored
    /// (so for a transposed A stored as [k, m], lda ≥ m). With beta = 0, C need not be
    /// initialised. Call from one thread at a time: OpenBLAS parallelises inside.
    @inline(__always)
    public static func sgemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112  // cblas.h values
        if m == 1 && n > 0 && k > 0 {
            // One row (a generation step, attention of one query): a matrix-vector product.
            // OpenBLAS's sgemm would first pack (copy) all of B, tripling the memory traffic.
            // cᵀ = op(B)ᵀ · aᵀ, where aᵀ is A's row (stride 1) or, transposed, its column (stride lda).
            functions.sgemv(rowMajor, transposeB ? noTrans : trans, Int32(transposeB ? n : k), Int32(transposeB ? k : n),
                            alpha, b, Int32(ldb), a, Int32(transposeA ? lda : 1), beta, c, 1)
            return
        }
        // OpenBLAS threads a product this big (its own threshold); our spinning kernel workers
        // would take a core from them.
        if m * n * k >= 1 << 18 && tc_pool_inside_job() == 0 { tc_pool_park() }
        functions.sgemm(rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                        beta, c, Int32(ldc))
    }
}
