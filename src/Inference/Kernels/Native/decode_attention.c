/*
 * Decode attention read straight from the paged KV pool: one new token per sequence attends to every slot in its
 * slot list, without gathering (and, for 16-bit K/V, widening) the context into a padded copy first. That copy is what
 * made libtorch's decode step grow with context: it is written and read once per layer, while this kernel reads each
 * K/V row once, for all G query heads of its group, and converts it to float32 in registers.
 *
 * Work is split over sequences, longest first so a long one does not start last and hold the step up; a task attends
 * all K/V heads of its sequence, so it reads whole slot rows (heads_per_task: fewer heads per task when there are
 * too few sequences to keep every thread busy). Softmax is online (running max and sum per query head, rescaled per
 * block of keys), so no buffer proportional to the context is needed: everything lives on the stack.
 */
#include "avx512_math.h"
#include "dtype.h"
#include "gqa_kernels.h"
#include "thread_pool.h"

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Keys scored per softmax update: large enough to amortise the rescale, small enough to stay in L1 with the group. */
#define KEY_BLOCK 64
/* Prefetching. The rows of the next block of keys (K and V, the slice of the head being attended) are fetched into L2
 * while the current block is attended, one row per key, head by head: the block's scores, softmax and values take
 * long enough (about 5 us for 64 keys of four heads of 64 in float32) to hide DRAM latency, and the memory traffic
 * spreads evenly over the whole computation instead of bursting at the start of a block. Measured against fetching
 * keys 16 ahead into L1 and the block's values into L2 while the first head was scored (docs/benchmarks.md, issue 14,
 * eleventh round): 0.71-0.80 of the attention time at 16 sequences x 1,000 in float32, 0.61-0.68 in 16 bits, 0.93
 * at 16 x 100; into L1 instead of L2 it was slower (1.06), as L1 cannot hold a block, and two blocks ahead too. */
#ifndef NEXT_BLOCK_HINT /* a build flag only to measure others */
#define NEXT_BLOCK_HINT _MM_HINT_T1
#endif
/* The largest group * head_dim the stack buffers are sized for (32 KiB of float32 accumulators per buffer); a task of
 * several K/V heads stays within it too. */
#define MAX_GROUP_WIDTH 8192

typedef struct {
    const float *q;
    int64_t q_row_stride;
    const int32_t *rows;
    int64_t kv_heads, group, head_dim;
    const void *keys, *values;
    int kv_dtype;
    const int32_t *slots, *slot_offsets, *lengths;
    float *out;
    int64_t out_row_stride;
    const int32_t *order; /* sequences, longest first */
    int64_t heads_per_task; /* adjacent K/V heads one task attends for its sequence: a divisor of kv_heads */
    float scale;
} decode_job;

static float kv_at(const void *base, int dtype, size_t index)
{
    switch (dtype) {
    case GQA_BF16:
        return gqa_bf16_to_f32(((const uint16_t *)base)[index]);
    case GQA_F16:
        return gqa_f16_to_f32(((const uint16_t *)base)[index]);
    default:
        return ((const float *)base)[index];
    }
}

