/*
 * F.linear over Q8_0 weights, the way llama.cpp multiplies them: the activations are quantised to Q8_0 too (blocks of
 * 32, scale d = max|x| / 127 rounded to float16, q = round-to-nearest-even(x * 127 / max|x|)), and each output is
 * sum over blocks of (dx * dw) * sum(qx * qw), the integer dot exact in int32 and the scaling in float32.
 *
 * Weights: q [n, k] int8 and their float16 scales [n, k / 32], both row-major. Separate arrays rather than llama.cpp's
 * interleaved 34-byte blocks: a row's quants are then contiguous, so two blocks fill one 64-byte AVX-512 load on a
 * 64-byte boundary, and a row's scales come in one short run; the bytes read are the same as llama.cpp's.
 *
 * The activations are quantised once per call on the calling thread into scratch that also holds what the VNNI loop
 * wants. vpdpbusd multiplies unsigned by signed bytes: the loop flips each weight's sign bit, which reads qw + 128 as
 * an unsigned byte, once per 64 weights for all x rows, and starts each dot from -128 * sum(qx) (per 4-byte lane,
 * kept in the scratch), so sum((qw + 128) * qx) - 128 * sum(qx) = sum(qw * qx), exactly, in int32.
 */
#include "dtype.h"
#include "gqa_kernels.h"
#include "scratch.h"
#include "thread_pool.h"

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#define Q8_BLOCK 32

/* A call's shapes and operands, and its x rows quantised: per block the scale (float16 rounded, held as float32). */
typedef struct {
    int64_t m, k, n, blocks;
    int64_t padded;            /* k rounded up to 64: the VNNI loop reads whole block pairs */
    const int8_t *w_q;
    const uint16_t *w_scales;
    const float *bias;
    float *y;
    int accumulate;
    int64_t columns_per_task;
    /* scratch, m rows each, every array 64-byte aligned */
    int8_t *x_q;               /* [m, padded] qx, zero padded */
    int32_t *x_offsets;        /* [m, padded / 64, 16] -128 * (sum of the 4 qx of each vpdpbusd lane) */
    float *x_pair_scales;      /* [m, padded / 64, 16] dx of block 2p in lanes 0-7, of block 2p + 1 in lanes 8-15 */
    float *x_scales;           /* [m, padded / 32] dx */
} q8_job;

/* The quantised x and what the VNNI loop keeps beside it (scratch.h). */
static _Thread_local gqa_scratch scratch;

/* llama.cpp's quantize_row_q8_0 (its x86 path: round to nearest even), one block. */
static void quantize_block(const float *x, int8_t *q, float *scale)
{
    float amax = 0.0f;
    for (int c = 0; c < Q8_BLOCK; c++) {
        float a = fabsf(x[c]);
        amax = a > amax ? a : amax;
    }
    float d = amax / 127.0f;
    float inverse = amax != 0.0f ? 127.0f / amax : 0.0f;
    *scale = gqa_f16_to_f32(gqa_f32_to_f16(d));
    for (int c = 0; c < Q8_BLOCK; c++) {
        q[c] = (int8_t)rintf(x[c] * inverse);
    }
}

/* Quantises every x row into the scratch; a row's padding (an odd last block's partner) reads as zero. */
static void quantize_x(q8_job *job, const float *x)
{
    int64_t words = job->padded / Q8_BLOCK;
    for (int64_t i = 0; i < job->m; i++) {
        int8_t *q = job->x_q + i * job->padded;
        for (int64_t b = 0; b < words; b++) {
            if (b >= job->blocks) {
                memset(q + b * Q8_BLOCK, 0, Q8_BLOCK);
                job->x_scales[i * words + b] = 0.0f;
            } else {
                quantize_block(x + i * job->k + b * Q8_BLOCK, q + b * Q8_BLOCK, job->x_scales + i * words + b);
            }
            for (int lane = 0; lane < 8; lane++) {
                int32_t sum = 0;
                for (int t = 0; t < 4; t++) {
                    sum += q[b * Q8_BLOCK + 4 * lane + t];
                }
                job->x_offsets[i * words * 8 + b * 8 + lane] = -128 * sum;
                job->x_pair_scales[i * words * 8 + b * 8 + lane] = job->x_scales[i * words + b];
            }
        }
    }
}

