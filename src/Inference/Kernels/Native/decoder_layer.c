/*
 * A whole decoder layer in one call, for the few rows of a decode step. The matmuls and the attention were already
 * this library's; what a layer adds around them (two RMSNorms, RoPE, the K/V stores, SiLU) is a few microseconds of
 * arithmetic but, through libtorch, some thirty native calls, tensor wrappers and a dispose scope per layer: at one
 * stream that overhead was a third of the step. Here those operations are loops over the step's rows on the calling
 * thread (the rows are a few thousand floats), and only the matmuls and the attention spread over the pool.
 */
#include "avx512_math.h"
#include "dtype.h"
#include "gqa_kernels.h"
#include "scratch.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* The attention kernel's stack buffers hold a group this wide (decode_attention.c's MAX_GROUP_WIDTH). */
#define MAX_GROUP_WIDTH 8192

static int has_avx512(void)
{
    return (gqa_cpu_features() & GQA_CPU_AVX512F) != 0;
}

/* The layer's intermediate rows (scratch.h). */
static _Thread_local gqa_scratch scratch;

static size_t rounded(size_t floats)
{
    return (floats + 15) & ~(size_t)15; /* every buffer starts on a 64-byte line */
}

static int matrix_serves(const gqa_layer_matrix *matrix, int64_t in_features)
{
    if (matrix->data == NULL) {
        return 0;
    }
    if (matrix->dtype == GQA_Q8_0) {
        return matrix->q8_0_scales != NULL && in_features % 32 == 0 && in_features <= GQA_Q8_0_MAX_K;
    }
    return gqa_linear_best_path(matrix->dtype) >= 0;
}

static int multiply(const gqa_layer_matrix *matrix, const float *x, int64_t m, int64_t k, int64_t n, const float *bias,
                    float *y, int accumulate)
{
    return matrix->dtype == GQA_Q8_0
        ? gqa_linear_q8_0(x, m, k, (const int8_t *)matrix->data, matrix->q8_0_scales, n, bias, y, accumulate)
        : gqa_linear(x, m, k, matrix->data, matrix->dtype, n, bias, y, accumulate);
}

/* out = x / sqrt(mean(x^2) + eps) * weight, per row; the same order of operations as the libtorch RmsNorm. */
static void rms_norm_portable(const float *x, int64_t rows, int64_t dim, const float *weight, float eps, float *out)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * dim;
        float sum = 0.0f;
        for (int64_t c = 0; c < dim; c++) {
            sum += row[c] * row[c];
        }
        float inverse = 1.0f / sqrtf(sum / (float)dim + eps);
        for (int64_t c = 0; c < dim; c++) {
            out[r * dim + c] = row[c] * inverse * weight[c];
        }
    }
}

static AVX512_TARGET void rms_norm_avx512(const float *x, int64_t rows, int64_t dim, const float *weight, float eps, float *out)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * dim;
        __m512 sums[4] = { _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps() };
        for (int64_t c = 0; c < dim; c += 16) {
            __m512 v = _mm512_loadu_ps(row + c);
            sums[(c / 16) & 3] = _mm512_fmadd_ps(v, v, sums[(c / 16) & 3]);
        }
        float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(sums[0], sums[1]), _mm512_add_ps(sums[2], sums[3])));
        __m512 inverse = _mm512_set1_ps(1.0f / sqrtf(sum / (float)dim + eps));
        for (int64_t c = 0; c < dim; c += 16) {
            __m512 scaled = _mm512_mul_ps(_mm512_loadu_ps(row + c), inverse);
            _mm512_storeu_ps(out + r * dim + c, _mm512_mul_ps(scaled, _mm512_loadu_ps(weight + c)));
        }
    }
}

static void rms_norm(const float *x, int64_t rows, int64_t dim, const float *weight, float eps, float *out)
{
    if (has_avx512() && dim % 16 == 0) {
        rms_norm_avx512(x, rows, dim, weight, eps, out);
    } else {
        rms_norm_portable(x, rows, dim, weight, eps, out);
    }
}