/* One (sequence, kv head) pair in plain C: any head_dim, any host. */
static void attend_portable(const decode_job *job, int sequence, int64_t kv_head)
{
    const int64_t g_count = job->group, d = job->head_dim;
    const int64_t length = job->lengths[sequence];
    const int32_t *slots = job->slots + job->slot_offsets[sequence];
    const int64_t row = job->rows[sequence];
    float q[g_count * d], acc[g_count * d], scores[g_count * KEY_BLOCK], running_max[g_count], running_sum[g_count];
    for (int64_t g = 0; g < g_count; g++) {
        const float *source = job->q + row * job->q_row_stride + (kv_head * g_count + g) * d;
        for (int64_t c = 0; c < d; c++) {
            q[g * d + c] = source[c] * job->scale;
        }
        running_max[g] = -INFINITY;
        running_sum[g] = 0.0f;
    }
    memset(acc, 0, sizeof acc);
    for (int64_t start = 0; start < length; start += KEY_BLOCK) {
        int64_t n = length - start < KEY_BLOCK ? length - start : KEY_BLOCK;
        for (int64_t j = 0; j < n; j++) {
            size_t base = ((size_t)slots[start + j] * (size_t)job->kv_heads + (size_t)kv_head) * (size_t)d;
            for (int64_t g = 0; g < g_count; g++) {
                float sum = 0.0f;
                for (int64_t c = 0; c < d; c++) {
                    sum += q[g * d + c] * kv_at(job->keys, job->kv_dtype, base + (size_t)c);
                }
                scores[g * KEY_BLOCK + j] = sum;
            }
        }
        for (int64_t g = 0; g < g_count; g++) {
            float block_max = running_max[g];
            for (int64_t j = 0; j < n; j++) {
                block_max = fmaxf(block_max, scores[g * KEY_BLOCK + j]);
            }
            float correction = expf(running_max[g] - block_max);
            running_max[g] = block_max;
            running_sum[g] *= correction;
            for (int64_t c = 0; c < d; c++) {
                acc[g * d + c] *= correction;
            }
            for (int64_t j = 0; j < n; j++) {
                float p = expf(scores[g * KEY_BLOCK + j] - block_max);
                scores[g * KEY_BLOCK + j] = p;
                running_sum[g] += p;
            }
        }
        for (int64_t j = 0; j < n; j++) {
            size_t base = ((size_t)slots[start + j] * (size_t)job->kv_heads + (size_t)kv_head) * (size_t)d;
            for (int64_t c = 0; c < d; c++) {
                float v = kv_at(job->values, job->kv_dtype, base + (size_t)c);
                for (int64_t g = 0; g < g_count; g++) {
                    acc[g * d + c] += scores[g * KEY_BLOCK + j] * v;
                }
            }
        }
    }
    for (int64_t g = 0; g < g_count; g++) {
        float *target = job->out + row * job->out_row_stride + (kv_head * g_count + g) * d;
        float inverse = length > 0 ? 1.0f / running_sum[g] : 0.0f;
        for (int64_t c = 0; c < d; c++) {
            target[c] = acc[g * d + c] * inverse;
        }
    }
}

/* A task's K/V heads in plain C, one after another. */
static void attend_portable_heads(const decode_job *job, int sequence, int64_t first_kv_head)
{
    for (int64_t h = 0; h < job->heads_per_task; h++) {
        attend_portable(job, sequence, first_kv_head + h);
    }
}

/* The vector paths' target. avx512bf16 is included so the bf16-dot specialisations can use vdpbf16ps; the others
 * contain no bf16 instruction, and the dispatcher picks the bf16-dot ones only where the host has AVX512_BF16. */
#define ATTEND_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

/* Fixed-size register arrays below: 16 vectors. */
#define REGISTER_BLOCK 16

/* The lanes of chunk c (of chunks) that lie inside the head: all 16 but in the last one. */
static inline __attribute__((always_inline)) __mmask16 chunk_mask(int64_t c, int64_t chunks, __mmask16 tail_mask)
{
    return c == chunks - 1 ? tail_mask : (__mmask16)0xffff;
}

/* 16 float32 at p, or (masked) only the lanes in `lanes`, the rest read as zero and nothing past them touched. The
 * specialisations for whole chunks pass masked = 0, so they keep plain loads. */
static inline __attribute__((always_inline)) ATTEND_TARGET __m512 load_f32_lanes(const float *p, __mmask16 lanes, const int masked)
{
    return masked ? _mm512_maskz_loadu_ps(lanes, p) : _mm512_loadu_ps(p);
}