static void finish(const q8_job *job, int64_t i, int64_t j, float sum)
{
    if (job->bias != NULL) {
        sum += job->bias[j];
    }
    float *out = job->y + i * job->n + j;
    *out = job->accumulate ? *out + sum : sum;
}

static void q8_portable_task(void *context, int task)
{
    const q8_job *job = context;
    int64_t first = (int64_t)task * job->columns_per_task;
    int64_t last = first + job->columns_per_task < job->n ? first + job->columns_per_task : job->n;
    int64_t words = job->padded / Q8_BLOCK;
    for (int64_t j = first; j < last; j++) {
        const int8_t *w = job->w_q + j * job->k;
        const uint16_t *w_scales = job->w_scales + j * job->blocks;
        for (int64_t i = 0; i < job->m; i++) {
            const int8_t *q = job->x_q + i * job->padded;
            const float *x_scales = job->x_scales + i * words;
            float sum = 0.0f;
            for (int64_t b = 0; b < job->blocks; b++) {
                int32_t dot = 0;
                for (int c = 0; c < Q8_BLOCK; c++) {
                    dot += (int32_t)q[b * Q8_BLOCK + c] * (int32_t)w[b * Q8_BLOCK + c];
                }
                sum += (float)dot * (x_scales[b] * gqa_f16_to_f32(w_scales[b]));
            }
            finish(job, i, j, sum);
        }
    }
}

#define AVX512_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,f16c,fma")))

/* Two float16 scales broadcast into the low and high halves: the lanes of block 2p and block 2p + 1. */
static inline AVX512_VNNI_TARGET __m512 pair_scales(float low, float high)
{
    return _mm512_mask_mov_ps(_mm512_set1_ps(low), (__mmask16)0xff00, _mm512_set1_ps(high));
}

/* One block pair of ROWS x rows against the pair's weights read as unsigned (qw + 128; an odd last block's partner 128s). */
#define Q8_PAIR_STEP(unsigned_weights, w_pair)                                                                       \
    for (int r = 0; r < ROWS; r++) {                                                                                  \
        int64_t lanes = ((first_row + r) * pairs + p) * 16;                                                          \
        __m512i dot = _mm512_dpbusd_epi32(_mm512_load_si512((const void *)(job->x_offsets + lanes)), unsigned_weights, \
                                          _mm512_load_si512((const void *)(job->x_q + (first_row + r) * job->padded + p * 64))); \
        __m512 scale = _mm512_mul_ps(_mm512_load_ps(job->x_pair_scales + lanes), w_pair);                           \
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[r]);                                           \
    }

/*
 * ROWS x rows (from `first_row`) against weight row j. ROWS is a constant at every call site, so the accumulators stay
 * in registers; each 64-byte weight load serves all ROWS rows.
 */
static inline AVX512_VNNI_TARGET __attribute__((always_inline)) void q8_rows_avx512(const q8_job *job, const float *w_scales,
                                                                                   int64_t j, int64_t first_row, const int ROWS)
{
    int64_t pairs = job->padded / 64;
    int64_t full_pairs = job->blocks / 2;
    const int8_t *w = job->w_q + j * job->k;
    __m512 acc[8];
    for (int r = 0; r < ROWS; r++) {
        acc[r] = _mm512_setzero_ps();
    }
    const __m512i sign_bits = _mm512_set1_epi8((char)0x80);
    int64_t p = 0;
    for (; p < full_pairs; p++) {
        __m512i weights = _mm512_xor_si512(_mm512_loadu_si512((const void *)(w + p * 64)), sign_bits);
        __m512 w_pair = pair_scales(w_scales[2 * p], w_scales[2 * p + 1]);
        Q8_PAIR_STEP(weights, w_pair)
    }
    if (p < pairs) {
        /* An odd last block: only its 32 bytes exist in this row; the x side's padding is zero. */
        __m512i weights = _mm512_xor_si512(_mm512_maskz_loadu_epi8((__mmask64)0xffffffffu, w + p * 64), sign_bits);
        __m512 w_pair = pair_scales(w_scales[2 * p], 0.0f);
        Q8_PAIR_STEP(weights, w_pair)
    }
    for (int r = 0; r < ROWS; r++) {
        finish(job, first_row + r, j, _mm512_reduce_add_ps(acc[r]));
    }
}

