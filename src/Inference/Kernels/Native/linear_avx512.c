/*
 * AVX-512 paths of gqa_linear. Decoding multiplies a few activation rows by every weight, so the kernel is bound by
 * reading the weights: each task streams a range of weight rows once and, for each block of rows, computes the dot
 * products with every x row while the block is still in L1/L2. A register tile is up to 4 weight rows by 4 x rows,
 * accumulated along k in 16 (or 32 bf16) lanes and reduced once at the end. A few x rows (one; two for fma, up to four
 * for the bf16 dot path) take one weight row at a time instead, a single stream per thread (fma_one_row, dot_one_row,
 * and 1-row tiles). With several x rows the tiles of one weight block also prefetch the next block (next_block below).
 *
 * Two families:
 *  - fma: x stays float32; weights are widened to float32 as they are read (f32 as is, bf16 by a 16-bit shift,
 *    f16 by vcvtph2ps) and multiplied by FMA. Exact products, float32 sums: libtorch's f32 F.linear's accuracy.
 *  - bf16 dot (AVX512_BF16): x is narrowed to bf16 once per call (round to nearest even, as libtorch's bf16 F.linear
 *    narrows its activations) and vdpbf16ps multiplies 32 bf16 pairs per instruction into float32 sums, which halves
 *    the instructions per weight byte.
 */
#include "avx512_math.h"
#include "dtype.h"
#include "gqa_kernels.h"
#include "linear.h"

#include <immintrin.h>
#include <stddef.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
#define TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c,avx512bf16")))
#define INLINE static inline __attribute__((always_inline))

#define MAX_ROWS 4   /* weight rows per tile: GQA_LINEAR_ROW_BLOCK */
#define MAX_XROWS 4  /* x rows per tile */

_Static_assert(MAX_ROWS == GQA_LINEAR_ROW_BLOCK, "tasks split weight rows on tile boundaries");

/*
 * Cache lines of the next weight-row block fetched per k step. With several x rows, the first x tile of a weight block
 * streams the block's rows from DRAM and the later tiles reuse them from L1: a core alone pulls about 20 GB/s, so that
 * first tile waits on memory while the others leave the memory system idle. Each tile therefore fetches its share of
 * the next block's lines as it goes, so the next block arrives while this one is being computed.
 */
typedef struct {
    const char *lines;   /* the first line this tile fetches, or null */
    int64_t count;       /* lines this tile fetches */
    int64_t per_step;    /* lines per k step */
} next_block;

INLINE void fetch_next(const next_block *next, int64_t step)
{
    for (int64_t p = 0; p < next->per_step; p++) {
        int64_t line = step * next->per_step + p;
        if (line < next->count) {
            _mm_prefetch(next->lines + line * 64, _MM_HINT_T0);
        }
    }
}

/* The share of tile `tile` (of `tiles`, each `steps` k steps long) of the weight block after [j0, j0 + rows). */
INLINE next_block plan_next(const gqa_linear_job *job, int64_t j0, const int rows, int64_t last, size_t element_bytes,
                            int64_t tile, int64_t tiles, int64_t steps)
{
    next_block none = { NULL, 0, 0 };
    if (j0 + 2 * rows > last) {
        return none;
    }
    int64_t lines = (int64_t)(((size_t)rows * (size_t)job->k * element_bytes + 63) / 64);
    int64_t per_step = (lines + tiles * steps - 1) / (tiles * steps);
    int64_t first = tile * steps * per_step;
    next_block plan = { (const char *)job->w + (size_t)(j0 + rows) * (size_t)job->k * element_bytes + (size_t)first * 64,
                        first < lines ? (lines - first < steps * per_step ? lines - first : steps * per_step) : 0, per_step };
    return plan;
}

/* One x row's four outputs y[i, j0 .. j0 + 3] (=|+=) sums (+ bias). */
INLINE TARGET void store_four(const gqa_linear_job *job, int64_t i, int64_t j0, __m128 sums, __m128 bias)
{
    float *out = job->y + i * job->n + j0;
    sums = _mm_add_ps(sums, bias);
    _mm_storeu_ps(out, job->accumulate ? _mm_add_ps(_mm_loadu_ps(out), sums) : sums);
}