/* load16, or (masked) load16_masked of only the lanes in `lanes`, as load_f32_lanes. */
static inline __attribute__((always_inline)) ATTEND_TARGET __m512 load16_lanes(const void *base, size_t index, const int dtype,
                                                                              __mmask16 lanes, const int masked)
{
    return masked ? load16_masked(base, index, dtype, lanes) : load16(base, index, dtype);
}

/*
 * One (sequence, kv head) pair with AVX-512; any head_dim (a last partial chunk of 16 lanes is masked), a multiple of
 * 32 for bf16_dot (checked by the dispatcher). group_size and head_chunks (head_dim / 16) are compile-time constants in
 * the common specialisations, so the loops below unroll and their accumulators stay in registers, or 0 to read them
 * from the job.
 *
 * Scores take 16 keys at a time, each query head of the group 16 dot products whose lane sums come out as one vector.
 * Key rows are read in place: float32 ones directly, bf16 ones by vdpbf16ps against the query split into three bf16
 * parts (high, middle, low: the query keeps float32's 24 bits; two parts kept 16, and a test at float32's bound saw it), and f16 ones
 * (or bf16 without AVX512_BF16) widened once into keys16 first. Values are taken key by key: each V row is widened once
 * and every query head adds its weight times it into accumulators held in registers.
 */
/* Asks for `bytes` of the K and V pools from element `index` into L2 (NEXT_BLOCK_HINT above says why there). */
static inline __attribute__((always_inline)) void prefetch_kv(const decode_job *job, size_t index, const int dtype, size_t bytes)
{
    const char *key = (const char *)job->keys + index * gqa_element_bytes(dtype);
    const char *value = (const char *)job->values + index * gqa_element_bytes(dtype);
    for (size_t byte = 0; byte < bytes; byte += 64) {
        _mm_prefetch(key + byte, NEXT_BLOCK_HINT);
        _mm_prefetch(value + byte, NEXT_BLOCK_HINT);
    }
}