/* x rows and weight rows per 2-D register tile (q8_tile_avx512). */
#define Q8_TILE 4

/*
 * Q8_TILE x rows (from `first_row`) against the Q8_TILE weight rows from j0: a 2-D register tile of 16 accumulators, so
 * each x load serves 4 weight rows as each weight load serves 4 x rows. With one weight row at a time the x side
 * (quants, lane offsets and pair scales: 9 bytes per element, 110-300 KiB for 16 rows) streamed from L2 once per weight
 * row and held 16-row steps at L2's bandwidth (docs/benchmarks.md, seventh round). Every output's sum is accumulated in
 * the same order as q8_rows_avx512's, so the two give the same bits.
 */
static inline AVX512_VNNI_TARGET __attribute__((always_inline)) void q8_tile_avx512(const q8_job *job, const float *w_scales,
                                                                                   int64_t j0, int64_t first_row)
{
    int64_t pairs = job->padded / 64;
    int64_t full_pairs = job->blocks / 2;
    int64_t blocks = job->blocks;
    const int8_t *w = job->w_q + j0 * job->k;
    __m512 acc[Q8_TILE][Q8_TILE];
    for (int r = 0; r < Q8_TILE; r++) {
        for (int c = 0; c < Q8_TILE; c++) {
            acc[r][c] = _mm512_setzero_ps();
        }
    }
    const __m512i sign_bits = _mm512_set1_epi8((char)0x80);
    for (int64_t p = 0; p < pairs; p++) {
        const int odd = p == full_pairs; /* an odd last block: only its 32 bytes exist in each weight row */
        __m512i weights[Q8_TILE];
        __m512 w_pair[Q8_TILE];
        for (int c = 0; c < Q8_TILE; c++) {
            const int8_t *row = w + c * job->k + p * 64;
            weights[c] = _mm512_xor_si512(odd ? _mm512_maskz_loadu_epi8((__mmask64)0xffffffffu, row) : _mm512_loadu_si512((const void *)row),
                                          sign_bits);
            w_pair[c] = pair_scales(w_scales[c * blocks + 2 * p], odd ? 0.0f : w_scales[c * blocks + 2 * p + 1]);
        }
        for (int r = 0; r < Q8_TILE; r++) {
            int64_t lanes = ((first_row + r) * pairs + p) * 16;
            __m512i offsets = _mm512_load_si512((const void *)(job->x_offsets + lanes));
            __m512i quants = _mm512_load_si512((const void *)(job->x_q + (first_row + r) * job->padded + p * 64));
            __m512 x_scales = _mm512_load_ps(job->x_pair_scales + lanes);
            for (int c = 0; c < Q8_TILE; c++) {
                __m512i dot = _mm512_dpbusd_epi32(offsets, weights[c], quants);
                acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(x_scales, w_pair[c]), acc[r][c]);
            }
        }
    }
    for (int r = 0; r < Q8_TILE; r++) {
        for (int c = 0; c < Q8_TILE; c++) {
            finish(job, first_row + r, j0 + c, _mm512_reduce_add_ps(acc[r][c]));
        }
    }
}

#define Q8_ROW_CHUNK 32

/*
 * Calls with at least this many x rows use the 2-D tiles. Measured (random100M's q8_0 steps, docs/benchmarks.md,
 * seventh round): at 16 rows and in prefills the tiles win; at 4 and 8 rows one weight row at a time (its 8- and 4-row
 * register tiles) was as fast or faster.
 */
