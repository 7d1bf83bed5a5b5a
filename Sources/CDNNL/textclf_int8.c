// Conversions around the int8 and bf16 products (see include/textclf_dnnl.h): plain loops the
// compiler vectorises; they cost O(rows·cols) against the product's O(rows·cols·n), but the
// product runs at VNNI / AVX512_BF16 speed, so the per-call ones are cloned for the vector units
// (chosen at load by an ifunc; named by feature, never by CPU model) and callers split the rows
// between threads.
#include "textclf_dnnl.h"
#include <math.h>

#define TEXTCLF_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

TEXTCLF_VECTOR_CLONES
void textclf_quantize_rows_u8(const float *x, int64_t rows, int64_t cols, int64_t ld,
                              uint8_t *q, float *scale, int32_t *zero) {
    enum { LANES = 16 };
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * ld;
        // The range includes 0, so 0 is exact. Sixteen independent lanes, so the loop vectorises
        // without reordering a reduction; the lanes are combined after it.
        float los[LANES] = {0}, his[LANES] = {0};
        int64_t c = 0;
        for (; c + LANES <= cols; c += LANES) {
            for (int l = 0; l < LANES; l++) {
                float v = row[c + l];
                los[l] = v < los[l] ? v : los[l];
                his[l] = v > his[l] ? v : his[l];
            }
        }
        for (; c < cols; c++) {
            los[0] = row[c] < los[0] ? row[c] : los[0];
            his[0] = row[c] > his[0] ? row[c] : his[0];
        }
        float lo = 0, hi = 0;
        for (int l = 0; l < LANES; l++) {
            lo = los[l] < lo ? los[l] : lo;
            hi = his[l] > hi ? his[l] : hi;
        }
        float s = (hi - lo) / 255.0f;
        if (!(s > 0)) s = 1;  // an all-zero row (or NaN): any scale gives zeros
        int32_t z = (int32_t)lrintf(-lo / s);
        z = z < 0 ? 0 : (z > 255 ? 255 : z);
        float inverse = 1.0f / s;
        uint8_t *out = q + r * cols;
        for (int64_t j = 0; j < cols; j++) {
            float v = nearbyintf(row[j] * inverse) + (float)z;
            out[j] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
        scale[r] = s;
        zero[r] = z;
    }
}

void textclf_quantize_columns_s8(const float *w, int64_t k, int64_t n, int transposed,
                                 int8_t *q, float *scale, int32_t *columnSums) {
    for (int64_t j = 0; j < n; j++) {
        float hi = 0;
        for (int64_t p = 0; p < k; p++) {
            float v = fabsf(transposed ? w[j * k + p] : w[p * n + j]);
            hi = v > hi ? v : hi;
        }
        float s = hi > 0 ? hi / 127.0f : 1;
        float inverse = 1.0f / s;
        int32_t sum = 0;
        for (int64_t p = 0; p < k; p++) {
            float v = nearbyintf((transposed ? w[j * k + p] : w[p * n + j]) * inverse);
            int8_t value = (int8_t)(v < -127 ? -127 : (v > 127 ? 127 : v));
            q[p * n + j] = value;
            sum += value;
        }
        scale[j] = s;
        columnSums[j] = sum;
    }
}

TEXTCLF_VECTOR_CLONES
void textclf_dequantize(const int32_t *acc, int64_t rows, int64_t n, const float *rowScale, const int32_t *rowZero,
                        const float *columnScale, const int32_t *columnSums, const float *bias, float *out, int64_t ldo) {
    for (int64_t r = 0; r < rows; r++) {
        const int32_t *a = acc + r * n;
        float *o = out + r * ldo;
        float rs = rowScale[r];
        int32_t z = rowZero[r];
        for (int64_t j = 0; j < n; j++) {
            float v = (float)(a[j] - z * columnSums[j]) * rs * columnScale[j];
            o[j] = bias ? v + bias[j] : v;
        }
    }
}

TEXTCLF_VECTOR_CLONES
void textclf_pack_bf16(uint16_t *out, const float *in, int64_t rows, int64_t cols, int64_t ld) {
    for (int64_t r = 0; r < rows; r++) {
        const uint32_t *src = (const uint32_t *)(in + r * ld);
        uint16_t *dst = out + r * cols;
        for (int64_t c = 0; c < cols; c++) {
            // textclf_bf16_from_f32 without a branch, so that it vectorises: round to nearest
            // even, or keep a NaN quiet.
            uint32_t u = src[c];
            uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1)) >> 16;
            uint32_t quiet = (u >> 16) | 0x40;
            dst[c] = (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? quiet : rounded);
        }
    }
}