static inline __attribute__((always_inline)) ATTEND_TARGET void
attend_avx512(const decode_job *job, int sequence, int64_t first_kv_head, const int dtype, const int bf16_dot,
              const int64_t group_size, const int64_t head_chunks)
{
    const int64_t task_heads = job->heads_per_task;
    const int64_t g_count = group_size != 0 ? group_size : job->group;
    /* d: the head's width; dp: its width padded to whole 16-lane chunks, the stride of the stack buffers. A head_dim
     * that is not a multiple of 16 (stories260K's 8) reads and writes its last chunk under tail_mask, never past the
     * head: the pool beyond it holds other heads' rows, or NaN in unused slots, and 0 * NaN is NaN. */
    const int64_t d = head_chunks != 0 ? head_chunks * 16 : job->head_dim;
    const int64_t chunks = (d + 15) / 16, dp = chunks * 16;
    const int masked = head_chunks == 0 && d % 16 != 0;
    const __mmask16 tail_mask = masked ? (__mmask16)((1u << (d % 16)) - 1) : (__mmask16)0xffff;
    const int64_t length = job->lengths[sequence];
    const int32_t *slots = job->slots + job->slot_offsets[sequence];
    const int64_t row = job->rows[sequence];
    const size_t row_elements = (size_t)job->kv_heads * (size_t)d;
    /* One head's slice of a slot row: what a prefetch of the next block fetches per key and head. */
    const size_t head_bytes = (size_t)d * gqa_element_bytes(dtype);
    const int widen_keys = dtype != GQA_F32 && !bf16_dot;
    /* Per query head of the task's task_heads groups: its scaled query, output accumulators and softmax state. */
    float q_all[task_heads * g_count * dp], acc_all[task_heads * g_count * dp], scores[g_count * KEY_BLOCK];
    float max_all[task_heads * g_count], sum_all[task_heads * g_count];
    /* bf16_dot: the query as three bf16 parts (high, middle, low: 24 bits, float32's precision), per 32 elements of
     * each head of the group. */
    __m512bh parts_all[bf16_dot ? task_heads * g_count * (chunks / 2) * 3 : 1];
    size_t row_bases[KEY_BLOCK], bases[KEY_BLOCK];
    float keys16[widen_keys ? 16 * dp : 16];
    /* Where a key row past the block's end points: zeros, so its score is a harmless 0 that is never used. */
    float zeros[dp];
    memset(zeros, 0, sizeof zeros);
    __m512 scale = _mm512_set1_ps(job->scale);
    /* The task's query heads are adjacent, so g runs over all of them here and at the end. */
    const int64_t task_query_heads = task_heads * g_count;
    for (int64_t g = 0; g < task_query_heads; g++) {
        const float *source = job->q + row * job->q_row_stride + (first_kv_head * g_count + g) * d;
        for (int64_t c = 0; c < chunks; c++) {
            const __mmask16 lanes = chunk_mask(c, chunks, tail_mask);
            _mm512_storeu_ps(q_all + g * dp + c * 16, _mm512_mul_ps(load_f32_lanes(source + c * 16, lanes, masked), scale));
            _mm512_storeu_ps(acc_all + g * dp + c * 16, _mm512_setzero_ps());
        }
        if (bf16_dot) {
            for (int64_t c = 0; c < chunks; c += 2) {
                __m512 low = _mm512_loadu_ps(q_all + g * dp + c * 16), high = _mm512_loadu_ps(q_all + g * dp + c * 16 + 16);
                for (int part = 0; part < 3; part++) {
                    __m512bh narrowed = _mm512_cvtne2ps_pbh(high, low);
                    parts_all[(g * (chunks / 2) + c / 2) * 3 + part] = narrowed;
                    __m512i widened_low = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256((__m512i)narrowed)), 16);
                    __m512i widened_high = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64((__m512i)narrowed, 1)), 16);
                    low = _mm512_sub_ps(low, _mm512_castsi512_ps(widened_low));
                    high = _mm512_sub_ps(high, _mm512_castsi512_ps(widened_high));
                }
            }
        }
        max_all[g] = -INFINITY;
        sum_all[g] = 0.0f;
    }
    /* The values pass accumulates group_block heads x chunk_block output chunks at once: at most REGISTER_BLOCK. */
    const int64_t chunk_block = g_count <= 1 ? 16 : g_count == 2 ? 8 : g_count <= 4 ? 4 : g_count <= 8 ? 2 : 1;
    const int64_t group_block = g_count <= REGISTER_BLOCK ? g_count : REGISTER_BLOCK;
    /* The first block's rows, all the task's heads of them, have nobody before them to fetch them: asked for at once
     * (0.86-0.95 of the attention time at 16 sequences x 100 and x 1,000). */
    for (int64_t j = 0; j < length && j < KEY_BLOCK; j++) {
        prefetch_kv(job, (size_t)slots[j] * row_elements + (size_t)first_kv_head * (size_t)d, dtype, (size_t)task_heads * head_bytes);
    }
    for (int64_t start = 0; start < length; start += KEY_BLOCK) {
        const int64_t n = length - start < KEY_BLOCK ? length - start : KEY_BLOCK;
        for (int64_t j = 0; j < n; j++) {
            row_bases[j] = (size_t)slots[start + j] * row_elements;
        }
        /* The task's heads one after another over this block of keys, each finding its slices of the block's rows in
         * L2 (fetched while the block before was attended; the first block's come from memory) and fetching its
         * slices of the next block's rows. */
        for (int64_t h = 0; h < task_heads; h++) {
            const int64_t kv_head = first_kv_head + h;
            const size_t head_offset = (size_t)kv_head * (size_t)d;
            float *q = q_all + h * g_count * dp, *acc = acc_all + h * g_count * dp;
            float *running_max = max_all + h * g_count, *running_sum = sum_all + h * g_count;
            const __m512bh *q_parts = parts_all + (bf16_dot ? h * g_count * (chunks / 2) * 3 : 0);
            for (int64_t j = 0; j < n; j++) {
                bases[j] = row_bases[j] + head_offset;
            }
            for (int64_t j0 = 0; j0 < n; j0 += 16) {
                /* The 16 key rows (zeros past the block's end), prefetching the next block's rows meanwhile. */
                const char *key_rows[16];
                for (int64_t jj = 0; jj < 16; jj++) {
                    const int64_t j = j0 + jj;
                    if (j >= n) {
                        key_rows[jj] = (const char *)zeros;
                        continue;
                    }
                    if (start + KEY_BLOCK + j < length) {
                        prefetch_kv(job, (size_t)slots[start + KEY_BLOCK + j] * row_elements + head_offset, dtype, head_bytes);
                    }
                    key_rows[jj] = (const char *)job->keys + bases[j] * gqa_element_bytes(dtype);
                    if (widen_keys) {
                        for (int64_t c = 0; c < chunks; c++) {
                            _mm512_storeu_ps(keys16 + jj * dp + c * 16,
                                             load16_lanes(job->keys, bases[j] + (size_t)c * 16, dtype, chunk_mask(c, chunks, tail_mask), masked));
                        }
                        key_rows[jj] = (const char *)(keys16 + jj * dp);
                    }
                }
                for (int64_t g = 0; g < g_count; g++) {
                    __m512 partial[4][4];
                    for (int jj = 0; jj < 16; jj++) {
                        partial[jj / 4][jj % 4] = _mm512_setzero_ps();
                    }
                    if (bf16_dot) {
                        /* 32 bf16 per load; a zero row is read as 32 float32 zeros' first half, also zero. */
                        for (int64_t c = 0; c < chunks; c += 2) {
                            const __m512bh *parts = q_parts + (g * (chunks / 2) + c / 2) * 3;
                            for (int jj = 0; jj < 16; jj++) {
                                __m512bh keys = (__m512bh)_mm512_loadu_si512(key_rows[jj] + c * 32);
                                partial[jj / 4][jj % 4] = _mm512_dpbf16_ps(partial[jj / 4][jj % 4], parts[0], keys);
                                partial[jj / 4][jj % 4] = _mm512_dpbf16_ps(partial[jj / 4][jj % 4], parts[1], keys);
                                partial[jj / 4][jj % 4] = _mm512_dpbf16_ps(partial[jj / 4][jj % 4], parts[2], keys);
                            }
                        }
                    } else {
                        for (int64_t c = 0; c < chunks; c++) {
                            const __mmask16 lanes = chunk_mask(c, chunks, tail_mask);
                            __m512 query = _mm512_loadu_ps(q + g * dp + c * 16);
                            for (int jj = 0; jj < 16; jj++) {
                                partial[jj / 4][jj % 4] = _mm512_fmadd_ps(query, load_f32_lanes((const float *)key_rows[jj] + c * 16, lanes, masked), partial[jj / 4][jj % 4]);
                            }
                        }
                    }
                    _mm512_storeu_ps(scores + g * KEY_BLOCK + j0, lane_sums_4x4(partial));
                }
            }
            /* Online softmax: rescale what was accumulated when the running max rises, then weights for this block. */
            for (int64_t g = 0; g < g_count; g++) {
                float *block = scores + g * KEY_BLOCK;
                __m512 maximum = _mm512_set1_ps(running_max[g]);
                for (int64_t j = 0; j < n; j += 16) {
                    __mmask16 lanes = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
                    maximum = _mm512_mask_max_ps(maximum, lanes, maximum, _mm512_maskz_loadu_ps(lanes, block + j));
                }
                float block_max = _mm512_reduce_max_ps(maximum);
                if (block_max > running_max[g]) {
                    float correction = expf(running_max[g] - block_max);
                    running_sum[g] *= correction;
                    __m512 factor = _mm512_set1_ps(correction);
                    for (int64_t c = 0; c < chunks; c++) {
                        float *a = acc + g * dp + c * 16;
                        _mm512_storeu_ps(a, _mm512_mul_ps(_mm512_loadu_ps(a), factor));
                    }
                    running_max[g] = block_max;
                }
                __m512 shift = _mm512_set1_ps(running_max[g]);
                __m512 total = _mm512_setzero_ps();
                for (int64_t j = 0; j < n; j += 16) {
                    __mmask16 lanes = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
                    __m512 p = _mm512_maskz_mov_ps(lanes, exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, block + j), shift)));
                    _mm512_mask_storeu_ps(block + j, lanes, p);
                    total = _mm512_add_ps(total, p);
                }
                running_sum[g] += _mm512_reduce_add_ps(total);
            }
            /* Weighted values, key by key, a block of output chunks at a time (at most 16 accumulators): a weight is
             * broadcast once per key and head rather than once per chunk. Fixed-size arrays, not VLAs: fully unrolled,
             * their constant indices let the compiler keep them in registers. */
            for (int64_t g0 = 0; g0 < g_count; g0 += group_block) {
                const int64_t g_end = g0 + group_block < g_count ? g0 + group_block : g_count;
                for (int64_t c0 = 0; c0 < chunks; c0 += chunk_block) {
                    __m512 sums[REGISTER_BLOCK] = { 0 };
                    for (int64_t g = g0; g < g_end; g++) {
#pragma GCC unroll 16
                        for (int64_t c = 0; c < chunk_block; c++) {
                            if (c0 + c < chunks) {
                                sums[(g - g0) * chunk_block + c] = _mm512_loadu_ps(acc + g * dp + (c0 + c) * 16);
                            }
                        }
                    }
                    for (int64_t j = 0; j < n; j++) {
                        __m512 v[REGISTER_BLOCK] = { 0 };
#pragma GCC unroll 16
                        for (int64_t c = 0; c < chunk_block; c++) {
                            if (c0 + c < chunks) {
                                v[c] = load16_lanes(job->values, bases[j] + (size_t)(c0 + c) * 16, dtype, chunk_mask(c0 + c, chunks, tail_mask), masked);
                            }
                        }
                        for (int64_t g = g0; g < g_end; g++) {
                            __m512 weight = _mm512_set1_ps(scores[g * KEY_BLOCK + j]);
#pragma GCC unroll 16
                            for (int64_t c = 0; c < chunk_block; c++) {
                                if (c0 + c < chunks) {
                                    sums[(g - g0) * chunk_block + c] = _mm512_fmadd_ps(weight, v[c], sums[(g - g0) * chunk_block + c]);
                                }
                            }
                        }
                    }
                    for (int64_t g = g0; g < g_end; g++) {
#pragma GCC unroll 16
                        for (int64_t c = 0; c < chunk_block; c++) {
                            if (c0 + c < chunks) {
                                _mm512_storeu_ps(acc + g * dp + (c0 + c) * 16, sums[(g - g0) * chunk_block + c]);
                            }
                        }
                    }
                }
            }
        }
    }
    for (int64_t g = 0; g < task_query_heads; g++) {
        float *target = job->out + row * job->out_row_stride + (first_kv_head * g_count + g) * d;
        __m512 inverse = _mm512_set1_ps(length > 0 ? 1.0f / sum_all[g] : 0.0f);
        for (int64_t c = 0; c < chunks; c++) {
            __m512 result = _mm512_mul_ps(_mm512_loadu_ps(acc_all + g * dp + c * 16), inverse);
            if (masked) {
                _mm512_mask_storeu_ps(target + c * 16, chunk_mask(c, chunks, tail_mask), result);
            } else {
                _mm512_storeu_ps(target + c * 16, result);
            }
        }
    }
}

