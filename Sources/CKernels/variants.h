// The vector types the kernels are written in, and the table of one variant's kernels.
#ifndef TEXTCLF_CKERNELS_VARIANTS_H
#define TEXTCLF_CKERNELS_VARIANTS_H

#include <stddef.h>
#include <stdint.h>
#include "CKernels.h"

// Sixteen lanes, like TensorEngine's Vec (SIMD16<Float>): one register under AVX-512, two
// under AVX2, four under SSE2, with the same per-lane results.
typedef float vf __attribute__((vector_size(64)));
typedef int vi __attribute__((vector_size(64)));
typedef unsigned vu __attribute__((vector_size(64)));
typedef uint64_t vu64 __attribute__((vector_size(128)));
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef float v2f __attribute__((vector_size(8)));

typedef struct {
    void (*gelu_forward)(float *, const float *, long, int);
    void (*gelu_backward)(float *, const float *, const float *, long, int);
    void (*tanh_forward)(float *, const float *, long);
    void (*tanh_backward)(float *, const float *, const float *, long);
    void (*layernorm_forward)(float *, float *, float *, const float *, const float *, const float *, long, long, float);
    void (*layernorm_backward)(float *, float *, float *, const float *, const float *, const float *, const float *,
                               const float *, long, long);
    void (*softmax_row)(float *, long);
    void (*softmax_backward_row)(float *, const float *, long, float);
    void (*dropout)(float *, const float *, long, long, uint64_t, float, float, int);
    void (*dropout_mask_gradient)(float *, const float *, long, float);
    void (*adamw)(float *, const float *, float *, float *, long, const tc_adamw_constants *);
    void (*embedding_gather)(float *, const float *, const int32_t *, long, long, int);
    void (*add)(float *, const float *, const float *, long);
    void (*add_in_place)(float *, const float *, long);
    void (*axpy)(float *, float, const float *, long);
} tc_table;

/// Indexed by TC_ISA_DEFAULT, TC_ISA_AVX2, TC_ISA_AVX512F.
extern const tc_table *const tc_tables[3];

#endif
