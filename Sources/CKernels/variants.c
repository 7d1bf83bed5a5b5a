// The kernels of kernels_body.h compiled once per instruction set, named by feature (never by
// CPU model), plus the table that dispatch.c chooses from. This is what
// __attribute__((target_clones("avx512f", "avx2", "default"))) generates, written out: an ifunc
// always resolves to the best clone, and the tests need each variant on one machine.
#include "CKernels.h"
#include "variants.h"

// No fused multiply-add: a·b + c rounds twice, as in the Swift kernels, in every variant.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
// The helpers that pass 16-lane vectors by value are always inlined: no call crosses the ABI
// difference the warning is about.
#pragma clang diagnostic ignored "-Wpsabi"

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#define TC_SUFFIX avx512f
#include "kernels_body.h"
#undef TC_SUFFIX
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define TC_SUFFIX avx2
#include "kernels_body.h"
#undef TC_SUFFIX
#pragma clang attribute pop

#define TC_SUFFIX default
#include "kernels_body.h"
#undef TC_SUFFIX

const tc_table *const tc_tables[3] = {&table_default, &table_avx2, &table_avx512f};