#define Q8_TILE_MIN_ROWS 16

/* x rows [first_row, end_row) against weight row j alone (calls of fewer than Q8_TILE_MIN_ROWS rows, and tiles' tails). */
static inline AVX512_VNNI_TARGET void q8_row_chunk_avx512(const q8_job *job, const float *w_scales, int64_t j, int64_t first_row,
                                                          int64_t end_row)
{
    int64_t i = first_row;
    for (; i + 8 <= end_row; i += 8) {
        q8_rows_avx512(job, w_scales, j, i, 8);
    }
    for (; i + 4 <= end_row; i += 4) {
        q8_rows_avx512(job, w_scales, j, i, 4);
    }
    for (; i < end_row; i++) {
        q8_rows_avx512(job, w_scales, j, i, 1);
    }
}

/*
 * x rows [first_row, end_row) against the Q8_TILE weight rows from j0 (calls of at least Q8_TILE_MIN_ROWS rows): whole
 * tiles, then the chunk's last 1-3 x rows one weight row at a time (one x row against 4 interleaved weight rows measured
 * twice as slow as against one weight row at a time: docs/benchmarks.md, seventh round).
 */
static inline AVX512_VNNI_TARGET void q8_tile_chunk_avx512(const q8_job *job, const float *w_scales, int64_t j0, int64_t first_row,
                                                           int64_t end_row)
{
    int64_t i = first_row;
    for (; i + Q8_TILE <= end_row; i += Q8_TILE) {
        q8_tile_avx512(job, w_scales, j0, i);
    }
    for (int c = 0; c < Q8_TILE && i < end_row; c++) {
        q8_row_chunk_avx512(job, w_scales + c * job->blocks, j0 + c, i, end_row);
    }
}

/* Weight row j's float16 scales widened into `into` (blocks floats). */
static inline AVX512_VNNI_TARGET void widen_scales(const q8_job *job, int64_t j, float *into)
{
    const uint16_t *half = job->w_scales + j * job->blocks;
    int64_t b = 0;
    for (; b + 16 <= job->blocks; b += 16) {
        _mm512_storeu_ps(into + b, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(half + b))));
    }
    for (; b < job->blocks; b++) {
        into[b] = _cvtsh_ss(half[b]);
    }
}

/* quantize_x with AVX-512: the same arithmetic (exact max, the same scalar divisions, vcvtps2dq rounding to nearest even). */
static AVX512_VNNI_TARGET void quantize_x_avx512(q8_job *job, const float *x)
{
    int64_t words = job->padded / Q8_BLOCK;
    int64_t pairs = job->padded / 64;
    const __m512i minus_128 = _mm512_set1_epi8((char)0x80);
    for (int64_t i = 0; i < job->m; i++) {
        int8_t *q = job->x_q + i * job->padded;
        for (int64_t b = 0; b < words; b++) {
            float d = 0.0f;
            if (b >= job->blocks) {
                memset(q + b * Q8_BLOCK, 0, Q8_BLOCK);
            } else {
                const float *from = x + i * job->k + b * Q8_BLOCK;
                __m512 low = _mm512_loadu_ps(from), high = _mm512_loadu_ps(from + 16);
                float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(low), _mm512_abs_ps(high)));
                d = _cvtsh_ss(_cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
                __m512 inverse = _mm512_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
                __m512i q_low = _mm512_cvtps_epi32(_mm512_mul_ps(low, inverse));
                __m512i q_high = _mm512_cvtps_epi32(_mm512_mul_ps(high, inverse));
                __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(q_low)), _mm512_cvtepi32_epi8(q_high), 1);
                _mm256_storeu_si256((__m256i *)(q + b * Q8_BLOCK), bytes);
            }
            job->x_scales[i * words + b] = d;
            _mm256_store_ps(job->x_pair_scales + (i * words + b) * 8, _mm256_set1_ps(d));
        }
        /* -128 * sum of each lane's 4 qx: vpdpbusd of 0x80 (128 unsigned) with qx, negated. */
        for (int64_t p = 0; p < pairs; p++) {
            __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), minus_128, _mm512_load_si512((const void *)(q + p * 64)));
            _mm512_store_si512((void *)(job->x_offsets + (i * pairs + p) * 16), _mm512_sub_epi32(_mm512_setzero_si512(), sums));
        }
    }
}

