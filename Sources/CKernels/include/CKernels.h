// Element-wise kernels for the vector units, compiled three times (AVX-512F, AVX2 and baseline
// x86-64) and chosen at run time (see dispatch.c). Every kernel does the same IEEE float
// operations in the same order as TensorEngine's Swift kernels (16 lanes at a time, the same
// pairwise lane sums, no fused multiply-add), so each variant's results are bit-for-bit those
// of the Swift code whatever the vector width.
#ifndef TEXTCLF_CKERNELS_H
#define TEXTCLF_CKERNELS_H

#include <stdint.h>

/// Instruction sets, lowest first. TC_ISA_DEFAULT is baseline x86-64 (SSE2).
enum { TC_ISA_DEFAULT = 0, TC_ISA_AVX2 = 1, TC_ISA_AVX512F = 2 };

/// The best variant this CPU runs.
int tc_isa_best(void);
/// The variant the kernels dispatch to: the best, unless TEXTCLF_KERNEL_ISA or tc_set_isa chose another.
int tc_isa_active(void);
/// Dispatches to `isa` from now on; returns 0 (and changes nothing) if this CPU cannot run it.
int tc_set_isa(int isa);
/// How many CPUs this process may run on (its affinity mask), or 0 if that cannot be read.
int tc_cpus_allowed(void);
/// A job for the kernel workers: `task(context, chunk)` for every chunk in 0..<chunks.
typedef void (*tc_pool_task)(void *context, long chunk);
/// Runs every chunk on the calling thread and `helpers` helper threads (started on first use;
/// they spin TEXTCLF_SPIN_US microseconds, default 100, between jobs before they sleep).
/// Returns 0 once all chunks are done, or 1 without running any if the pool cannot take the
/// job: fewer than 2 chunks, called from inside a job, or another thread's job is running.
int tc_pool_run(long chunks, tc_pool_task task, void *context, int helpers);
/// Sends spinning helpers to sleep now: called before a library runs threads of its own.
void tc_pool_park(void);
/// 1 on a thread while it runs chunks of a job.
int tc_pool_inside_job(void);
/// "avx512f", "avx2" or "default"; NULL for an unknown number.
const char *tc_isa_name(int isa);

/// GELU: kind 0 tanh form, 1 erf form. Backward accumulates dx += dout · gelu'(x).
void tc_gelu_forward(float *out, const float *x, long count, int kind);
void tc_gelu_backward(float *dx, const float *dout, const float *x, long count, int kind);

/// tanh; backward dx += dout · (1 − y²) from the output y.
void tc_tanh_forward(float *out, const float *x, long count);
void tc_tanh_backward(float *dx, const float *dout, const float *y, long count);

/// LayerNorm of rows [rows, cols]; mean and rstd may be NULL.
void tc_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *weight,
                          const float *bias, long rows, long cols, float eps);
/// Accumulates dx (if non-NULL) and the partial sums dweight/dbias (both or neither NULL).
void tc_layernorm_backward(float *dx, float *dweight, float *dbias, const float *dout, const float *x,
                           const float *weight, const float *mean, const float *rstd, long rows, long cols);

/// row = softmax(row) over count entries (max subtracted first).
void tc_softmax_row(float *row, long count);
/// dp[j] = p[j] · (dp[j] − Σ_k dp[k]·p[k]) · scale, in place.
void tc_softmax_backward_row(float *dp, const float *p, long count, float scale);

/// Inverted dropout of elements first..first+count of a mask keyed by `key` (SplitMix64 hash
/// of key + index·golden ratio, as DropoutKernel): out = x · mask, or out += x · mask.
void tc_dropout(float *out, const float *x, long count, long first, uint64_t key, float rate,
                float keep_scale, int accumulate);
/// row[j] = d[j] == 0 ? 0 : row[j] · keep_scale (attention dropout's gradient).
void tc_dropout_mask_gradient(float *row, const float *dropped, long count, float keep_scale);

/// One AdamW update (see Training's AdamW for the formula).
typedef struct {
    float decay, step_size, correction2_sqrt, one_minus_beta1, beta2, one_minus_beta2, eps;
} tc_adamw_constants;
void tc_adamw(float *p, const float *g, float *m, float *v, long count, const tc_adamw_constants *c);

/// out[r] = table[ids[r]] (accumulate 0) or out[r] += table[ids[r]], rows of dim floats.
void tc_embedding_gather(float *out, const float *table, const int32_t *ids, long rows, long dim, int accumulate);

/// out = a + b; y += x; y += alpha · x.
void tc_add(float *out, const float *a, const float *b, long count);
void tc_add_in_place(float *y, const float *x, long count);
void tc_axpy(float *y, float alpha, const float *x, long count);

#endif
