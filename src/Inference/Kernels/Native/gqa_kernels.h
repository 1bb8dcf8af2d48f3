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
#define GQA_KERNELS_ABI 5

/* What the host can do (bits of gqa_cpu_features). */
enum gqa_cpu_feature {
    GQA_CPU_AVX2_FMA = 1 << 0,
    GQA_CPU_AVX512F = 1 << 1,   /* with BW and VL */
    GQA_CPU_AVX512_BF16 = 1 << 2,
    GQA_CPU_F16C = 1 << 3,
    GQA_CPU_AMX_BF16 = 1 << 4,
    GQA_CPU_AVX512_VNNI = 1 << 5,
};

/* Element types, numbered as libtorch's ScalarType so C# passes them through unchanged. */
enum gqa_dtype {
    GQA_F16 = 5,
    GQA_F32 = 6,
    GQA_BF16 = 15,
    GQA_Q8_0 = 100, /* not a libtorch type: int8 quants with float16 scales per 32-block (gqa_linear_q8_0) */
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

/* Tests only: with on != 0 gqa_linear_q8_0 takes its portable C path whatever the host can do, so that path is checked
 * on hosts that would never run it (gqa_linear_on_path and gqa_decode_attention's portable_only do this per call).
 * Process-wide; both paths give the same results (exact int32 block dots). */
GQA_API void gqa_set_portable_only(int on);

/* The widest k gqa_linear_q8_0 takes (a row's scales sit on the stack). */
#define GQA_Q8_0_MAX_K 65536

/*
 * y[m, n] = x[m, :] . w[n, :] (+ bias[n]) over Q8_0 weights, as llama.cpp's q8_0 x q8_0 dot: x is quantised to Q8_0 per
 * 32-block (d = max|x| / 127 rounded to float16, q = round-half-even(x * 127 / max|x|)) and each output is
 * sum_b (dx_b * dw_b) * sum(qx * qw) in float32 over exact int32 block dots.
 * w_q: [n, k] int8; w_scales: [n, k / 32] float16 bits (the block scales d, value = d * q). k a multiple of 32, at most
 * GQA_Q8_0_MAX_K. x, y, bias float32; with accumulate != 0, y += instead of =.
 * Returns 0, or -1 for a k it cannot take or when scratch cannot be allocated (nothing written).
 */
GQA_API int gqa_linear_q8_0(const float *x, int64_t m, int64_t k, const int8_t *w_q, const uint16_t *w_scales, int64_t n,
                            const float *bias, float *y, int accumulate);

/* One projection of a layer, for gqa_decoder_layer: [out, in] row-major. */
typedef struct {
    const void *data;              /* dtype GQA_F32, GQA_BF16, GQA_F16; GQA_Q8_0: the int8 quants */
    const uint16_t *q8_0_scales;   /* GQA_Q8_0 only: [out, in / 32] float16 bits; else null */
    int32_t dtype;
    int32_t reserved;
} gqa_layer_matrix;

/* One Llama-family decoder layer: its shape, weights and this step's KV pool layer. */
typedef struct {
    int64_t dim, heads, kv_heads, head_dim, hidden_dim;
    float norm_eps;
    int32_t rope_interleaved;          /* 1: adjacent pairs rotate (llama2.c, GGUF); 0: first half with second (HF) */
    const float *attention_norm;       /* [dim] */
    const float *feed_forward_norm;    /* [dim] */
    gqa_layer_matrix qkv;              /* [(heads + 2 kv_heads) * head_dim, dim]: q, k, v stacked */
    gqa_layer_matrix output;           /* [dim, heads * head_dim] */
    gqa_layer_matrix gate_up;          /* [2 hidden_dim, dim]: gate, then up */
    gqa_layer_matrix down;             /* [dim, hidden_dim] */
    const float *qkv_bias;             /* [(heads + 2 kv_heads) * head_dim] float32, or null */
    void *keys, *values;               /* this layer's pool: [slots, kv_heads, head_dim] in kv_dtype */
    int32_t kv_dtype;
    int32_t reserved;
} gqa_layer;

/* The step every layer shares: its rows (tokens), where each one's K/V goes and which slots it attends to. */
typedef struct {
    int64_t rows;
    const int32_t *positions;      /* [rows]: each token's position, a row of the rope tables */
    const int32_t *write_slots;    /* [rows]: the pool slot its k and v are written to */
    const int32_t *slots;          /* context slots of every sequence of the step, concatenated */
    const int32_t *slot_offsets;   /* [rows]: where the row's context starts in slots */
    const int32_t *lengths;        /* [rows]: the row attends slots[offset .. offset + length), its own slot last */
    const float *rope_cos, *rope_sin; /* [positions, head_dim / 2] float32 */
} gqa_layer_step;

/*
 * One whole decoder layer on the residual stream x [rows, dim] (float32, updated in place), as the libtorch decoder
 * computes it: x += attention(rope(rmsnorm(x) Wqkv + b)) Wo; x += (silu(h Wgate) * h Wup) Wdown with h = rmsnorm(x).
 * Every row's k and v are written to the pool before any row attends, so a prefill chunk's tokens see each other
 * (causally, through lengths). One call instead of the ~30 libtorch calls a layer otherwise takes.
 * Returns 0; -1 for a matrix or KV dtype this host cannot multiply or read; -2 for a head layout the attention kernel
 * does not take; -3 when scratch cannot be allocated. On an error nothing has been written.
 */
GQA_API int gqa_decoder_layer(const gqa_layer *layer, const gqa_layer_step *step, float *x);

/* sizeof the structs above (0: gqa_layer_matrix, 1: gqa_layer, 2: gqa_layer_step), so C# can check its layouts. */
GQA_API int64_t gqa_decoder_layer_struct_size(int which);

#endif
