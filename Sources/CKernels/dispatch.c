// Which variant the kernels run: the best this CPU has (AVX-512F, then AVX2, then baseline),
// unless TEXTCLF_KERNEL_ISA names another at startup (a wrong or unsupported name is a
// one-line error, exit 2) or tc_set_isa changes it (tests and benchmarks). "swift" is
// TensorEngine's: its Swift loops run instead of these kernels.
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CKernels.h"
#include "variants.h"

static _Atomic int active_isa = -1;

int tc_isa_best(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return TC_ISA_AVX512F;
    if (__builtin_cpu_supports("avx2")) return TC_ISA_AVX2;
    return TC_ISA_DEFAULT;
}

const char *tc_isa_name(int isa) {
    switch (isa) {
    case TC_ISA_DEFAULT: return "default";
    case TC_ISA_AVX2: return "avx2";
    case TC_ISA_AVX512F: return "avx512f";
    default: return NULL;
    }
}

int tc_set_isa(int isa) {
    if (isa < TC_ISA_DEFAULT || isa > tc_isa_best()) return 0;
    atomic_store_explicit(&active_isa, isa, memory_order_relaxed);
    return 1;
}

__attribute__((constructor)) static void choose_isa(void) {
    int best = tc_isa_best();
    const char *requested = getenv("TEXTCLF_KERNEL_ISA");
    tc_set_isa(best);
    if (!requested || !*requested || strcmp(requested, "swift") == 0) return;
    for (int isa = TC_ISA_DEFAULT; isa <= TC_ISA_AVX512F; isa++) {
        if (strcmp(requested, tc_isa_name(isa)) != 0) continue;
        if (tc_set_isa(isa)) return;
        fprintf(stderr, "error: TEXTCLF_KERNEL_ISA=%s: this CPU does not have %s (best: %s)\n", requested, requested,
                tc_isa_name(best));
        exit(2);
    }
    fprintf(stderr, "error: TEXTCLF_KERNEL_ISA=%s is not one of default, avx2, avx512f, swift\n", requested);
    exit(2);
}

int tc_isa_active(void) { return atomic_load_explicit(&active_isa, memory_order_relaxed); }

static inline const tc_table *table(void) { return tc_tables[tc_isa_active()]; }

void tc_gelu_forward(float *out, const float *x, long count, int kind) { table()->gelu_forward(out, x, count, kind); }
void tc_gelu_backward(float *dx, const float *dout, const float *x, long count, int kind) {
    table()->gelu_backward(dx, dout, x, count, kind);
}
void tc_tanh_forward(float *out, const float *x, long count) { table()->tanh_forward(out, x, count); }
void tc_tanh_backward(float *dx, const float *dout, const float *y, long count) { table()->tanh_backward(dx, dout, y, count); }
void tc_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *weight, const float *bias,
                          long rows, long cols, float eps) {
    table()->layernorm_forward(out, mean, rstd, x, weight, bias, rows, cols, eps);
}
void tc_layernorm_backward(float *dx, float *dweight, float *dbias, const float *dout, const float *x, const float *weight,
                           const float *mean, const float *rstd, long rows, long cols) {
    table()->layernorm_backward(dx, dweight, dbias, dout, x, weight, mean, rstd, rows, cols);
}
void tc_softmax_row(float *row, long count) { table()->softmax_row(row, count); }
void tc_softmax_backward_row(float *dp, const float *p, long count, float scale) {
    table()->softmax_backward_row(dp, p, count, scale);
}
void tc_dropout(float *out, const float *x, long count, long first, uint64_t key, float rate, float keep_scale, int accumulate) {
    table()->dropout(out, x, count, first, key, rate, keep_scale, accumulate);
}
void tc_dropout_mask_gradient(float *row, const float *dropped, long count, float keep_scale) {
    table()->dropout_mask_gradient(row, dropped, count, keep_scale);
}
void tc_adamw(float *p, const float *g, float *m, float *v, long count, const tc_adamw_constants *c) {
    table()->adamw(p, g, m, v, count, c);
}
void tc_embedding_gather(float *out, const float *table_, const int32_t *ids, long rows, long dim, int accumulate) {
    table()->embedding_gather(out, table_, ids, rows, dim, accumulate);
}
void tc_add(float *out, const float *a, const float *b, long count) { table()->add(out, a, b, count); }
void tc_add_in_place(float *y, const float *x, long count) { table()->add_in_place(y, x, count); }
void tc_axpy(float *y, float alpha, const float *x, long count) { table()->axpy(y, alpha, x, count); }
