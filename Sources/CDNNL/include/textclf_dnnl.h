// A small matmul interface over oneDNN (libdnnl.so.2), loaded with dlopen so that the
// textclf binary runs where the library is absent (the engine then stays on OpenBLAS) and so
// that OpenMP settings can be chosen before libgomp initialises. Types stay opaque here:
// only textclf_dnnl.c sees oneDNN's headers.
#ifndef TEXTCLF_DNNL_H
#define TEXTCLF_DNNL_H
#include <stddef.h>
#include <stdint.h>

/// Loads libdnnl and resolves the functions below. 0 on success; otherwise a message in
/// `error`. Safe to call more than once (later calls return the first result).
int textclf_dnnl_load(char *error, int errorLength);

/// dnnl_get_effective_cpu_isa() (a dnnl_cpu_isa_t value) and its name, e.g. "avx512_core_bf16".
int textclf_dnnl_isa(void);
const char *textclf_dnnl_isa_name(int isa);
/// The library version, and the path dlopen found.
void textclf_dnnl_version(int *major, int *minor, int *patch);
const char *textclf_dnnl_path(void);

/// What a matmul reads and writes.
enum textclf_matmul_kind {
    /// f32 A and B, f32 C.
    TEXTCLF_MATMUL_F32 = 0,
    /// bf16 A and B (the caller rounds f32 to nearest even: textclf_pack_bf16), f32 accumulation and C.
    TEXTCLF_MATMUL_BF16 = 1,
    /// u8 A, s8 B, s32 C (the caller quantises and dequantises).
    TEXTCLF_MATMUL_U8S8 = 2,
};

typedef struct textclf_matmul textclf_matmul;

/// C[m, n] = alpha · op(A) · op(B) + beta · C, row-major with leading dimensions lda, ldb,
/// ldc as in cblas_sgemm; for the bf16 kind, lda and ldb are those of the bf16 copies the
/// caller passes. The kernel is planned for, and runs on, `threads` OpenMP threads (1: only
/// the calling thread, so that callers can split a product between threads of their own).
/// Returns NULL (and a message) if oneDNN has no implementation.
textclf_matmul *textclf_matmul_create(int kind, int64_t m, int64_t n, int64_t k,
                                      int transposeA, int transposeB, int64_t lda, int64_t ldb, int64_t ldc,
                                      float alpha, float beta, int threads, char *error, int errorLength);

/// Runs the matmul on these buffers (bf16 ones for the bf16 kind). Safe to call from several
/// threads at once: the scratchpad and the stream are the calling thread's own. 0 on success.
int textclf_matmul_execute(const textclf_matmul *matmul, const void *a, const void *b, void *c);

/// The calling thread's buffers for bf16 copies of A and B (at least aCount and bCount
/// elements). 0 on success (1: out of memory).
int textclf_bf16_buffers(int64_t aCount, int64_t bCount, uint16_t **a16, uint16_t **b16);

/// Rounds [rows, cols] f32 (row stride ld) to bf16 rows of length cols, as textclf_bf16_from_f32.
void textclf_pack_bf16(uint16_t *out, const float *in, int64_t rows, int64_t cols, int64_t ld);

/// The implementation oneDNN chose, e.g. "brg:avx512_core_bf16" (from the primitive desc).
const char *textclf_matmul_implementation(const textclf_matmul *matmul);

void textclf_matmul_destroy(textclf_matmul *matmul);

/// Rounds f32 to bf16 (nearest even; NaN stays NaN) and back: the tests' reference rounding.
uint16_t textclf_bf16_from_f32(float x);
float textclf_f32_from_bf16(uint16_t x);

/// OpenMP threads oneDNN uses for calls from this thread (omp_set_num_threads), and the current value.
void textclf_dnnl_set_threads(int count);
int textclf_dnnl_threads(void);

/// Dynamic per-row asymmetric u8 quantisation of x [rows, cols] (row stride ld) into q [rows, cols]:
/// x ≈ scale[r]·(q − zero[r]), the row's range [min(0, ·), max(0, ·)] mapped onto 0…255.
void textclf_quantize_rows_u8(const float *x, int64_t rows, int64_t cols, int64_t ld,
                              uint8_t *q, float *scale, int32_t *zero);

/// Per-output-channel symmetric s8 quantisation of a weight W = op(w) [k, n] (w stored [n, k] if
/// transposed): W[:, j] ≈ scale[j]·q[:, j], q in −127…127 stored [k, n] whatever w's layout (the
/// row-major weights oneDNN's int8 kernels read fastest); columnSums[j] = Σ_p q[p, j].
void textclf_quantize_columns_s8(const float *w, int64_t k, int64_t n, int transposed,
                                 int8_t *q, float *scale, int32_t *columnSums);

/// out[r, j] = rowScale[r]·columnScale[j]·(acc[r, j] − rowZero[r]·columnSums[j]) (+ bias[j]).
void textclf_dequantize(const int32_t *acc, int64_t rows, int64_t n, const float *rowScale, const int32_t *rowZero,
                        const float *columnScale, const int32_t *columnSums, const float *bias, float *out, int64_t ldo);
#endif
