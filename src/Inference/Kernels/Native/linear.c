/*
 * F.linear for the few rows of a decode step: y[m, n] = x[m, :] . w[n, :] (+ bias[n]). Decoding is bound by reading
 * the weights, so the work is split over output features (each weight row is read once, for all m rows).
 * This file holds the dispatch and the portable path; the vector paths are in linear_avx512.c.
 */
#include "dtype.h"
#include "gqa_kernels.h"
#include "linear.h"
#include "scratch.h"
#include "thread_pool.h"

#include <stddef.h>

/*
 * Tasks per thread: a few, so a core slowed by other load does not hold the step up, few enough that a task streams
 * a long contiguous run of weight rows (hardware prefetch) and the fork-join costs little. Measured 1, 4 and 16 on the
 * 2-core Zen 5 (random100M's matmuls, 1 and 16 rows, 2026-12-02): all within the noise of a shared machine (load
 * 12-20, no setting ahead in both rounds); 4 gave the best single-row time (5.8 ms per step of bf16 matmuls, 34 GB/s).
 */
#ifndef TASKS_PER_THREAD /* a build flag only to measure others */
#define TASKS_PER_THREAD 4
#endif

/* Measured (docs/benchmarks.md, fifth round): 128 rows beat 64 by 8-10% at 128-512 rows in float32 (each chunk streams
 * the weights once more), and beat 256 and 512 (x no longer stays in L2). */
#define ROWS_PER_CHUNK 128

static int weight_dtype_known(int w_dtype)
{
    return w_dtype == GQA_F32 || w_dtype == GQA_BF16 || w_dtype == GQA_F16;
}

int gqa_linear_best_path(int w_dtype)
{
    if (!weight_dtype_known(w_dtype)) {
        return -1;
    }
    int features = gqa_cpu_features();
    if (w_dtype == GQA_BF16 && (features & GQA_CPU_AVX512_BF16)) {
        return GQA_LINEAR_AVX512_BF16_DOT;
    }
    if (features & GQA_CPU_AVX512F) {
        return GQA_LINEAR_AVX512_FMA;
    }
    return GQA_LINEAR_PORTABLE;
}

static int path_serves(int path, int w_dtype)
{
    int features = gqa_cpu_features();
    switch (path) {
    case GQA_LINEAR_PORTABLE:
        return 1;
    case GQA_LINEAR_AVX512_FMA:
        return (features & GQA_CPU_AVX512F) != 0;
    case GQA_LINEAR_AVX512_BF16_DOT:
        return w_dtype == GQA_BF16 && (features & GQA_CPU_AVX512_BF16) != 0;
    default:
        return 0;
    }
}

static float weight_at(const gqa_linear_job *job, int64_t row, int64_t column)
{
    size_t index = (size_t)row * (size_t)job->k + (size_t)column;
    switch (job->w_dtype) {
    case GQA_BF16:
        return gqa_bf16_to_f32(((const uint16_t *)job->w)[index]);
    case GQA_F16:
        return gqa_f16_to_f32(((const uint16_t *)job->w)[index]);
    default:
        return ((const float *)job->w)[index];
    }
}

static void linear_portable_task(void *context, int task)
{
    const gqa_linear_job *job = context;
    int64_t first = (int64_t)task * job->rows_per_task;
    int64_t last = first + job->rows_per_task < job->n ? first + job->rows_per_task : job->n;
    for (int64_t j = first; j < last; j++) {
        for (int64_t i = 0; i < job->m; i++) {
            const float *row = job->x + i * job->k;
            float sum = 0.0f;
            for (int64_t c = 0; c < job->k; c++) {
                sum += row[c] * weight_at(job, j, c);
            }
            if (job->bias != NULL) {
                sum += job->bias[j];
            }
            float *out = job->y + i * job->n + j;
            *out = job->accumulate ? *out + sum : sum;
        }
    }
}

/* The bf16 dot path's narrowed x (scratch.h). */
static _Thread_local gqa_scratch narrowed_x;

static int linear_chunk(int path, const float *x, int64_t m, int64_t k, const void *w, int w_dtype, int64_t n,
                        const float *bias, float *y, int accumulate)
{
    if (!weight_dtype_known(w_dtype) || !path_serves(path, w_dtype)) {
        return -1;
    }
    if (m <= 0 || n <= 0) {
        return 0;
    }
    gqa_linear_job job = { x, m, k, n, w, w_dtype, bias, y, accumulate, NULL, 0, 0 };
    int tasks = gqa_threads() * TASKS_PER_THREAD;
    int64_t rows = (n + tasks - 1) / tasks;
    job.rows_per_task = (rows + GQA_LINEAR_ROW_BLOCK - 1) / GQA_LINEAR_ROW_BLOCK * GQA_LINEAR_ROW_BLOCK;
    tasks = (int)((n + job.rows_per_task - 1) / job.rows_per_task);
    gqa_task_fn task = linear_portable_task;
    if (path == GQA_LINEAR_AVX512_FMA) {
        task = gqa_linear_avx512_fma_task;
    } else if (path == GQA_LINEAR_AVX512_BF16_DOT) {
        job.k_padded = (k + 31) / 32 * 32;
        uint16_t *scratch = gqa_scratch_reserve(&narrowed_x, (size_t)m * (size_t)job.k_padded * sizeof(uint16_t));
        if (scratch == NULL) {
            return -1;
        }
        gqa_linear_avx512_narrow_x(x, m, k, scratch, job.k_padded);
        job.x_bf16 = scratch;
        task = gqa_linear_avx512_bf16_dot_task;
    }
    gqa_parallel_for(tasks, task, &job);
    return 0;
}

int gqa_linear(const float *x, int64_t m, int64_t k, const void *w, int w_dtype, int64_t n,
               const float *bias, float *y, int accumulate)
{
    int path = gqa_linear_best_path(w_dtype);
    return path < 0 ? -1 : gqa_linear_on_path(path, x, m, k, w, w_dtype, n, bias, y, accumulate);
}

int gqa_linear_on_path(int path, const float *x, int64_t m, int64_t k, const void *w, int w_dtype, int64_t n,
                       const float *bias, float *y, int accumulate)
{
    /* Many rows (a prefill): a chunk of x rows at a time, so the rows a weight block meets stay in L2 (128 rows of
     * k = 768 are 384 KiB in float32, of k = 2048 1 MiB) instead of streaming all of x from memory for every block of
     * weight rows. The weights are read once per chunk, which the chunk's compute mostly hides. */
    if (m <= 0) {
        return linear_chunk(path, x, 0, k, w, w_dtype, n, bias, y, accumulate); /* nothing to do, but -1 if unsupported */
    }
    for (int64_t first = 0; first < m; first += ROWS_PER_CHUNK) {
        int64_t rows = m - first < ROWS_PER_CHUNK ? m - first : ROWS_PER_CHUNK;
        int status = linear_chunk(path, x + first * k, rows, k, w, w_dtype, n, bias, y + first * n, accumulate);
        if (status != 0) {
            return status;
        }
    }
    return 0;
}
