/*
 * F.linear for the few rows of a decode step: y[m, n] = x[m, :] . w[n, :] (+ bias[n]). Decoding is bound by reading
 * the weights, so the work is split over output features (each weight row is read once, for all m rows).
 * This file holds the portable path; faster paths are chosen per host in gqa_linear.
 */
#include "dtype.h"
#include "gqa_kernels.h"
#include "thread_pool.h"

#include <stddef.h>

typedef struct {
    const float *x;
    int64_t m, k, n;
    const void *w;
    int w_dtype;
    const float *bias;
    float *y;
    int accumulate;
    int64_t columns_per_task;
} linear_job;

static float weight_at(const linear_job *job, int64_t row, int64_t column)
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
    const linear_job *job = context;
    int64_t first = (int64_t)task * job->columns_per_task;
    int64_t last = first + job->columns_per_task < job->n ? first + job->columns_per_task : job->n;
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

int gqa_linear(const float *x, int64_t m, int64_t k, const void *w, int w_dtype, int64_t n,
               const float *bias, float *y, int accumulate)
{
    if (w_dtype != GQA_F32 && w_dtype != GQA_BF16 && w_dtype != GQA_F16) {
        return -1;
    }
    linear_job job = { x, m, k, n, w, w_dtype, bias, y, accumulate, 0 };
    /* A few tasks per thread so an unevenly loaded core does not hold the others up. */
    int tasks = gqa_threads() * 4;
    job.columns_per_task = (n + tasks - 1) / tasks;
    tasks = (int)((n + job.columns_per_task - 1) / job.columns_per_task);
    gqa_parallel_for(tasks, linear_portable_task, &job);
    return 0;
}
