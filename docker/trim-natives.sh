#!/usr/bin/env bash
# Removes the libtorch natives that GqaService never loads from a build or publish folder (~34 MB of ~480 MB).
# Usage: docker/trim-natives.sh [--strip] <folder containing GqaService.Api.dll>
#   --strip  also drops the static symbol table of libtorch_cpu.so (strip --strip-unneeded: ~92 MB of 461 MB; the
#            dynamic symbols the loader and TorchSharp use stay). Native stack traces inside libtorch then show
#            addresses instead of function names. Needs binutils.
# Run by the Dockerfile on the publish output and by tests/deploy/proxy-affinity.sh on a copy of the Release build,
# which then serves from the trimmed copy.
#
# What is loaded: TorchSharp loads libLibTorchSharp.so and libtorch_cpu.so by name; the dynamic linker loads
# their DT_NEEDED closure (libtorch.so, libc10.so, libgomp-*.so.1). The files below are PyTorch's Python binding,
# its shared-memory helper (needed only by the Python binding) and test/backend plugins; none is in that closure,
# and this script checks that with ldd before deleting anything, and again after, so a libtorch update that starts
# needing one of them fails here instead of at run time. Files not named here are never touched.
set -euo pipefail

strip_symbols=no
if [[ "${1:-}" == --strip ]]; then
  strip_symbols=yes
  shift
fi
app=${1:?usage: trim-natives.sh [--strip] <folder with GqaService.Api.dll>}
removable=(libtorch_python.so libshm.so libnnapi_backend.so libjitbackend_test.so libbackend_with_compiler.so
  libaoti_custom_ops.so libtorchbind_test.so libtorch_global_deps.so)
roots=(libLibTorchSharp.so libtorch_cpu.so libtorch.so)

native=$(find "$app" -name libLibTorchSharp.so -print -quit)
[[ -n "$native" ]] || { echo "trim-natives: no libLibTorchSharp.so under $app" >&2; exit 1; }
native=$(dirname "$native")

needed() { # the basenames of every library the roots load from $native (transitively, as the loader resolves them)
  local root
  for root in "${roots[@]}"; do
    ldd "$native/$root" 2>/dev/null || true
  done | awk -v dir="$native/" '$2 == "=>" && index($3, dir) == 1 { sub(".*/", "", $3); print $3 }' | sort -u
}
missing() {
  local root
  for root in "${roots[@]}"; do
    [[ -f "$native/$root" ]] || { echo "$root"; continue; }
    ldd "$native/$root" 2>/dev/null | awk '$2 == "=>" && $3 == "not" { print $1 }' || true
  done
}

closure=$(needed)
for lib in libtorch.so libc10.so libtorch_cpu.so; do
  grep -qx "$lib" <<<"$closure" || { echo "trim-natives: ldd did not resolve $lib from $native; refusing to trim" >&2; exit 1; }
done
for lib in "${removable[@]}"; do
  if grep -qx "$lib" <<<"$closure"; then
    echo "trim-natives: $lib is needed by ${roots[*]}; not removing anything" >&2
    exit 1
  fi
done
for lib in "${removable[@]}"; do
  if [[ -f "$native/$lib" ]]; then
    echo "removed $native/$lib ($(du -k "$native/$lib" | cut -f1) KiB)"
    rm -f "$native/$lib"
  fi
done
# Native libraries of other operating systems (present only in a RID-less build output).
if [[ -d "$app/runtimes" ]]; then
  find "$app/runtimes" -mindepth 1 -maxdepth 1 -type d \( -name 'win*' -o -name 'osx*' \) -print0 |
    while IFS= read -r -d '' other; do
      echo "removed $other/"
      rm -rf "$other"
    done
fi
if [[ $strip_symbols == yes ]]; then
  before=$(stat -c %s "$native/libtorch_cpu.so")
  # Written to a new file and renamed over the old one, so a hard-linked original elsewhere stays as it was.
  strip --strip-unneeded -o "$native/libtorch_cpu.so.stripped" "$native/libtorch_cpu.so"
  mv -f "$native/libtorch_cpu.so.stripped" "$native/libtorch_cpu.so"
  echo "stripped $native/libtorch_cpu.so ($((before / 1048576)) MiB -> $(($(stat -c %s "$native/libtorch_cpu.so") / 1048576)) MiB)"
fi
absent=$(missing)
[[ -z "$absent" ]] || { echo "trim-natives: after trimming, the loader cannot find: $absent" >&2; exit 1; }
echo "kept in $native: $(cd "$native" && ls -- *.so* | tr '\n' ' ')"