/* Rotates the q and k heads of every row of qkv in place by the row's position (the v heads follow them, untouched). */
static void rope(const gqa_layer *layer, const gqa_layer_step *step, float *qkv, int64_t qkv_width)
{
    const int64_t half = layer->head_dim / 2, rotated_heads = layer->heads + layer->kv_heads;
    for (int64_t r = 0; r < step->rows; r++) {
        const float *cos = step->rope_cos + (size_t)step->positions[r] * (size_t)half;
        const float *sin = step->rope_sin + (size_t)step->positions[r] * (size_t)half;
        for (int64_t h = 0; h < rotated_heads; h++) {
            float *v = qkv + r * qkv_width + h * layer->head_dim;
            if (layer->rope_interleaved) {
                for (int64_t i = 0; i < half; i++) {
                    float a = v[2 * i], b = v[2 * i + 1];
                    v[2 * i] = a * cos[i] - b * sin[i];
                    v[2 * i + 1] = a * sin[i] + b * cos[i];
                }
            } else {
                for (int64_t i = 0; i < half; i++) {
                    float a = v[i], b = v[i + half];
                    v[i] = a * cos[i] - b * sin[i];
                    v[i + half] = b * cos[i] + a * sin[i];
                }
            }
        }
    }
}

static void store_row(void *pool, int dtype, size_t first, const float *source, int64_t count)
{
    switch (dtype) {
    case GQA_BF16:
        for (int64_t c = 0; c < count; c++) {
            ((uint16_t *)pool)[first + (size_t)c] = gqa_f32_to_bf16(source[c]);
        }
        break;
    case GQA_F16:
        for (int64_t c = 0; c < count; c++) {
            ((uint16_t *)pool)[first + (size_t)c] = gqa_f32_to_f16(source[c]);
        }
        break;
    default:
        memcpy((float *)pool + first, source, (size_t)count * sizeof(float));
        break;
    }
}

/* Each row's k and v (after q in qkv) to its write slot, in the pool's dtype. */
static void store_kv(const gqa_layer *layer, const gqa_layer_step *step, const float *qkv, int64_t qkv_width)
{
    const int64_t query_width = layer->heads * layer->head_dim, kv_width = layer->kv_heads * layer->head_dim;
    for (int64_t r = 0; r < step->rows; r++) {
        size_t first = (size_t)step->write_slots[r] * (size_t)kv_width;
        store_row(layer->keys, layer->kv_dtype, first, qkv + r * qkv_width + query_width, kv_width);
        store_row(layer->values, layer->kv_dtype, first, qkv + r * qkv_width + query_width + kv_width, kv_width);
    }
}

/* hidden[r] = silu(gate[r]) * up[r], where row r of gate_up is gate then up. silu(x) = x / (1 + e^-x). */
static void silu_mul_portable(const float *gate_up, int64_t rows, int64_t hidden_dim, float *hidden)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *gate = gate_up + r * 2 * hidden_dim, *up = gate + hidden_dim;
        for (int64_t c = 0; c < hidden_dim; c++) {
            hidden[r * hidden_dim + c] = gate[c] / (1.0f + expf(-gate[c])) * up[c];
        }
    }
}

/* The same with e^-|x| from the attention kernel's exponential (about 2 ulp): x * 1/(1+e) for x >= 0, x * e/(1+e) below. */
static AVX512_TARGET void silu_mul_avx512(const float *gate_up, int64_t rows, int64_t hidden_dim, float *hidden)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t r = 0; r < rows; r++) {
        const float *gate = gate_up + r * 2 * hidden_dim, *up = gate + hidden_dim;
        for (int64_t c = 0; c < hidden_dim; c += 16) {
            __mmask16 lanes = hidden_dim - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (hidden_dim - c)) - 1);
            __m512 x = _mm512_maskz_loadu_ps(lanes, gate + c);
            __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)));
            __m512 sigmoid = _mm512_div_ps(one, _mm512_add_ps(one, e));
            __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
            sigmoid = _mm512_mask_mul_ps(sigmoid, negative, sigmoid, e);
            __m512 product = _mm512_mul_ps(_mm512_mul_ps(x, sigmoid), _mm512_maskz_loadu_ps(lanes, up + c));
            _mm512_mask_storeu_ps(hidden + r * hidden_dim + c, lanes, product);
        }
    }
}

