// The kernels, included once per instruction set by variants.c, which defines TC_SUFFIX and
// pushes the matching target attribute onto every function here. Each loop mirrors its Swift
// counterpart in TensorEngine/Kernels operation for operation (16-lane vectors, the same lane
// sums, tails through one partly filled vector where the Swift code uses one), which is what
// makes the results identical; keep the two in step.

#define TC_CAT2(a, b) a##_##b
#define TC_CAT(a, b) TC_CAT2(a, b)
#define F(name) TC_CAT(name, TC_SUFFIX)
#define TC_INLINE static inline __attribute__((always_inline))

TC_INLINE vf F(ld)(const float *p) { vf v; __builtin_memcpy(&v, p, sizeof v); return v; }
TC_INLINE void F(st)(float *p, vf v) { __builtin_memcpy(p, &v, sizeof v); }
TC_INLINE vf F(splat)(float s) { return (vf){0} + s; }

/// The first n (< 16) floats of p, the other lanes `fill`.
TC_INLINE vf F(ld_part)(const float *p, long n, float fill) {
    vf v = F(splat)(fill);
    for (long i = 0; i < n; i++) v[i] = p[i];
    return v;
}
TC_INLINE void F(st_part)(float *p, vf v, long n) {
    for (long i = 0; i < n; i++) p[i] = v[i];
}

/// mask ? a : b per lane (mask lanes all ones or all zeros, as comparisons give).
TC_INLINE vf F(sel)(vi mask, vf a, vf b) { return (vf)((mask & (vi)a) | (~mask & (vi)b)); }

/// Pairwise lane sum, as SIMDMath's horizontalSum.
TC_INLINE float F(hsum)(vf v) {
    v8f v8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    v4f v4 = __builtin_shufflevector(v8, v8, 0, 1, 2, 3) + __builtin_shufflevector(v8, v8, 4, 5, 6, 7);
    v2f v2 = __builtin_shufflevector(v4, v4, 0, 1) + __builtin_shufflevector(v4, v4, 2, 3);
    return v2[0] + v2[1];
}

TC_INLINE float F(hmax)(vf v) {
    float m = v[0];
    for (int i = 1; i < 16; i++) if (v[i] > m) m = v[i];
    return m;
}

TC_INLINE vf F(clamp)(vf x, float lo, float hi) {
    vf y = F(sel)(x < lo, F(splat)(lo), x);
    return F(sel)(y > hi, F(splat)(hi), y);
}

/// SIMDMath's exp (Cephes expf).
TC_INLINE vf F(vexp)(vf x) {
    x = F(clamp)(x, -87.33654f, 88.72283f);
    const float magic = 12582912.0f;
    vf shifted = x * 1.44269504f + magic;
    vf n = shifted - magic;
    vf r = x - n * 0.693359375f;
    r = r - n * -2.1219444e-4f;
    vf p = F(splat)(1.9875691e-4f);
    p = p * r + 1.3981999e-3f;
    p = p * r + 8.333452e-3f;
    p = p * r + 4.1665796e-2f;
    p = p * r + 1.6666665e-1f;
    p = p * r + 0.5f;
    p = p * (r * r) + r + 1.0f;
    vu bits = (vu)shifted;
    vf twoToN = (vf)((bits - 0x4B3FFF81u) << 23);
    return p * twoToN;
}

TC_INLINE vf F(vtanh)(vf x) { return 1.0f - 2.0f / (F(vexp)(x + x) + 1.0f); }

/// SIMDMath's erf (Abramowitz & Stegun 7.1.26).
TC_INLINE vf F(verf)(vf x) {
    vi negative = x < 0.0f;
    vf a = F(sel)(negative, -x, x);
    vf t = 1.0f / (1.0f + 0.3275911f * a);
    vf poly = F(splat)(1.061405429f);
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    vf y = 1.0f - poly * t * F(vexp)(-(a * a));
    return F(sel)(negative, -y, y);
}

#define SQRT2_OVER_PI 0.79788456f
#define CUBIC 0.044715f
#define INV_SQRT2 0.70710677f
#define INV_SQRT2PI 0.3989423f