/* y[i0 + i, j0 + r] (=|+=) the lane sum of acc[r][i] (+ bias). */
INLINE TARGET void store_tile(const gqa_linear_job *job, int64_t j0, int64_t i0, const int rows, const int xrows,
                              __m512 acc[MAX_ROWS][MAX_XROWS])
{
    if (rows == 4 && xrows == 4) {
        __m512 by_x_row[4][4];
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                by_x_row[i][r] = acc[r][i];
            }
        }
        __m512 sums = lane_sums_4x4(by_x_row); /* lane 4i + r: y[i0 + i, j0 + r] */
        __m128 bias = job->bias != NULL ? _mm_loadu_ps(job->bias + j0) : _mm_setzero_ps();
        store_four(job, i0 + 0, j0, _mm512_extractf32x4_ps(sums, 0), bias);
        store_four(job, i0 + 1, j0, _mm512_extractf32x4_ps(sums, 1), bias);
        store_four(job, i0 + 2, j0, _mm512_extractf32x4_ps(sums, 2), bias);
        store_four(job, i0 + 3, j0, _mm512_extractf32x4_ps(sums, 3), bias);
        return;
    }
#pragma GCC unroll 16
    for (int r = 0; r < rows; r++) {
        float bias = job->bias != NULL ? job->bias[j0 + r] : 0.0f;
#pragma GCC unroll 4
        for (int i = 0; i < xrows; i++) {
            float *out = job->y + (i0 + i) * job->n + j0 + r;
            float sum = _mm512_reduce_add_ps(acc[r][i]) + bias;
            *out = job->accumulate ? *out + sum : sum;
        }
    }
}

INLINE TARGET void fma_tile(const gqa_linear_job *job, int64_t j0, int64_t i0, const int rows, const int xrows, const int dtype,
                            const next_block *next)
{
    const int64_t k = job->k;
    const float *x = job->x + i0 * k;
    const size_t w0 = (size_t)j0 * (size_t)k;
    __m512 acc[MAX_ROWS][MAX_XROWS];
#pragma GCC unroll 16
    for (int r = 0; r < rows; r++) {
#pragma GCC unroll 4
        for (int i = 0; i < xrows; i++) {
            acc[r][i] = _mm512_setzero_ps();
        }
    }
    int64_t c = 0;
    for (; c + 16 <= k; c += 16) {
        fetch_next(next, c / 16);
        __m512 xv[MAX_XROWS];
#pragma GCC unroll 4
        for (int i = 0; i < xrows; i++) {
            xv[i] = _mm512_loadu_ps(x + i * k + c);
        }
#pragma GCC unroll 16
        for (int r = 0; r < rows; r++) {
            __m512 wv = load16_masked(job->w, w0 + (size_t)r * (size_t)k + (size_t)c, dtype, 0xffff);
#pragma GCC unroll 4
            for (int i = 0; i < xrows; i++) {
                acc[r][i] = _mm512_fmadd_ps(wv, xv[i], acc[r][i]);
            }
        }
    }
    if (c < k) {
        __mmask16 mask = (__mmask16)((1u << (k - c)) - 1);
        __m512 xv[MAX_XROWS];
#pragma GCC unroll 4
        for (int i = 0; i < xrows; i++) {
            xv[i] = _mm512_maskz_loadu_ps(mask, x + i * k + c);
        }
#pragma GCC unroll 16
        for (int r = 0; r < rows; r++) {
            __m512 wv = load16_masked(job->w, w0 + (size_t)r * (size_t)k + (size_t)c, dtype, mask);
#pragma GCC unroll 4
            for (int i = 0; i < xrows; i++) {
                acc[r][i] = _mm512_fmadd_ps(wv, xv[i], acc[r][i]);
            }
        }
    }
    store_tile(job, j0, i0, rows, xrows, acc);
}

