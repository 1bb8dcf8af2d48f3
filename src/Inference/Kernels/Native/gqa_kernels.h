/*
 * GqaService's own CPU kernels: the few operations where libtorch's general kernels leave speed on the table for
 * LLM decoding on a small CPU (matrix-vector products over 16-bit weights, attention read straight from the paged
 * KV pool). Loaded by P/Invoke (GqaService.Inference.Kernels.NativeKernels); every kernel has a libtorch fallback
 * and a test that both agree.
 *
 * Conventions: row-major, contiguous memory; the caller owns every buffer; nothing here allocates per call except
 * per-thread scratch sized at first use; a kernel never fails on valid shapes (shapes are checked in C#). Kernels run
 * on the calling thread plus the pool's workers (gqa_set_threads).
 */
#ifndef GQA_KERNELS_H
#define GQA_KERNELS_H

#include <stdint.h>

#define GQA_API __attribute__((visibility("default")))

/* Bumped whenever a signature changes, so a stale library is refused rather than called wrongly. */
#define GQA_KERNELS_ABI 3

/* What the host can do (bits of gqa_cpu_features). */
enum gqa_cpu_feature {
    GQA_CPU_AVX2_FMA = 1 << 0,
    GQA_CPU_AVX512F = 1 << 1,   /* with BW and VL */
    GQA_CPU_AVX512_BF16 = 1 << 2,
    GQA_CPU_F16C = 1 << 3,
    GQA_CPU_AMX_BF16 = 1 << 4,
};

/* Element types, numbered as libtorch's ScalarType so C# passes them through unchanged. */
enum gqa_dtype {
    GQA_F16 = 5,
    GQA_F32 = 6,
    GQA_BF16 = 15,
};

GQA_API int gqa_kernels_abi(void);
GQA_API int gqa_cpu_features(void);

/* Threads that run a kernel, the caller included (1 = the caller alone). Workers start on first use. */
GQA_API void gqa_set_threads(int threads);
GQA_API int gqa_threads(void);
/* How long an idle worker spins before it sleeps, in microseconds: kernels of one step follow each other within
 * microseconds, so a short spin saves a futex wake per call; a sleeping worker costs nothing between steps. */
GQA_API void gqa_set_spin_microseconds(int microseconds);

/*
 * y[m, n] = sum_k x[m, k] * w[n, k] (+ bias[n] when bias is not null): PyTorch's F.linear for a few rows.
 * x, y, bias: float32. w: [n, k] in w_dtype (GQA_F32, GQA_BF16 or GQA_F16). With accumulate != 0, y += instead of =.
 * Returns 0, or -1 when w_dtype is not supported on this host (nothing written).
 */
GQA_API int gqa_linear(const float *x, int64_t m, int64_t k, const void *w, int w_dtype, int64_t n,
                       const float *bias, float *y, int accumulate);

/*
 * Attention of one new token per sequence over its cached context, read in place from a KV pool layer.
 * For sequence i (of batch): its query heads are q[rows[i] * q_row_stride + h * head_dim ...] (float32, heads * head_dim
 * contiguous); its context is slots[slot_offsets[i] .. slot_offsets[i] + lengths[i]), indices into keys/values
 * ([slots, kv_heads, head_dim], kv_dtype GQA_F32, GQA_BF16 or GQA_F16). Query head h reads kv head h / (heads / kv_heads).
 * Writes softmax(q k / sqrt(head_dim)) v, float32, to out[rows[i] * out_row_stride + h * head_dim ...]; other rows are
 * untouched. portable_only != 0 skips the vector paths (tests compare both).
 * Returns 0; -1 for an unsupported kv_dtype, -2 when heads is not a multiple of kv_heads or a group is wider than the
 * kernel's stack buffers (group * head_dim > 8192); nothing is written then.
 */
GQA_API int gqa_decode_attention(const float *q, int64_t q_row_stride, const int32_t *rows, int64_t batch, int64_t heads,
                                 int64_t kv_heads, int64_t head_dim, const void *keys, const void *values, int kv_dtype,
                                 const int32_t *slots, const int32_t *slot_offsets, const int32_t *lengths, float *out,
                                 int64_t out_row_stride, int portable_only);

/* How gqa_linear computes, per weight dtype and host. */
enum gqa_linear_path {
    GQA_LINEAR_PORTABLE = 0,        /* scalar C: any host */
    GQA_LINEAR_AVX512_FMA = 1,      /* float32 x; weights widened to float32 as read (bf16 by a shift, f16 by vcvtph2ps) */
    GQA_LINEAR_AVX512_BF16_DOT = 2, /* bf16 weights only: x narrowed to bf16 once per call, vdpbf16ps (AVX512_BF16) */
};

/* The path gqa_linear takes for w_dtype on this host, or -1 for an unsupported dtype. */
GQA_API int gqa_linear_best_path(int w_dtype);

/* gqa_linear on a given path (tests compare every path the host has); -1 when the path cannot serve w_dtype here. */
GQA_API int gqa_linear_on_path(int path, const float *x, int64_t m, int64_t k, const void *w, int w_dtype, int64_t n,
                               const float *bias, float *y, int accumulate);

#endif