TC_INLINE vf F(gelu_value)(vf x, int kind) {
    if (kind == 0) {
        vf t = F(vtanh)(SQRT2_OVER_PI * (x + CUBIC * x * x * x));
        return 0.5f * x * (1.0f + t);
    }
    return 0.5f * x * (1.0f + F(verf)(x * INV_SQRT2));
}

TC_INLINE vf F(gelu_derivative)(vf x, int kind) {
    if (kind == 0) {
        vf t = F(vtanh)(SQRT2_OVER_PI * (x + CUBIC * x * x * x));
        vf dinner = SQRT2_OVER_PI * (1.0f + 3.0f * CUBIC * x * x);
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * dinner;
    }
    return 0.5f * (1.0f + F(verf)(x * INV_SQRT2)) + x * INV_SQRT2PI * F(vexp)(-0.5f * x * x);
}

static void F(gelu_forward)(float *out, const float *x, long n, int kind) {
    long i = 0;
    for (; i + 16 <= n; i += 16) F(st)(out + i, F(gelu_value)(F(ld)(x + i), kind));
    if (i < n) F(st_part)(out + i, F(gelu_value)(F(ld_part)(x + i, n - i, 0), kind), n - i);
}

static void F(gelu_backward)(float *dx, const float *dout, const float *x, long n, int kind) {
    long i = 0;
    for (; i + 16 <= n; i += 16)
        F(st)(dx + i, F(ld)(dx + i) + F(ld)(dout + i) * F(gelu_derivative)(F(ld)(x + i), kind));
    if (i < n) {
        long r = n - i;
        vf d = F(ld_part)(dx + i, r, 0) + F(ld_part)(dout + i, r, 0) * F(gelu_derivative)(F(ld_part)(x + i, r, 0), kind);
        F(st_part)(dx + i, d, r);
    }
}

static void F(tanh_forward)(float *out, const float *x, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) F(st)(out + i, F(vtanh)(F(ld)(x + i)));
    if (i < n) F(st_part)(out + i, F(vtanh)(F(ld_part)(x + i, n - i, 0)), n - i);
}

static void F(tanh_backward)(float *dx, const float *dout, const float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        vf t = F(ld)(y + i);
        F(st)(dx + i, F(ld)(dx + i) + F(ld)(dout + i) * (1.0f - t * t));
    }
    for (; i < n; i++) dx[i] += dout[i] * (1.0f - y[i] * y[i]);
}

static void F(layernorm_forward)(float *out, float *mean, float *rstd, const float *x, const float *weight,
                                 const float *bias, long rows, long cols, float eps) {
    for (long row = 0; row < rows; row++) {
        const float *xr = x + row * cols;
        float *yr = out + row * cols;
        vf acc = F(splat)(0);
        long c = 0;
        for (; c + 16 <= cols; c += 16) acc += F(ld)(xr + c);
        float sum = F(hsum)(acc);
        for (; c < cols; c++) sum += xr[c];
        float m = sum / (float)cols;

        vf accVar = F(splat)(0);
        for (c = 0; c + 16 <= cols; c += 16) { vf d = F(ld)(xr + c) - m; accVar += d * d; }
        float sumVar = F(hsum)(accVar);
        for (; c < cols; c++) { float d = xr[c] - m; sumVar += d * d; }
        float s = 1.0f / __builtin_elementwise_sqrt(sumVar / (float)cols + eps);

        for (c = 0; c + 16 <= cols; c += 16)
            F(st)(yr + c, (F(ld)(xr + c) - m) * s * F(ld)(weight + c) + F(ld)(bias + c));
        for (; c < cols; c++) yr[c] = (xr[c] - m) * s * weight[c] + bias[c];
        if (mean) mean[row] = m;
        if (rstd) rstd[row] = s;
    }
}

