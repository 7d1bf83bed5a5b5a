// See include/textclf_dnnl.h. oneDNN's header gives the types; every function is reached
// through a pointer from dlsym, so nothing links libdnnl.
#include "textclf_dnnl.h"
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNNL_FUNCTIONS(X) \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_memory_desc_init_by_strides) \
    X(dnnl_matmul_desc_init) X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) \
    X(dnnl_primitive_attr_set_output_scales) X(dnnl_primitive_attr_set_post_ops) \
    X(dnnl_primitive_attr_set_scratchpad_mode) X(dnnl_post_ops_create) X(dnnl_post_ops_destroy) \
    X(dnnl_post_ops_append_sum) X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) \
    X(dnnl_primitive_desc_query_md) X(dnnl_primitive_desc_query) X(dnnl_memory_desc_get_size) \
    X(dnnl_primitive_create) X(dnnl_primitive_destroy) X(dnnl_memory_create) X(dnnl_memory_destroy) \
    X(dnnl_primitive_execute) X(dnnl_stream_wait) X(dnnl_get_effective_cpu_isa) X(dnnl_version)

#define DECLARE(name) static __typeof__(&name) p_##name;
DNNL_FUNCTIONS(DECLARE)
#undef DECLARE
static void (*p_omp_set_num_threads)(int);
static int (*p_omp_get_max_threads)(void);

static const char *candidates[] = {"libdnnl.so.2", "/usr/lib/x86_64-linux-gnu/libdnnl.so.2",
                                   "/usr/lib/aarch64-linux-gnu/libdnnl.so.2", "libdnnl.so", "libdnnl.dylib"};
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static const char *loaded_path = "";
static dnnl_engine_t engine;

static void load(void) {
    void *handle = NULL;
    const char *last = "none";
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !handle; i++) {
        handle = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) loaded_path = candidates[i];
        else { const char *e = dlerror(); if (e) last = e; }
    }
    if (!handle) {
        snprintf(load_error, sizeof load_error, "oneDNN not found (libdnnl.so.2); run `make setup` (installs libdnnl-dev). Last error: %s", last);
        return;
    }
