/* Scalar conversions of the 16-bit element types, for portable paths and tails. */
#ifndef GQA_DTYPE_H
#define GQA_DTYPE_H

#include <stdint.h>
#include <string.h>

static inline float gqa_bf16_to_f32(uint16_t bits)
{
    uint32_t wide = (uint32_t)bits << 16;
    float value;
    memcpy(&value, &wide, sizeof value);
    return value;
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

#endif