/* Every x row against weight rows [j0, j0 + rows), in tiles of up to MAX_XROWS x rows; the tiles fetch the next block. */
INLINE TARGET void fma_row_block(const gqa_linear_job *job, int64_t j0, const int rows, const int dtype, int64_t last)
{
    const size_t element_bytes = gqa_element_bytes(dtype);
    const int64_t tiles = (job->m + MAX_XROWS - 1) / MAX_XROWS, steps = (job->k + 15) / 16;
    int64_t i = 0, tile = 0;
    for (; i + 4 <= job->m; i += 4, tile++) {
        next_block next = plan_next(job, j0, rows, last, element_bytes, tile, tiles, steps);
        fma_tile(job, j0, i, rows, 4, dtype, &next);
    }
    next_block next = plan_next(job, j0, rows, last, element_bytes, tile, tiles, steps);
    switch (job->m - i) {
    case 3: fma_tile(job, j0, i, rows, 3, dtype, &next); break;
    case 2: fma_tile(job, j0, i, rows, 2, dtype, &next); break;
    case 1: fma_tile(job, j0, i, rows, 1, dtype, &next); break;
    default: break;
    }
}

/* y[0, j] (=|+=) the sum of a one-row loop's 8 accumulators (+ bias). */
INLINE TARGET void store_one_row(const gqa_linear_job *job, int64_t j, __m512 acc[8])
{
#pragma GCC unroll 8
    for (int u = 1; u < 8; u++) {
        acc[0] = _mm512_add_ps(acc[0], acc[u]);
    }
    float sum = _mm512_reduce_add_ps(acc[0]) + (job->bias != NULL ? job->bias[j] : 0.0f);
    float *out = job->y + j;
    *out = job->accumulate ? *out + sum : sum;
}

/*
 * One x row against one weight row, read as a single contiguous stream with 8 accumulators (8 x 16 lanes per step).
 * At one x row the kernel only streams weights, and one stream per thread is what the hardware prefetchers follow
 * best: random100M's float32 decode matmuls took 0.77-0.86 of the time of 16 weight rows interleaved per tile (f16
 * weights 0.64), in runs of 40 alternated steps (docs/benchmarks.md, ninth round); the bf16 dot path's dot_one_row is
 * the same loop.
 */
INLINE TARGET void fma_one_row(const gqa_linear_job *job, int64_t j, const int dtype)
{
    const int64_t k = job->k;
    const float *x = job->x;
    const void *w = (const char *)job->w + (size_t)j * (size_t)k * gqa_element_bytes(dtype);
    __m512 acc[8];
#pragma GCC unroll 8
    for (int u = 0; u < 8; u++) {
        acc[u] = _mm512_setzero_ps();
    }
    int64_t c = 0;
    for (; c + 128 <= k; c += 128) {
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++) {
            __m512 wv = load16(w, (size_t)(c + 16 * u), dtype);
            acc[u] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + c + 16 * u), acc[u]);
        }
    }
    for (; c < k; c += 16) {
        __mmask16 mask = k - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (k - c)) - 1);
        __m512 wv = load16_masked(w, (size_t)c, dtype, mask);
        acc[0] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(mask, x + c), acc[0]);
    }
    store_one_row(job, j, acc);
}

INLINE TARGET void fma_rows(const gqa_linear_job *job, int64_t first, int64_t last, const int dtype)
{
    int64_t j = first;
    if (job->m == 1) {
        for (; j < last; j++) {
            fma_one_row(job, j, dtype);
        }
        return;
    }
    /* Two x rows also stream one weight row at a time (one stream per thread again): 0.86-0.88 of the time of 4-row
     * blocks for random100M's float32 matmuls; at 3 rows and more the 4-row blocks win (ninth round). */
    if (job->m > 2) {
        for (; j + 4 <= last; j += 4) {
            fma_row_block(job, j, 4, dtype, last);
        }
    }
    for (; j < last; j++) {
        fma_row_block(job, j, 1, dtype, last);
    }
}

