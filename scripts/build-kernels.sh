#!/usr/bin/env bash
# Builds the project's own CPU kernels (src/Inference/Kernels/Native/*.c) into OUT_DIR/libgqakernels.so with the
# machine's C compiler ($CC, else cc). The Inference project's build calls this; run it by hand only to try flags.
# The library targets baseline x86-64 and picks AVX-512/AVX2 code paths at run time, so one build runs on any host.
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
source_dir="$(cd "$(dirname "$0")/../src/Inference/Kernels/Native" && pwd)"
out_dir="$1"
compiler="${CC:-cc}"
if ! command -v "$compiler" >/dev/null; then
  echo "build-kernels: no C compiler ('$compiler'); install gcc (scripts/install-deps.sh does)" >&2
  exit 1
fi
mkdir -p "$out_dir"
# -fno-math-errno: lets expf/sqrtf inline; no -ffast-math, so results do not depend on the compiler's reassociation.
"$compiler" -O3 -std=gnu11 -fPIC -shared -pthread -fvisibility=hidden -fno-math-errno \
  -Wall -Wextra -Werror -Wno-unused-parameter \
  -o "$out_dir/libgqakernels.so.partial" "$source_dir"/*.c -lm
mv -f "$out_dir/libgqakernels.so.partial" "$out_dir/libgqakernels.so"