static void F(layernorm_backward)(float *dx, float *pw, float *pb, const float *dout, const float *x,
                                  const float *weight, const float *mean, const float *rstd, long rows, long cols) {
    for (long row = 0; row < rows; row++) {
        const float *xr = x + row * cols, *dr = dout + row * cols;
        float m = mean[row], s = rstd[row];
        long c;
        if (pw) {
            for (c = 0; c + 16 <= cols; c += 16) {
                vf d = F(ld)(dr + c);
                F(st)(pw + c, F(ld)(pw + c) + d * ((F(ld)(xr + c) - m) * s));
                F(st)(pb + c, F(ld)(pb + c) + d);
            }
            for (; c < cols; c++) { pw[c] += dr[c] * ((xr[c] - m) * s); pb[c] += dr[c]; }
        }
        if (!dx) continue;
        vf accD = F(splat)(0), accDN = F(splat)(0);
        for (c = 0; c + 16 <= cols; c += 16) {
            vf dnorm = F(ld)(weight + c) * F(ld)(dr + c);
            accD += dnorm;
            accDN += dnorm * ((F(ld)(xr + c) - m) * s);
        }
        float sumD = F(hsum)(accD), sumDN = F(hsum)(accDN);
        for (; c < cols; c++) {
            float dnorm = weight[c] * dr[c];
            sumD += dnorm;
            sumDN += dnorm * ((xr[c] - m) * s);
        }
        float meanD = sumD / (float)cols, meanDN = sumDN / (float)cols;
        float *dxr = dx + row * cols;
        for (c = 0; c + 16 <= cols; c += 16) {
            vf norm = (F(ld)(xr + c) - m) * s;
            vf dnorm = F(ld)(weight + c) * F(ld)(dr + c);
            F(st)(dxr + c, F(ld)(dxr + c) + (dnorm - meanD - norm * meanDN) * s);
        }
        for (; c < cols; c++) {
            float norm = (xr[c] - m) * s;
            dxr[c] += (weight[c] * dr[c] - meanD - norm * meanDN) * s;
        }
    }
}

static void F(softmax_row)(float *row, long count) {
    if (count <= 0) return;
    vf maxVec = F(splat)(-__builtin_inff());
    long j = 0;
    for (; j + 16 <= count; j += 16) {
        vf x = F(ld)(row + j);
        maxVec = F(sel)(x > maxVec, x, maxVec);
    }
    float maxValue = F(hmax)(maxVec);
    for (; j < count; j++) maxValue = row[j] >= maxValue ? row[j] : maxValue;  // Swift.max(a, b): b >= a ? b : a

    vf sumVec = F(splat)(0);
    for (j = 0; j + 16 <= count; j += 16) {
        vf e = F(vexp)(F(ld)(row + j) - maxValue);
        F(st)(row + j, e);
        sumVec += e;
    }
    float sum = F(hsum)(sumVec);
    if (j < count) {
        vf tail = F(splat)(-__builtin_inff());
        for (long t = 0; t < count - j; t++) tail[t] = row[j + t] - maxValue;
        vf e = F(vexp)(tail);
        for (long t = 0; t < count - j; t++) { row[j + t] = e[t]; sum += e[t]; }
    }
    float inverse = 1.0f / sum;
    for (j = 0; j + 16 <= count; j += 16) F(st)(row + j, F(ld)(row + j) * inverse);
    for (; j < count; j++) row[j] *= inverse;
}

static void F(softmax_backward_row)(float *dp, const float *p, long count, float scale) {
    vf accVec = F(splat)(0);
    long j = 0;
    for (; j + 16 <= count; j += 16) accVec += F(ld)(dp + j) * F(ld)(p + j);
    float dot = F(hsum)(accVec);
    for (; j < count; j++) dot += dp[j] * p[j];
    for (j = 0; j + 16 <= count; j += 16) F(st)(dp + j, F(ld)(p + j) * (F(ld)(dp + j) - dot) * scale);
    for (; j < count; j++) dp[j] = p[j] * (dp[j] - dot) * scale;
}

/// The keep scale (0 or keep_scale) of elements first..first+15, as DropoutKernel.scale.
TC_INLINE vf F(dropout_scale)(uint64_t key, long first, float rate, float keep_scale) {
    const vu64 lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    vu64 z = key + ((vu64){0} + (uint64_t)first + lanes) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    vi top = __builtin_convertvector(z >> 40, vi);
    vf uniform = __builtin_convertvector(top, vf) * 0x1p-24f;
    return F(sel)(uniform < rate, F(splat)(0), F(splat)(keep_scale));
}

