#!/usr/bin/env bash
# llama.cpp as a side-by-side reference on this machine (issue 14's goals are ratios against llama.cpp's server).
# GitHub is out of reach here, but the npm package node-llama-cpp ships llama.cpp's full source as a git bundle
# (llama/gitRelease.bundle), so llama-server, llama-quantize and llama.cpp's own llama2.c converter are built from it
# with this machine's compiler (-DGGML_NATIVE=ON: the kernels this CPU can run, as a llama.cpp user would build them).
#
#   scripts/llama-cpp-reference.sh build /tmp/llama-ref
#       builds /tmp/llama-ref/bin/{llama-server,llama-quantize,llama-convert-llama2c-to-ggml} (about 8 min on 2 cores)
#   scripts/llama-cpp-reference.sh gguf /tmp/llama-ref /tmp/random100M.bin ../shared/models/stories260K/tok512.bin \
#       /tmp/random100M
#       writes /tmp/random100M-f32.gguf (llama.cpp's converter), -bf16.gguf and -q8_0.gguf (llama-quantize)
#
# random100M has 32,000 embedding rows but no tokenizer; the service serves it with stories260K's 512 pieces. The
# converter needs a vocabulary of the model's size, so the 512 pieces of tok512.bin are padded with 31,488 pieces
# "<unused_N>" (score -1e9: SentencePiece merges never pick them, and prompts never contain them). Both servers then
# tokenize prompts into the same 512 pieces, and a sampled id past them prints as its placeholder instead of nothing.
set -euo pipefail

node_llama_cpp_version="3.22.1"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

build() {
    local out="$1"
    mkdir -p "$out/bin"
    out="$(cd "$out" && pwd)"
    local work="$out/npm"
    rm -rf "$work" && mkdir -p "$work"
    (cd "$work" && npm pack --silent "node-llama-cpp@$node_llama_cpp_version" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$out/src"
    git -c advice.detachedHead=false clone --quiet "$work/package/llama/gitRelease.bundle" "$out/src"
    cmake -S "$out/src" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
        -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON >"$out/cmake.log"
    cmake --build "$out/build" -j "$(nproc)" --target llama-server llama-quantize llama-convert-llama2c-to-ggml \
        >"$out/build.log"
    cp "$out/build/bin/llama-server" "$out/build/bin/llama-quantize" "$out/build/bin/llama-convert-llama2c-to-ggml" \
        "$out/bin/"
    # The shared ggml/llama libraries sit next to the binaries in build/bin and are found through the binaries' RPATH.
    local commit
    commit="$(git -C "$out/src" rev-parse --short HEAD)"
    echo "llama.cpp $commit (node-llama-cpp $node_llama_cpp_version's bundle) in $out/bin"
}

gguf() {
    local ref="$1" model="$2" tokenizer="$3" prefix="$4"
    local padded="$prefix-vocab32000.bin"
    python3 - "$tokenizer" "$padded" "$model" <<'EOF'
import struct, sys
tokenizer, padded, model = sys.argv[1:4]
vocab_size = abs(struct.unpack("<7i", open(model, "rb").read(28))[5])
data = open(tokenizer, "rb").read()
max_len, = struct.unpack_from("<i", data, 0)
pieces, offset = [], 4
while offset < len(data):
    score, length = struct.unpack_from("<fi", data, offset)
    pieces.append((score, data[offset + 8: offset + 8 + length]))
    offset += 8 + length
pieces += [(-1e9, f"<unused_{i}>".encode()) for i in range(len(pieces), vocab_size)]
with open(padded, "wb") as out:
    out.write(struct.pack("<i", max(max_len, max(len(p) for _, p in pieces))))
    for score, piece in pieces:
        out.write(struct.pack("<fi", score, len(piece)) + piece)
print(f"{padded}: {len(pieces)} pieces")
EOF
    "$ref/bin/llama-convert-llama2c-to-ggml" --copy-vocab-from-model "$padded" --llama2c-model "$model" \
        --llama2c-output-model "$prefix-f32.gguf" >"$prefix-convert.log" 2>&1
    # The converter writes a context length of 128 (its own default, not the checkpoint's seq_len): set the real one.
    python3 - "$prefix-f32.gguf" "$model" <<'EOF'
import struct, sys
gguf, model = sys.argv[1:3]
seq_len = struct.unpack("<7i", open(model, "rb").read(28))[6]
key = b"llama.context_length"
with open(gguf, "r+b") as f:
    head = f.read(1 << 20)
    at = head.index(struct.pack("<Q", len(key)) + key) + 8 + len(key)
    assert struct.unpack_from("<I", head, at)[0] == 4, "context_length is not a uint32"
    f.seek(at + 4)
    f.write(struct.pack("<I", seq_len))
print(f"{gguf}: context length {seq_len}")
EOF
    "$ref/bin/llama-quantize" "$prefix-f32.gguf" "$prefix-bf16.gguf" BF16 >"$prefix-quantize-bf16.log" 2>&1
    "$ref/bin/llama-quantize" "$prefix-f32.gguf" "$prefix-q8_0.gguf" Q8_0 >"$prefix-quantize-q8_0.log" 2>&1
    ls -l "$prefix"-f32.gguf "$prefix"-bf16.gguf "$prefix"-q8_0.gguf
}

case "${1:-}" in
    build) [[ $# -eq 2 ]] || { usage; exit 2; }; build "$2" ;;
    gguf) [[ $# -eq 5 ]] || { usage; exit 2; }; gguf "$2" "$3" "$4" "$5" ;;
    *) usage; exit 2 ;;
esac
