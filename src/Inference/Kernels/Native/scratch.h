/* Growable, 64-byte-aligned scratch buffers. Each kernel keeps its own per calling thread (_Thread_local): engines on
 * different threads must not share one, and a kernel that calls another (the fused layer calls the matmuls) holds its
 * buffer while the callee uses its own. A buffer grows to the largest call seen and is kept for the thread's life, so
 * a step's calls, and the next steps, reuse it. */
#ifndef GQA_SCRATCH_H
#define GQA_SCRATCH_H

#include <stddef.h>

typedef struct {
    void *memory;
    size_t bytes;
} gqa_scratch;

/* At least `bytes` of scratch (its contents not kept across a growth), or NULL when it cannot be allocated. */
void *gqa_scratch_reserve(gqa_scratch *scratch, size_t bytes);

#endif