static void F(dropout)(float *out, const float *x, long n, long first, uint64_t key, float rate,
                       float keep_scale, int accumulate) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        vf v = F(ld)(x + i) * F(dropout_scale)(key, first + i, rate, keep_scale);
        F(st)(out + i, accumulate ? F(ld)(out + i) + v : v);
    }
    if (i < n) {
        long r = n - i;
        vf v = F(ld_part)(x + i, r, 0) * F(dropout_scale)(key, first + i, rate, keep_scale);
        F(st_part)(out + i, accumulate ? F(ld_part)(out + i, r, 0) + v : v, r);
    }
}

static void F(dropout_mask_gradient)(float *row, const float *d, long n, float keep) {
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        vf scaled = F(ld)(row + j) * keep;
        F(st)(row + j, F(sel)(F(ld)(d + j) == 0.0f, F(splat)(0), scaled));
    }
    for (; j < n; j++) row[j] = d[j] == 0 ? 0 : row[j] * keep;
}

TC_INLINE void F(adamw_vec)(float *p, const float *g, float *m, float *v, const tc_adamw_constants *c, long n) {
    vf gi = F(ld_part)(g, n, 0);
    vf pi = F(ld_part)(p, n, 0) * c->decay;
    vf mOld = F(ld_part)(m, n, 0);
    vf mi = c->one_minus_beta1 < 0.5f ? mOld + c->one_minus_beta1 * (gi - mOld)
                                      : gi - (gi - mOld) * (1.0f - c->one_minus_beta1);
    vf vi_ = F(ld_part)(v, n, 0) * c->beta2 + c->one_minus_beta2 * (gi * gi);
    vf denom = __builtin_elementwise_sqrt(vi_) / c->correction2_sqrt + c->eps;
    F(st_part)(m, mi, n);
    F(st_part)(v, vi_, n);
    F(st_part)(p, pi + -c->step_size * (mi / denom), n);
}

static void F(adamw)(float *p, const float *g, float *m, float *v, long n, const tc_adamw_constants *c) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        vf gi = F(ld)(g + i);
        vf pi = F(ld)(p + i) * c->decay;
        vf mOld = F(ld)(m + i);
        vf mi = c->one_minus_beta1 < 0.5f ? mOld + c->one_minus_beta1 * (gi - mOld)
                                          : gi - (gi - mOld) * (1.0f - c->one_minus_beta1);
        vf vi_ = F(ld)(v + i) * c->beta2 + c->one_minus_beta2 * (gi * gi);
        F(st)(m + i, mi);
        F(st)(v + i, vi_);
        vf denom = __builtin_elementwise_sqrt(vi_) / c->correction2_sqrt + c->eps;
        F(st)(p + i, pi + -c->step_size * (mi / denom));
    }
    if (i < n) F(adamw_vec)(p + i, g + i, m + i, v + i, c, n - i);
}

static void F(add_in_place)(float *y, const float *x, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) F(st)(y + i, F(ld)(y + i) + F(ld)(x + i));
    for (; i < n; i++) y[i] += x[i];
}

static void F(add)(float *out, const float *a, const float *b, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) F(st)(out + i, F(ld)(a + i) + F(ld)(b + i));
    for (; i < n; i++) out[i] = a[i] + b[i];
}

static void F(axpy)(float *y, float alpha, const float *x, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) F(st)(y + i, F(ld)(y + i) + alpha * F(ld)(x + i));
    for (; i < n; i++) y[i] += alpha * x[i];
}

static void F(embedding_gather)(float *out, const float *table, const int32_t *ids, long rows, long dim, int accumulate) {
    for (long r = 0; r < rows; r++) {
        const float *src = table + (long)ids[r] * dim;
        float *dst = out + r * dim;
        if (accumulate) F(add_in_place)(dst, src, dim);
        else __builtin_memcpy(dst, src, (size_t)dim * sizeof(float));
    }
}

static const tc_table F(table) = {
    F(gelu_forward), F(gelu_backward), F(tanh_forward), F(tanh_backward),
    F(layernorm_forward), F(layernorm_backward), F(softmax_row), F(softmax_backward_row),
    F(dropout), F(dropout_mask_gradient), F(adamw), F(embedding_gather),
    F(add), F(add_in_place), F(axpy),
};

#undef F
#undef TC_INLINE
