/* What the host can do, read once by the CPU's own report (cpuid via the compiler's builtins). */
#include "gqa_kernels.h"

#include <stdatomic.h>

int gqa_kernels_abi(void)
{
    return GQA_KERNELS_ABI;
}

static int read_cpu_features(void)
{
    __builtin_cpu_init();
    int features = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        features |= GQA_CPU_AVX2_FMA;
    }
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        features |= GQA_CPU_AVX512F;
        if (__builtin_cpu_supports("avx512bf16")) {
            features |= GQA_CPU_AVX512_BF16;
        }
        if (__builtin_cpu_supports("avx512vnni")) {
            features |= GQA_CPU_AVX512_VNNI;
        }
    }
    if (__builtin_cpu_supports("f16c")) {
        features |= GQA_CPU_F16C;
    }
    if (__builtin_cpu_supports("amx-bf16")) {
        features |= GQA_CPU_AMX_BF16;
    }
    return features;
}

/* Read once and kept: every kernel call asks. Threads racing on the first call compute the same value. */
int gqa_cpu_features(void)
{
    static _Atomic int cached = -1;
    int features = atomic_load_explicit(&cached, memory_order_relaxed);
    if (features < 0) {
        features = read_cpu_features();
        atomic_store_explicit(&cached, features, memory_order_relaxed);
    }
    return features;
}