/* One specialisation per K/V path, common group size and head_dim (64 or 128), so loads and loop bounds are resolved
 * at compile time; one per path for everything else. */
#define ATTEND_AVX512(name, dtype, bf16_dot, group, head_chunks)                                     \
    static ATTEND_TARGET void name(const decode_job *job, int sequence, int64_t kv_head)             \
    {                                                                                                \
        attend_avx512(job, sequence, kv_head, dtype, bf16_dot, group, head_chunks);                  \
    }
#define ATTEND_AVX512_DIMS(prefix, dtype, bf16_dot, group)                                           \
    ATTEND_AVX512(prefix##_d64, dtype, bf16_dot, group, 4)                                           \
    ATTEND_AVX512(prefix##_d128, dtype, bf16_dot, group, 8)
#define ATTEND_AVX512_PATH(prefix, dtype, bf16_dot)                                                  \
    ATTEND_AVX512(prefix##_generic, dtype, bf16_dot, 0, 0)                                           \
    ATTEND_AVX512_DIMS(prefix##_1, dtype, bf16_dot, 1)                                               \
    ATTEND_AVX512_DIMS(prefix##_2, dtype, bf16_dot, 2)                                               \
    ATTEND_AVX512_DIMS(prefix##_3, dtype, bf16_dot, 3)                                               \
    ATTEND_AVX512_DIMS(prefix##_4, dtype, bf16_dot, 4)                                               \
    ATTEND_AVX512_DIMS(prefix##_8, dtype, bf16_dot, 8)
ATTEND_AVX512_PATH(attend_avx512_f32, GQA_F32, 0)
ATTEND_AVX512_PATH(attend_avx512_bf16, GQA_BF16, 0)
ATTEND_AVX512_PATH(attend_avx512_bf16_dot, GQA_BF16, 1)
ATTEND_AVX512_PATH(attend_avx512_f16, GQA_F16, 0)

/* A path's table: [group 1, 2, 3, 4, 8][head_dim 64, 128], and its generic function. */
#define ATTEND_TABLE(prefix)                                                                         \
    { { { prefix##_1_d64, prefix##_1_d128 }, { prefix##_2_d64, prefix##_2_d128 },                    \
        { prefix##_3_d64, prefix##_3_d128 }, { prefix##_4_d64, prefix##_4_d128 },                    \
        { prefix##_8_d64, prefix##_8_d128 } }, prefix##_generic }

typedef void (*attend_fn)(const decode_job *job, int sequence, int64_t kv_head);

typedef struct {
    const decode_job *job;
    attend_fn attend;
} decode_task;

static void decode_attention_task(void *context, int task)
{
    const decode_task *work = context;
    const decode_job *job = work->job;
    const int64_t tasks_per_sequence = job->kv_heads / job->heads_per_task;
    work->attend(job, job->order[task / tasks_per_sequence], (task % tasks_per_sequence) * job->heads_per_task);
}

/*
 * How many adjacent K/V heads one task attends for its sequence. A slot row holds every K/V head of a token, so a task
 * of one head reads a slice of each row (a quarter of a 1 KiB row for 4 heads of 64 float32) and the rows' other
 * slices are read by other tasks at other times: a strided stream that kept decode attention at a fraction of the
 * memory bandwidth at long contexts. All heads per task read whole rows; fewer, as many as still give every thread
 * four tasks to balance, when there are few sequences. The stack holds the task's queries and accumulators.
 */
static int64_t heads_per_task(int64_t batch, int64_t kv_heads, int64_t heads, int64_t head_dim, int threads)
{
    const int64_t group = heads / kv_heads;
    for (int64_t per_task = kv_heads; per_task > 1; per_task--) {
        if (kv_heads % per_task == 0 && per_task * group * head_dim <= MAX_GROUP_WIDTH
            && batch * (kv_heads / per_task) >= 4 * (int64_t)threads) {
            return per_task;
        }
    }
    return 1;
}

/* qsort has no context argument: the lengths being sorted by, per calling thread. */
static _Thread_local const int32_t *sort_lengths;

static int longer_first(const void *a, const void *b)
{
    int32_t left = sort_lengths[*(const int32_t *)a], right = sort_lengths[*(const int32_t *)b];
    return left > right ? -1 : left < right ? 1 : (*(const int32_t *)a > *(const int32_t *)b) - (*(const int32_t *)a < *(const int32_t *)b);
}

static int decode_attention(const float *q, int64_t q_row_stride, const int32_t *rows, int64_t batch, int64_t heads,
                            int64_t kv_heads, int64_t head_dim, const void *keys, const void *values, int kv_dtype,
                            const int32_t *slots, const int32_t *slot_offsets, const int32_t *lengths, float *out,
                            int64_t out_row_stride, int allow_vector)
{
    if (kv_dtype != GQA_F32 && kv_dtype != GQA_BF16 && kv_dtype != GQA_F16) {
        return -1;
    }
    if (kv_heads <= 0 || heads % kv_heads != 0 || head_dim <= 0 || (heads / kv_heads) * head_dim > MAX_GROUP_WIDTH) {
        return -2;
    }
    if (batch <= 0) {
        return 0;
    }
    /* Longest first, so the pool's dynamic task queue ends on short ones. qsort: a fused prefill chunk brings up to a
     * thousand rows in ascending order, insertion sort's worst case. */
    int32_t order[batch];
    for (int64_t i = 0; i < batch; i++) {
        order[i] = (int32_t)i;
    }
    sort_lengths = lengths;
    qsort(order, (size_t)batch, sizeof order[0], longer_first);
    decode_job job = {
        q, q_row_stride, rows, kv_heads, heads / kv_heads, head_dim, keys, values, kv_dtype,
        slots, slot_offsets, lengths, out, out_row_stride, order, 1, 1.0f / sqrtf((float)head_dim),
    };
    attend_fn attend = attend_portable_heads;
    const int features = gqa_cpu_features();
    if (allow_vector && (features & GQA_CPU_AVX512F) != 0) {
        static const struct {
            attend_fn specialised[5][2];
            attend_fn generic;
        } by_path[4] = {
            ATTEND_TABLE(attend_avx512_f32),
            ATTEND_TABLE(attend_avx512_bf16),
            ATTEND_TABLE(attend_avx512_bf16_dot),
            ATTEND_TABLE(attend_avx512_f16),
        };
        const int bf16_dot = kv_dtype == GQA_BF16 && (features & GQA_CPU_AVX512_BF16) != 0 && head_dim % 32 == 0;
        const int path_index = kv_dtype == GQA_F32 ? 0 : kv_dtype == GQA_BF16 ? (bf16_dot ? 2 : 1) : 3;
        const int64_t group = heads / kv_heads;
        const int group_index = group == 1 ? 0 : group == 2 ? 1 : group == 3 ? 2 : group == 4 ? 3 : group == 8 ? 4 : -1;
        const int dim_index = head_dim == 64 ? 0 : head_dim == 128 ? 1 : -1;
        attend = group_index >= 0 && dim_index >= 0 ? by_path[path_index].specialised[group_index][dim_index]
                                                    : by_path[path_index].generic;
    }
    job.heads_per_task = heads_per_task(batch, kv_heads, heads, head_dim, gqa_threads());
    decode_task work = { &job, attend };
    gqa_parallel_for((int)(batch * (kv_heads / job.heads_per_task)), decode_attention_task, &work);
    return 0;
}

int gqa_decode_attention(const float *q, int64_t q_row_stride, const int32_t *rows, int64_t batch, int64_t heads,
                         int64_t kv_heads, int64_t head_dim, const void *keys, const void *values, int kv_dtype,
                         const int32_t *slots, const int32_t *slot_offsets, const int32_t *lengths, float *out,
                         int64_t out_row_stride, int portable_only)
{
    return decode_attention(q, q_row_stride, rows, batch, heads, kv_heads, head_dim, keys, values, kv_dtype, slots,
                            slot_offsets, lengths, out, out_row_stride, !portable_only);
}
