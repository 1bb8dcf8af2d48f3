/* The element types' sizes, and scalar conversions of the 16-bit ones for portable paths and tails. */
#ifndef GQA_DTYPE_H
#define GQA_DTYPE_H

#include "gqa_kernels.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes per element of a float dtype the kernels read (GQA_F32, GQA_BF16, GQA_F16). */
static inline size_t gqa_element_bytes(int dtype)
{
    return dtype == GQA_F32 ? 4 : 2;
}

static inline float gqa_bf16_to_f32(uint16_t bits)
{
    uint32_t wide = (uint32_t)bits << 16;
    float value;
    memcpy(&value, &wide, sizeof value);
    return value;
}

/* binary32 to bfloat16, rounding to nearest even with NaN kept quiet: libtorch's c10::BFloat16 conversion, so K/V the
 * kernels store match what a libtorch to_type would have stored. */
static inline uint16_t gqa_f32_to_bf16(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffff) > 0x7f800000) {
        return 0x7fc0;
    }
    return (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

/* IEEE binary16 to binary32, subnormals, infinities and NaN included. */
static inline float gqa_f16_to_f32(uint16_t bits)
{
    uint32_t sign = (uint32_t)(bits & 0x8000) << 16;
    uint32_t exponent = (bits >> 10) & 0x1f;
    uint32_t mantissa = bits & 0x3ff;
    uint32_t wide;
    if (exponent == 0x1f) {
        wide = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent != 0) {
        wide = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        wide = sign;
    } else {
        /* Subnormal: normalise the mantissa. */
        exponent = 113;
        while ((mantissa & 0x400) == 0) {
            mantissa <<= 1;
            exponent--;
        }
        wide = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
    }
    float value;
    memcpy(&value, &wide, sizeof value);
    return value;
}

/* binary32 to IEEE binary16, rounding to nearest even (as F16C's vcvtps2ph and llama.cpp's GGML_FP32_TO_FP16). */
static inline uint16_t gqa_f32_to_f16(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    uint32_t sign = (bits >> 16) & 0x8000;
    uint32_t magnitude = bits & 0x7fffffff;
    if (magnitude >= 0x7f800000) {
        return (uint16_t)(sign | 0x7c00 | (magnitude > 0x7f800000 ? 0x200 : 0));
    }
    if (magnitude >= 0x477ff000) {
        return (uint16_t)(sign | 0x7c00); /* rounds past 65504 */
    }
    if (magnitude < 0x38800000) {
        /* Subnormal half (or zero): shift the implicit-one mantissa into place, rounding half to even. */
        if (magnitude < 0x33000000) {
            return (uint16_t)sign;
        }
        uint32_t exponent = magnitude >> 23;
        uint32_t mantissa = (magnitude & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - exponent; /* 14 .. 24 */
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1))) {
            half++;
        }
        return (uint16_t)(sign | half);
    }
    uint32_t rounded = magnitude - 0x38000000; /* rebias the exponent: 127 - 15 = 112 */
    uint32_t rest = rounded & 0x1fff;
    uint32_t half = rounded >> 13;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) {
        half++; /* a carry into the exponent is the right result */
    }
    return (uint16_t)(sign | half);
}

#endif