#define RESOLVE(name) \
    if (!(p_##name = (__typeof__(p_##name))dlsym(handle, #name))) { \
        snprintf(load_error, sizeof load_error, "%s has no symbol %s; is it oneDNN 2.x?", loaded_path, #name); return; }
    DNNL_FUNCTIONS(RESOLVE)
#undef RESOLVE
    // dlsym on the handle also searches its dependencies: the OpenMP runtime oneDNN uses.
    p_omp_set_num_threads = (void (*)(int))dlsym(handle, "omp_set_num_threads");
    p_omp_get_max_threads = (int (*)(void))dlsym(handle, "omp_get_max_threads");
    if (p_dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
        snprintf(load_error, sizeof load_error, "oneDNN (%s) could not create a CPU engine", loaded_path);
}

int textclf_dnnl_load(char *error, int errorLength) {
    pthread_once(&load_once, load);
    if (load_error[0]) {
        if (error && errorLength > 0) snprintf(error, (size_t)errorLength, "%s", load_error);
        return 1;
    }
    return 0;
}

int textclf_dnnl_isa(void) { return (int)p_dnnl_get_effective_cpu_isa(); }

const char *textclf_dnnl_isa_name(int isa) {
    switch (isa) {
    case dnnl_cpu_isa_all: return "all";
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

void textclf_dnnl_version(int *major, int *minor, int *patch) {
    const dnnl_version_t *v = p_dnnl_version();
    *major = v->major; *minor = v->minor; *patch = v->patch;
}

const char *textclf_dnnl_path(void) { return loaded_path; }

void textclf_dnnl_set_threads(int count) { if (p_omp_set_num_threads) p_omp_set_num_threads(count < 1 ? 1 : count); }
int textclf_dnnl_threads(void) { return p_omp_get_max_threads ? p_omp_get_max_threads() : 1; }

uint16_t textclf_bf16_from_f32(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

float textclf_f32_from_bf16(uint16_t x) {
    uint32_t u = (uint32_t)x << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

struct textclf_matmul {
    dnnl_primitive_t primitive;
    int threads;
    dnnl_memory_desc_t a_md, b_md, c_md, scratchpad_md;
    size_t scratchpad_bytes;
    char implementation[64];
};

/// A row-major [rows, cols] operand as oneDNN sees it: logical dims, strides for op(X).
static dnnl_status_t operand(dnnl_memory_desc_t *md, int64_t rows, int64_t cols, int transposed, int64_t ld,
                             dnnl_data_type_t type) {
    dnnl_dims_t dims = {rows, cols};
    dnnl_dims_t strides = {transposed ? 1 : ld, transposed ? ld : 1};
    return p_dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides);
}

textclf_matmul *textclf_matmul_create(int kind, int64_t m, int64_t n, int64_t k,
                                      int transposeA, int transposeB, int64_t lda, int64_t ldb, int64_t ldc,
                                      float alpha, float beta, int threads, char *error, int errorLength) {
    if (textclf_dnnl_load(error, errorLength)) return NULL;
    dnnl_data_type_t ta = dnnl_f32, tb = dnnl_f32, tc = dnnl_f32;
    if (kind == TEXTCLF_MATMUL_BF16) {
        ta = tb = dnnl_bf16;
    } else if (kind == TEXTCLF_MATMUL_U8S8) {
        ta = dnnl_u8; tb = dnnl_s8; tc = dnnl_s32;
    }
    dnnl_memory_desc_t a_md, b_md, c_md;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    textclf_matmul *result = NULL;
    const char *step = "memory descriptors";
    if (threads < 1) threads = 1;
    // oneDNN plans a kernel's split between threads when the primitive is made.
    int previousThreads = textclf_dnnl_threads();
    textclf_dnnl_set_threads(threads);
    if (operand(&a_md, m, k, transposeA, lda, ta) || operand(&b_md, k, n, transposeB, ldb, tb)
        || operand(&c_md, m, n, 0, ldc, tc)) goto done;
    step = "matmul descriptor";
    if (p_dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md)) goto done;
    step = "attributes";
    if (p_dnnl_primitive_attr_create(&attr) || p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user))
        goto done;
    if (alpha != 1 && p_dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha)) goto done;
    if (beta != 0) {
        if (p_dnnl_post_ops_create(&ops) || p_dnnl_post_ops_append_sum(ops, beta)
            || p_dnnl_primitive_attr_set_post_ops(attr, ops)) goto done;
    }
    step = "primitive descriptor (no implementation for this case)";
    if (p_dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL)) goto done;
    result = calloc(1, sizeof *result);
    if (!result) goto done;
    step = "primitive";
    if (p_dnnl_primitive_create(&result->primitive, pd)) { free(result); result = NULL; goto done; }
    const dnnl_memory_desc_t *scratch = p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    result->scratchpad_bytes = scratch ? p_dnnl_memory_desc_get_size(scratch) : 0;
    if (scratch) result->scratchpad_md = *scratch;
    result->a_md = a_md; result->b_md = b_md; result->c_md = c_md;
    const char *impl = NULL;
    p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(result->implementation, sizeof result->implementation, "%s", impl ? impl : "unknown");
    result->threads = threads;
done:
    textclf_dnnl_set_threads(previousThreads);
    if (!result && error && errorLength > 0)
        snprintf(error, (size_t)errorLength, "oneDNN matmul %s (kind %d, %lldx%lldx%lld, transpose %d%d) failed at the %s",
                 "create", kind, (long long)m, (long long)k, (long long)n, transposeA, transposeB, step);
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    if (ops) p_dnnl_post_ops_destroy(ops);
    if (attr) p_dnnl_primitive_attr_destroy(attr);
    return result;
}

const char *textclf_matmul_implementation(const textclf_matmul *matmul) { return matmul->implementation; }

void textclf_matmul_destroy(textclf_matmul *matmul) {
    if (!matmul) return;
    p_dnnl_primitive_destroy(matmul->primitive);
    free(matmul);
}

/// A growable buffer owned by one thread.
struct buffer { void *data; size_t bytes; };
static _Thread_local struct buffer scratchpad_buffer, a_buffer, b_buffer;
static _Thread_local dnnl_stream_t thread_stream;

static void *reserve(struct buffer *buffer, size_t bytes) {
    if (bytes > buffer->bytes) {
        free(buffer->data);
        // 64-byte alignment: what oneDNN's kernels prefer for their scratchpad.
        size_t rounded = (bytes + 63) & ~(size_t)63;
        buffer->data = aligned_alloc(64, rounded);
        buffer->bytes = buffer->data ? rounded : 0;
    }
    return buffer->data;
}

static dnnl_memory_t wrap(const dnnl_memory_desc_t *md, const void *data) {
    dnnl_memory_t memory = NULL;
    if (p_dnnl_memory_create(&memory, md, engine, (void *)data)) return NULL;
    return memory;
}

int textclf_bf16_buffers(int64_t aCount, int64_t bCount, uint16_t **a16, uint16_t **b16) {
    *a16 = reserve(&a_buffer, (size_t)aCount * 2);
    *b16 = reserve(&b_buffer, (size_t)bCount * 2);
    return *a16 && *b16 ? 0 : 1;
}

int textclf_matmul_execute(const textclf_matmul *mm, const void *a, const void *b, void *c) {
    if (!thread_stream && p_dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags)) return 1;
    void *scratch = mm->scratchpad_bytes ? reserve(&scratchpad_buffer, mm->scratchpad_bytes) : NULL;
    if (mm->scratchpad_bytes && !scratch) return 1;
    dnnl_memory_t am = wrap(&mm->a_md, a), bm = wrap(&mm->b_md, b), cm = wrap(&mm->c_md, c);
    dnnl_memory_t sm = scratch ? wrap(&mm->scratchpad_md, scratch) : NULL;
    int status = 1;
    int previousThreads = textclf_dnnl_threads();
    if (previousThreads != mm->threads) textclf_dnnl_set_threads(mm->threads);
    if (am && bm && cm && (sm || !scratch)) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {DNNL_ARG_SCRATCHPAD, sm}};
        status = p_dnnl_primitive_execute(mm->primitive, thread_stream, sm ? 4 : 3, args) != dnnl_success
                 || p_dnnl_stream_wait(thread_stream) != dnnl_success;
    }
    if (previousThreads != mm->threads) textclf_dnnl_set_threads(previousThreads);
    if (am) p_dnnl_memory_destroy(am);
    if (bm) p_dnnl_memory_destroy(bm);
    if (cm) p_dnnl_memory_destroy(cm);
    if (sm) p_dnnl_memory_destroy(sm);
    return status;
}