static TARGET void fma_rows_f32(const gqa_linear_job *job, int64_t first, int64_t last) { fma_rows(job, first, last, GQA_F32); }
static TARGET void fma_rows_bf16(const gqa_linear_job *job, int64_t first, int64_t last) { fma_rows(job, first, last, GQA_BF16); }
static TARGET void fma_rows_f16(const gqa_linear_job *job, int64_t first, int64_t last) { fma_rows(job, first, last, GQA_F16); }

static void task_range(const gqa_linear_job *job, int task, int64_t *first, int64_t *last)
{
    *first = (int64_t)task * job->rows_per_task;
    *last = *first + job->rows_per_task < job->n ? *first + job->rows_per_task : job->n;
}

TARGET void gqa_linear_avx512_fma_task(void *context, int task)
{
    const gqa_linear_job *job = context;
    int64_t first, last;
    task_range(job, task, &first, &last);
    switch (job->w_dtype) {
    case GQA_F32: fma_rows_f32(job, first, last); break;
    case GQA_BF16: fma_rows_bf16(job, first, last); break;
    case GQA_F16: fma_rows_f16(job, first, last); break;
    default: break;
    }
}

TARGET_BF16 void gqa_linear_avx512_narrow_x(const float *x, int64_t m, int64_t k, uint16_t *out, int64_t k_padded)
{
    for (int64_t i = 0; i < m; i++) {
        for (int64_t c = 0; c < k_padded; c += 32) {
            int64_t left = k - c;
            __mmask16 low = left >= 16 ? 0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
            __mmask16 high = left >= 32 ? 0xffff : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
            __m512 a = _mm512_maskz_loadu_ps(low, x + i * k + c);
            __m512 b = _mm512_maskz_loadu_ps(high, x + i * k + c + 16);
            __m512bh narrowed = _mm512_cvtne2ps_pbh(b, a); /* lanes 0-15 from a, 16-31 from b */
            _mm512_storeu_si512((void *)(out + i * k_padded + c), (__m512i)narrowed);
        }
    }
}

INLINE TARGET_BF16 void dot_tile(const gqa_linear_job *job, int64_t j0, int64_t i0, const int rows, const int xrows,
                                 const next_block *next)
{
    const int64_t k = job->k, k_padded = job->k_padded;
    const uint16_t *x = job->x_bf16 + i0 * k_padded;
    const uint16_t *w = (const uint16_t *)job->w + (size_t)j0 * (size_t)k;
    __m512 acc[MAX_ROWS][MAX_XROWS];
#pragma GCC unroll 16
    for (int r = 0; r < rows; r++) {
#pragma GCC unroll 4
        for (int i = 0; i < xrows; i++) {
            acc[r][i] = _mm512_setzero_ps();
        }
    }
    int64_t c = 0;
    for (; c + 32 <= k; c += 32) {
        fetch_next(next, c / 32);
        __m512bh xv[MAX_XROWS];
#pragma GCC unroll 4
        for (int i = 0; i < xrows; i++) {
            xv[i] = (__m512bh)_mm512_loadu_si512((const void *)(x + i * k_padded + c));
        }
#pragma GCC unroll 16
        for (int r = 0; r < rows; r++) {
            __m512bh wv = (__m512bh)_mm512_loadu_si512((const void *)(w + (size_t)r * (size_t)k + (size_t)c));
#pragma GCC unroll 4
            for (int i = 0; i < xrows; i++) {
                acc[r][i] = _mm512_dpbf16_ps(acc[r][i], wv, xv[i]);
            }
        }
    }
    if (c < k) {
        /* x is zero past k (padded), the weights are masked: the tail's extra lanes add 0 * 0. */
        __mmask32 mask = (__mmask32)((1ull << (k - c)) - 1);
        __m512bh xv[MAX_XROWS];
#pragma GCC unroll 4
        for (int i = 0; i < xrows; i++) {
            xv[i] = (__m512bh)_mm512_loadu_si512((const void *)(x + i * k_padded + c));
        }
#pragma GCC unroll 16
        for (int r = 0; r < rows; r++) {
            __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(mask, w + (size_t)r * (size_t)k + (size_t)c);
#pragma GCC unroll 4
            for (int i = 0; i < xrows; i++) {
                acc[r][i] = _mm512_dpbf16_ps(acc[r][i], wv, xv[i]);
            }
        }
    }
    store_tile(job, j0, i0, rows, xrows, acc);
}

