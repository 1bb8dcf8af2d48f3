#include "scratch.h"

#include <stdlib.h>

void *gqa_scratch_reserve(gqa_scratch *scratch, size_t bytes)
{
    if (bytes <= scratch->bytes) {
        return scratch->memory;
    }
    void *grown = NULL;
    if (posix_memalign(&grown, 64, bytes) != 0) {
        return NULL;
    }
    free(scratch->memory);
    scratch->memory = grown;
    scratch->bytes = bytes;
    return grown;
}
