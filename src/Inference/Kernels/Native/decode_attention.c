/*
 * Decode attention read straight from the paged KV pool: one new token per sequence attends to every slot in its
 * slot list, without gathering (and, for 16-bit K/V, widening) the context into a padded copy first. That copy is what
 * made libtorch's decode step grow with context: it is written and read once per layer, while this kernel reads each
 * K/V row once, for all G query heads of its group, and converts it to float32 in registers.
 *
 * Work is split over (sequence, kv head) pairs, longest sequences first so a long one does not start last and hold
 * the step up. Softmax is online (running max and sum per query head, rescaled per block of keys), so no buffer
 * proportional to the context is needed: everything lives on the stack.
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
/* How many keys ahead of use a key row is prefetched. A sequence's slots are runs of a block's slots in block-table
 * order, and one head's slice is a fraction of each row, so the hardware prefetchers see a strided, jumping stream:
 * fetching well ahead is what keeps a long context from being bound by DRAM latency rather than bandwidth. */
#ifndef KEY_PREFETCH_DISTANCE
#define KEY_PREFETCH_DISTANCE 16
#endif
/* The largest group * head_dim the stack buffers are sized for (32 KiB of float32 accumulators per buffer). */
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
    float scale;
} decode_job;

static size_t element_size(int dtype)
{
    return dtype == GQA_F32 ? 4 : 2;
}

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

/*
 * One (sequence, kv head) pair with AVX-512; head_dim is a multiple of 16 (checked by the dispatcher). group_size is a
 * compile-time constant in the common specialisations (then the group's running dot products and output accumulators
 * stay in registers), or 0 to read it from the job.
 */