static void silu_mul(const float *gate_up, int64_t rows, int64_t hidden_dim, float *hidden)
{
    if (has_avx512()) {
        silu_mul_avx512(gate_up, rows, hidden_dim, hidden);
    } else {
        silu_mul_portable(gate_up, rows, hidden_dim, hidden);
    }
}

int gqa_decoder_layer(const gqa_layer *layer, const gqa_layer_step *step, float *x)
{
    const int64_t m = step->rows, dim = layer->dim, hidden_dim = layer->hidden_dim;
    const int64_t query_width = layer->heads * layer->head_dim, kv_width = layer->kv_heads * layer->head_dim;
    const int64_t qkv_width = query_width + 2 * kv_width;
    if (!matrix_serves(&layer->qkv, dim) || !matrix_serves(&layer->output, query_width)
        || !matrix_serves(&layer->gate_up, dim) || !matrix_serves(&layer->down, hidden_dim)
        || (layer->kv_dtype != GQA_F32 && layer->kv_dtype != GQA_BF16 && layer->kv_dtype != GQA_F16)) {
        return -1;
    }
    if (layer->kv_heads <= 0 || layer->heads % layer->kv_heads != 0 || layer->head_dim <= 0 || layer->head_dim % 2 != 0
        || (layer->heads / layer->kv_heads) * layer->head_dim > MAX_GROUP_WIDTH) {
        return -2;
    }
    if (m <= 0) {
        return 0;
    }
    size_t normed_floats = rounded((size_t)(m * dim)), qkv_floats = rounded((size_t)(m * qkv_width));
    size_t attended_floats = rounded((size_t)(m * query_width)), gate_up_floats = rounded((size_t)(m * 2 * hidden_dim));
    size_t hidden_floats = rounded((size_t)(m * hidden_dim)), rows_floats = rounded((size_t)m);
    float *base = gqa_scratch_reserve(&scratch, (normed_floats + qkv_floats + attended_floats + gate_up_floats + hidden_floats + rows_floats) * sizeof(float));
    if (base == NULL) {
        return -3;
    }
    float *normed = base, *qkv = normed + normed_floats, *attended = qkv + qkv_floats;
    float *gate_up = attended + attended_floats, *hidden = gate_up + gate_up_floats;
    int32_t *rows = (int32_t *)(hidden + hidden_floats);
    for (int64_t r = 0; r < m; r++) {
        rows[r] = (int32_t)r;
    }

    /* Attention: every row's k and v are stored before any row attends. A matmul fails only when its scratch cannot
     * be allocated; x is then half updated, which the caller treats as fatal for the step. */
    rms_norm(x, m, dim, layer->attention_norm, layer->norm_eps, normed);
    if (multiply(&layer->qkv, normed, m, dim, qkv_width, layer->qkv_bias, qkv, 0) != 0) {
        return -3;
    }
    rope(layer, step, qkv, qkv_width);
    store_kv(layer, step, qkv, qkv_width);
    int status = gqa_decode_attention(qkv, qkv_width, rows, m, layer->heads, layer->kv_heads, layer->head_dim, layer->keys,
                                      layer->values, layer->kv_dtype, step->slots, step->slot_offsets, step->lengths,
                                      attended, query_width, 0);
    if (status != 0) {
        return status;
    }
    if (multiply(&layer->output, attended, m, query_width, dim, NULL, x, 1) != 0) {
        return -3;
    }

    /* SwiGLU feed-forward. */
    rms_norm(x, m, dim, layer->feed_forward_norm, layer->norm_eps, normed);
    if (multiply(&layer->gate_up, normed, m, dim, 2 * hidden_dim, NULL, gate_up, 0) != 0) {
        return -3;
    }
    silu_mul(gate_up, m, hidden_dim, hidden);
    return multiply(&layer->down, hidden, m, hidden_dim, dim, NULL, x, 1) != 0 ? -3 : 0;
}

int64_t gqa_decoder_layer_struct_size(int which)
{
    switch (which) {
    case 0:
        return (int64_t)sizeof(gqa_layer_matrix);
    case 1:
        return (int64_t)sizeof(gqa_layer);
    case 2:
        return (int64_t)sizeof(gqa_layer_step);
    default:
        return -1;
    }
}