INLINE TARGET_BF16 void dot_row_block(const gqa_linear_job *job, int64_t j0, const int rows, int64_t last)
{
    const int64_t tiles = (job->m + MAX_XROWS - 1) / MAX_XROWS, steps = (job->k + 31) / 32;
    int64_t i = 0, tile = 0;
    for (; i + 4 <= job->m; i += 4, tile++) {
        next_block next = plan_next(job, j0, rows, last, 2, tile, tiles, steps);
        dot_tile(job, j0, i, rows, 4, &next);
    }
    next_block next = plan_next(job, j0, rows, last, 2, tile, tiles, steps);
    switch (job->m - i) {
    case 3: dot_tile(job, j0, i, rows, 3, &next); break;
    case 2: dot_tile(job, j0, i, rows, 2, &next); break;
    case 1: dot_tile(job, j0, i, rows, 1, &next); break;
    default: break;
    }
}

/*
 * One x row against one weight row, read as a single contiguous stream with 8 accumulators (8 x 32 lanes per step).
 * At one x row the kernel only streams weights, and one stream per thread is what the hardware prefetchers follow
 * best: random100M's bf16 decode matmuls took 7.1-8.3 ms per step this way against 10.7-12.2 ms with 8 weight rows
 * interleaved per tile (docs/benchmarks.md, eighth round).
 */
INLINE TARGET_BF16 void dot_one_row(const gqa_linear_job *job, int64_t j)
{
    const int64_t k = job->k;
    const uint16_t *x = job->x_bf16;
    const uint16_t *w = (const uint16_t *)job->w + (size_t)j * (size_t)k;
    __m512 acc[8];
#pragma GCC unroll 8
    for (int u = 0; u < 8; u++) {
        acc[u] = _mm512_setzero_ps();
    }
    int64_t c = 0;
    for (; c + 256 <= k; c += 256) {
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++) {
            __m512bh xv = (__m512bh)_mm512_loadu_si512((const void *)(x + c + 32 * u));
            __m512bh wv = (__m512bh)_mm512_loadu_si512((const void *)(w + c + 32 * u));
            acc[u] = _mm512_dpbf16_ps(acc[u], wv, xv);
        }
    }
    for (; c < k; c += 32) {
        /* x is zero past k (padded), the weights are masked: the tail's extra lanes add 0 * 0. */
        __mmask32 mask = k - c >= 32 ? 0xffffffffu : (__mmask32)((1ull << (k - c)) - 1);
        __m512bh xv = (__m512bh)_mm512_loadu_si512((const void *)(x + c));
        __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(mask, w + c);
        acc[0] = _mm512_dpbf16_ps(acc[0], wv, xv);
    }
    store_one_row(job, j, acc);
}

TARGET_BF16 void gqa_linear_avx512_bf16_dot_task(void *context, int task)
{
    const gqa_linear_job *job = context;
    int64_t j, last;
    task_range(job, task, &j, &last);
    if (job->m == 1) {
        for (; j < last; j++) {
            dot_one_row(job, j);
        }
        return;
    }
    /* Up to 4 x rows, one weight row at a time against all of them (one stream per thread, as above): 0.80 / 0.90 /
     * 0.91 of the time of 4-row blocks at 2 / 3 / 4 rows of random100M's bf16 matmuls; from 6 rows the blocks win
     * (1.13-1.66x; ninth round). */
    if (job->m > 4) {
        for (; j + 4 <= last; j += 4) {
            dot_row_block(job, j, 4, last);
        }
    }
    for (; j < last; j++) {
        dot_row_block(job, j, 1, last);
    }
}