static AVX512_VNNI_TARGET void q8_avx512_task(void *context, int task)
{
    const q8_job *job = context;
    int64_t first = (int64_t)task * job->columns_per_task;
    int64_t last = first + job->columns_per_task < job->n ? first + job->columns_per_task : job->n;
    /* A tile's weight rows' scales widened once, read by every x row (k <= GQA_Q8_0_MAX_K is checked by the caller). */
    float w_scales[Q8_TILE * (GQA_Q8_0_MAX_K / Q8_BLOCK)];
    /* Many x rows (a prefill) are taken in chunks, so a chunk's quantised rows stay in cache across the task's weight rows. */
    for (int64_t first_row = 0; first_row < job->m; first_row += Q8_ROW_CHUNK) {
        int64_t end_row = first_row + Q8_ROW_CHUNK < job->m ? first_row + Q8_ROW_CHUNK : job->m;
        int64_t j = first;
        for (; job->m >= Q8_TILE_MIN_ROWS && j + Q8_TILE <= last; j += Q8_TILE) {
            for (int c = 0; c < Q8_TILE; c++) {
                widen_scales(job, j + c, w_scales + c * job->blocks);
            }
            q8_tile_chunk_avx512(job, w_scales, j, first_row, end_row);
        }
        for (; j < last; j++) {
            widen_scales(job, j, w_scales);
            q8_row_chunk_avx512(job, w_scales, j, first_row, end_row);
        }
    }
}

static int portable_only;

void gqa_set_portable_only(int on)
{
    portable_only = on != 0;
}

int gqa_linear_q8_0(const float *x, int64_t m, int64_t k, const int8_t *w_q, const uint16_t *w_scales, int64_t n,
                    const float *bias, float *y, int accumulate)
{
    if (k % Q8_BLOCK != 0 || k > GQA_Q8_0_MAX_K || m < 1 || n < 1) {
        return -1;
    }
    q8_job job = { 0 };
    job.m = m;
    job.k = k;
    job.n = n;
    job.blocks = k / Q8_BLOCK;
    job.padded = (k + 63) / 64 * 64;
    job.w_q = w_q;
    job.w_scales = w_scales;
    job.bias = bias;
    job.y = y;
    job.accumulate = accumulate;
    /* Per x row: qx, the lane offsets and the pair scales (padded bytes each, so every array stays 64-byte aligned), dx. */
    int64_t words = job.padded / Q8_BLOCK;
    size_t bytes_per_row = (size_t)job.padded * 3 + (size_t)words * sizeof(float);
    uint8_t *base = gqa_scratch_reserve(&scratch, bytes_per_row * (size_t)m);
    if (base == NULL) {
        return -1;
    }
    size_t region = (size_t)m * (size_t)job.padded;
    job.x_q = (int8_t *)base;
    job.x_offsets = (int32_t *)(base + region);
    job.x_pair_scales = (float *)(base + 2 * region);
    job.x_scales = (float *)(base + 3 * region);
    int features = gqa_cpu_features();
    int vnni = !portable_only && (features & GQA_CPU_AVX512F) && (features & GQA_CPU_AVX512_VNNI) && (features & GQA_CPU_F16C);
    if (vnni) {
        quantize_x_avx512(&job, x);
    } else {
        quantize_x(&job, x);
    }

    int tasks = gqa_threads() * 4;
    /* Whole tiles of weight rows per task (q8_tile_avx512). */
    job.columns_per_task = ((n + tasks - 1) / tasks + Q8_TILE - 1) / Q8_TILE * Q8_TILE;
    tasks = (int)((n + job.columns_per_task - 1) / job.columns_per_task);
    gqa_parallel_for(tasks, vnni ? q8_avx512_task : q8_portable_task, &job);
    return 0;
}
