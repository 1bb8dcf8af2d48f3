/* What linear.c (dispatch, portable path) and linear_avx512.c (vector paths) share. */
#ifndef GQA_LINEAR_H
#define GQA_LINEAR_H

#include <stdint.h>

typedef struct {
    const float *x;        /* [m, k] float32 */
    int64_t m, k, n;
    const void *w;         /* [n, k] in w_dtype */
    int w_dtype;
    const float *bias;     /* [n] or null */
    float *y;              /* [m, n] */
    int accumulate;
    const uint16_t *x_bf16; /* the bf16 dot path's x, narrowed once per call: [m, k_padded], zero past k */
    int64_t k_padded;
    int64_t rows_per_task; /* output features per task, a multiple of the widest weight-row block */
} gqa_linear_job;

/* The vector paths' task functions (linear_avx512.c): run job rows [task * rows_per_task, ...). */
void gqa_linear_avx512_fma_task(void *job, int task);
void gqa_linear_avx512_bf16_dot_task(void *job, int task);
/* Narrows x to bf16 (round to nearest even) into job->x_bf16's rows, zero-padded to k_padded. */
void gqa_linear_avx512_narrow_x(const float *x, int64_t m, int64_t k, uint16_t *out, int64_t k_padded);

/* Weight rows per register block (the widest), so tasks split the rows on block boundaries. */
#define GQA_LINEAR_ROW_BLOCK 4

#endif