AVX512_INLINE void attend_avx512(const decode_job *job, int sequence, int64_t kv_head, const int dtype, const int64_t group_size)
{
    const int64_t g_count = group_size != 0 ? group_size : job->group, d = job->head_dim, chunks = d / 16;
    const int64_t length = job->lengths[sequence];
    const int32_t *slots = job->slots + job->slot_offsets[sequence];
    const int64_t row = job->rows[sequence];
    const size_t row_elements = (size_t)job->kv_heads * (size_t)d;
    const size_t head_offset = (size_t)kv_head * (size_t)d;
    const size_t row_bytes = (size_t)d * element_size(dtype);
    float q[g_count * d], acc[g_count * d], scores[g_count * KEY_BLOCK], running_max[g_count], running_sum[g_count];
    size_t bases[KEY_BLOCK];
    float keys16[16 * d];
    __m512 scale = _mm512_set1_ps(job->scale);
    for (int64_t g = 0; g < g_count; g++) {
        const float *source = job->q + row * job->q_row_stride + (kv_head * g_count + g) * d;
        for (int64_t c = 0; c < chunks; c++) {
            _mm512_storeu_ps(q + g * d + c * 16, _mm512_mul_ps(_mm512_loadu_ps(source + c * 16), scale));
            _mm512_storeu_ps(acc + g * d + c * 16, _mm512_setzero_ps());
        }
        running_max[g] = -INFINITY;
        running_sum[g] = 0.0f;
    }
    __m512 dots[g_count];
    for (int64_t start = 0; start < length; start += KEY_BLOCK) {
        const int64_t n = length - start < KEY_BLOCK ? length - start : KEY_BLOCK;
        for (int64_t j = 0; j < n; j++) {
            bases[j] = (size_t)slots[start + j] * row_elements + head_offset;
        }
        /* Scores, 16 keys at a time: their rows are widened once into keys16 (zero past the block's end), then each
         * query head of the group takes 16 dot products whose lane sums come out as one vector, where a reduction per
         * key and head was most of the work. V rows are prefetched meanwhile, for the pass below. */
        for (int64_t j0 = 0; j0 < n; j0 += 16) {
            for (int64_t jj = 0; jj < 16; jj++) {
                float *row = keys16 + jj * d;
                const int64_t j = j0 + jj;
                if (j >= n) {
                    memset(row, 0, (size_t)d * sizeof(float));
                    continue;
                }
                if (start + j + KEY_PREFETCH_DISTANCE < length) {
                    const size_t ahead = (size_t)slots[start + j + KEY_PREFETCH_DISTANCE] * row_elements + head_offset;
                    const char *line = (const char *)job->keys + ahead * element_size(dtype);
                    for (size_t byte = 0; byte < row_bytes; byte += 64) {
                        _mm_prefetch(line + byte, _MM_HINT_T0);
                    }
                }
                const char *value_line = (const char *)job->values + bases[j] * element_size(dtype);
                for (size_t byte = 0; byte < row_bytes; byte += 64) {
                    _mm_prefetch(value_line + byte, _MM_HINT_T0);
                }
                for (int64_t c = 0; c < chunks; c++) {
                    _mm512_storeu_ps(row + c * 16, load16(job->keys, bases[j] + (size_t)c * 16, dtype));
                }
            }
            for (int64_t g = 0; g < g_count; g++) {
                __m512 partial[4][4];
                for (int jj = 0; jj < 16; jj++) {
                    partial[jj / 4][jj % 4] = _mm512_setzero_ps();
                }
                for (int64_t c = 0; c < chunks; c++) {
                    __m512 query = _mm512_loadu_ps(q + g * d + c * 16);
                    for (int jj = 0; jj < 16; jj++) {
                        partial[jj / 4][jj % 4] = _mm512_fmadd_ps(query, _mm512_loadu_ps(keys16 + jj * d + c * 16), partial[jj / 4][jj % 4]);
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
                    float *a = acc + g * d + c * 16;
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
        /* Weighted values, one 16-wide column chunk at a time so the group's accumulators stay in registers. */
        for (int64_t c = 0; c < chunks; c++) {
            for (int64_t g = 0; g < g_count; g++) {
                dots[g] = _mm512_loadu_ps(acc + g * d + c * 16);
            }
            for (int64_t j = 0; j < n; j++) {
                __m512 v = load16(job->values, bases[j] + (size_t)c * 16, dtype);
                for (int64_t g = 0; g < g_count; g++) {
                    dots[g] = _mm512_fmadd_ps(_mm512_set1_ps(scores[g * KEY_BLOCK + j]), v, dots[g]);
                }
            }
            for (int64_t g = 0; g < g_count; g++) {
                _mm512_storeu_ps(acc + g * d + c * 16, dots[g]);
            }
        }
    }
    for (int64_t g = 0; g < g_count; g++) {
        float *target = job->out + row * job->out_row_stride + (kv_head * g_count + g) * d;
        __m512 inverse = _mm512_set1_ps(length > 0 ? 1.0f / running_sum[g] : 0.0f);
        for (int64_t c = 0; c < chunks; c++) {
            _mm512_storeu_ps(target + c * 16, _mm512_mul_ps(_mm512_loadu_ps(acc + g * d + c * 16), inverse));
        }
    }
}

/* One specialisation per K/V dtype and common group size, so loads and loop bounds are resolved at compile time. */
#define ATTEND_AVX512(name, dtype, group)                                                             \
    static AVX512_TARGET void name(const decode_job *job, int sequence, int64_t kv_head)             \
    {                                                                                                \
        attend_avx512(job, sequence, kv_head, dtype, group);                                         \
    }
#define ATTEND_AVX512_GROUPS(prefix, dtype)                                                          \
    ATTEND_AVX512(prefix##_any, dtype, 0)                                                            \
    ATTEND_AVX512(prefix##_1, dtype, 1)                                                              \
    ATTEND_AVX512(prefix##_2, dtype, 2)                                                              \
    ATTEND_AVX512(prefix##_3, dtype, 3)                                                              \
    ATTEND_AVX512(prefix##_4, dtype, 4)                                                              \
    ATTEND_AVX512(prefix##_8, dtype, 8)
ATTEND_AVX512_GROUPS(attend_avx512_f32, GQA_F32)
ATTEND_AVX512_GROUPS(attend_avx512_bf16, GQA_BF16)
ATTEND_AVX512_GROUPS(attend_avx512_f16, GQA_F16)

typedef void (*attend_fn)(const decode_job *job, int sequence, int64_t kv_head);

typedef struct {
    const decode_job *job;
    attend_fn attend;
} decode_task;

static void decode_attention_task(void *context, int task)
{
    const decode_task *work = context;
    const decode_job *job = work->job;
    work->attend(job, job->order[task / job->kv_heads], task % job->kv_heads);
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
        slots, slot_offsets, lengths, out, out_row_stride, order, 1.0f / sqrtf((float)head_dim),
    };
    attend_fn attend = attend_portable;
    if (allow_vector && (gqa_cpu_features() & GQA_CPU_AVX512F) != 0 && head_dim % 16 == 0) {
        static const attend_fn by_group[3][6] = {
            { attend_avx512_f32_any, attend_avx512_f32_1, attend_avx512_f32_2, attend_avx512_f32_3, attend_avx512_f32_4, attend_avx512_f32_8 },
            { attend_avx512_bf16_any, attend_avx512_bf16_1, attend_avx512_bf16_2, attend_avx512_bf16_3, attend_avx512_bf16_4, attend_avx512_bf16_8 },
            { attend_avx512_f16_any, attend_avx512_f16_1, attend_avx512_f16_2, attend_avx512_f16_3, attend_avx512_f16_4, attend_avx512_f16_8 },
        };
        int dtype_index = kv_dtype == GQA_F32 ? 0 : kv_dtype == GQA_BF16 ? 1 : 2;
        int64_t group = heads / kv_heads;
        int group_index = group == 1 ? 1 : group == 2 ? 2 : group == 3 ? 3 : group == 4 ? 4 : group == 8 ? 5 : 0;
        attend = by_group[dtype_index][group_index];
    }
    decode_task work = { &job, attend };
    gqa_parallel_for((int)(batch * kv_heads), decode_attention_task, &work);
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
