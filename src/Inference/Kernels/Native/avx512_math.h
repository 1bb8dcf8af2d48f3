/* AVX-512 helpers the kernels share. Functions carry their own target attribute: the library is built for baseline
 * x86-64 and calls them only after checking the host (gqa_cpu_features). */
#ifndef GQA_AVX512_MATH_H
#define GQA_AVX512_MATH_H

#include "gqa_kernels.h"

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define AVX512_INLINE static inline __attribute__((always_inline)) AVX512_TARGET

/* Sixteen 16-bit elements widened to float32: bf16 is the high half of a float32, f16 has its own instruction. */
AVX512_INLINE __m512 widen16(__m256i half, const int dtype)
{
    if (dtype == GQA_BF16) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
    }
    return _mm512_cvtph_ps(half);
}

/* Sixteen elements (float32, bf16 or f16) at base[index], as float32. */
AVX512_INLINE __m512 load16(const void *base, size_t index, const int dtype)
{
    if (dtype == GQA_F32) {
        return _mm512_loadu_ps((const float *)base + index);
    }
    return widen16(_mm256_loadu_si256((const __m256i *)((const uint16_t *)base + index)), dtype);
}

/* load16 of only the lanes in `mask`: the others read as zero, and nothing past them is touched. */
AVX512_INLINE __m512 load16_masked(const void *base, size_t index, const int dtype, __mmask16 mask)
{
    if (dtype == GQA_F32) {
        return _mm512_maskz_loadu_ps(mask, (const float *)base + index);
    }
    return widen16(_mm256_maskz_loadu_epi16(mask, (const uint16_t *)base + index), dtype);
}

/*
 * e^x for x <= 0 (scores minus their running max), to about 2 ulp: e^x = 2^n * 2^f with n = round(x log2 e) and
 * f in [-0.5, 0.5], 2^f by a degree-6 polynomial, 2^n applied by scalef (which flushes far-negative x to 0).
 * Inputs are clamped at -88 first, so -inf or a huge negative score gives a (harmless) tiny value, never NaN.
 */
AVX512_INLINE __m512 exp_nonpositive(__m512 x)
{
    x = _mm512_max_ps(x, _mm512_set1_ps(-88.0f));
    __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
    __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_sub_ps(t, n);
    /* 2^f = e^(f ln 2): Taylor coefficients of e^y in y = f ln 2, folded into powers of f. */
    __m512 p = _mm512_set1_ps(1.5403530393381606e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/*
 * The lane sums of 16 vectors in one: lane 4p + q of the result is the sum of v[p][q]'s lanes. Four rounds of
 * shuffle-and-add (45 instructions) instead of 16 separate reductions (about 150): in the linear kernel a 4 x 4 tile's
 * store was otherwise a tenth of its work at k = 768, and in decode attention each key's score was its own reduction.
 */
AVX512_INLINE __m512 lane_sums_4x4(__m512 v[4][4])
{
    __m512 pairs[4][2];
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
        /* Per 128-bit block: [v0(0+2), v1(0+2), v0(1+3), v1(1+3)], and the same for v2, v3. */
        pairs[p][0] = _mm512_add_ps(_mm512_unpacklo_ps(v[p][0], v[p][1]), _mm512_unpackhi_ps(v[p][0], v[p][1]));
        pairs[p][1] = _mm512_add_ps(_mm512_unpacklo_ps(v[p][2], v[p][3]), _mm512_unpackhi_ps(v[p][2], v[p][3]));
    }
    __m512 quads[4];
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
        /* Per 128-bit block: [v0, v1, v2, v3] each summed over that block's four lanes. */
        __m512d low = _mm512_unpacklo_pd(_mm512_castps_pd(pairs[p][0]), _mm512_castps_pd(pairs[p][1]));
        __m512d high = _mm512_unpackhi_pd(_mm512_castps_pd(pairs[p][0]), _mm512_castps_pd(pairs[p][1]));
        quads[p] = _mm512_add_ps(_mm512_castpd_ps(low), _mm512_castpd_ps(high));
    }
    /* Blocks [p0(b0+b2), p0(b1+b3), p1(b0+b2), p1(b1+b3)], then [p0, p1, p2, p3] summed over all four blocks. */
    __m512 halves01 = _mm512_add_ps(_mm512_shuffle_f32x4(quads[0], quads[1], 0x44), _mm512_shuffle_f32x4(quads[0], quads[1], 0xee));
    __m512 halves23 = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2], quads[3], 0x44), _mm512_shuffle_f32x4(quads[2], quads[3], 0xee));
    return _mm512_add_ps(_mm512_shuffle_f32x4(halves01, halves23, 0x88), _mm512_shuffle_f32x4(halves01, halves23, 0xdd));
}

#endif
