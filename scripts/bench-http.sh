#!/usr/bin/env bash
# Over-HTTP benchmark: starts the Release service on one model, waits until it is ready, drives it with the shared load
# generator (../shared/bench/loadgen.py: streaming, greedy, ignore_eos) at each concurrency level for a fixed duration,
# prints one Markdown table row per level, and stops the server cleanly (SIGTERM, then waits for it to exit).
#
#   scripts/bench-http.sh --model ../shared/models/stories260K/stories260K.bin
#   scripts/bench-http.sh --model /tmp/random100M.bin --tokenizer ../shared/models/stories260K/tokenizer.model \
#       --max-tokens 64 --levels "1 4 16" --duration 30 -- --Inference:WeightDtype=bf16
#   scripts/bench-http.sh --model /tmp/random100M.bin --tokenizer ../shared/models/stories260K/tokenizer.model \
#       --max-tokens 64 --levels "4 16" --long --long-words 175 --unique
#   scripts/bench-http.sh --llama-server /tmp/llama-ref/bin/llama-server --model /tmp/random100M-f32.gguf --max-tokens 64
#
# With --llama-server the same levels run against llama.cpp's server instead (built by scripts/llama-cpp-reference.sh;
# issue 14's setup: 16 slots, continuous batching, one thread per core, its default f16 K/V, 1,024 tokens per slot).
#
# Everything after `--` goes to the server as it is (configuration keys as --Section:Key=value). random100M has no
# tokenizer of its own: serve it with stories260K's (512 pieces, all valid ids for it), as docs/benchmarks.md describes.
# With those 512 pieces a word is about 2.9 tokens: the load generator's default long prompt (400 words) is ~1,160
# tokens, past random100M's 1,024-token context, so --long-words 175 gives the ~500-token prompts of issue 14.
# Besides the load generator's figures each row gives the server's CPU use over the level (cores: user+system time
# divided by wall time, from /proc) and the load average at its end, since these 2-core machines are shared, and the
# server's own TTFT p50 (from its completion log lines: request received to first token). The load generator times
# only chunks that carry text, and random100M served with stories260K's 512 pieces mostly samples ids past them, which
# have no text: its TTFT and ITL columns then stay empty or measure the first printable token, not the first token.
# Nothing is built unless --build is given; the script fails if the Release build is missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
loadgen="$repo/../shared/bench/loadgen.py"
server_dll="$repo/src/Api/bin/Release/net10.0/GqaService.Api.dll"
llama_server=""

model=""
tokenizer=""
port=8097
duration=15
levels="1 4 16"
max_tokens=64
long_prompts=0
long_words=""
unique=0
build=0
ready_timeout=300
server_args=()

usage() {
    sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<EOF
options: --model PATH (required)  --tokenizer PATH  --port N (default $port)  --duration SECONDS per level (default $duration)
         --levels "1 4 16" (default "$levels")  --max-tokens N (default $max_tokens)  --long  --long-words N  --unique  --build
         --ready-timeout SECONDS (default $ready_timeout)  --llama-server PATH  -- SERVER ARGS...
EOF
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) model="$2"; shift 2 ;;
        --tokenizer) tokenizer="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --levels) levels="$2"; shift 2 ;;
        --max-tokens) max_tokens="$2"; shift 2 ;;
        --long) long_prompts=1; shift ;;
        --long-words) long_words="$2"; shift 2 ;;
        --unique) unique=1; shift ;;
        --build) build=1; shift ;;
        --ready-timeout) ready_timeout="$2"; shift 2 ;;
        --llama-server) llama_server="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; server_args=("$@"); break ;;
        *) echo "bench-http.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

if [[ -z "$model" ]]; then
    echo "bench-http.sh: --model is required (see --help)" >&2
    exit 2
fi
if [[ $build -eq 1 ]]; then
    dotnet build "$repo/src/Api" -c Release -nologo -v quiet >&2
fi
if [[ -n "$llama_server" && ! -x "$llama_server" ]]; then
    echo "bench-http.sh: $llama_server is not an executable (build it with scripts/llama-cpp-reference.sh build DIR)" >&2
    exit 2
fi
if [[ -z "$llama_server" && ! -f "$server_dll" ]]; then
    echo "bench-http.sh: $server_dll is missing; build it (dotnet build src/Api -c Release) or pass --build" >&2
    exit 2
fi
if [[ ! -f "$loadgen" ]]; then
    echo "bench-http.sh: the load generator $loadgen is missing" >&2
    exit 2
fi
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "bench-http.sh: something already listens on port $port; pick another with --port" >&2
    exit 2
fi

work="$(mktemp -d /tmp/bench-http.XXXXXX)"
server_log="$work/server.log"
ready_path="/health/ready"
if [[ -n "$llama_server" ]]; then
    serve=("$llama_server" -m "$model" --host 127.0.0.1 --port "$port" -np 16 -t "$(nproc)" -c 16384 --cont-batching)
    ready_path="/health"
else
    serve=(dotnet "$server_dll" serve --model "$model" --urls "http://127.0.0.1:$port")
    if [[ -n "$tokenizer" ]]; then
        serve+=(--tokenizer "$tokenizer")
    fi
fi
serve+=("${server_args[@]}")

server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        # SIGTERM is the host's graceful shutdown: the engine drains and the process exits by itself. (Not SIGINT: a
        # non-interactive shell starts background jobs with SIGINT ignored, and .NET keeps it ignored.)
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 300); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "bench-http.sh: the server did not stop within 30 s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

"${serve[@]}" >"$server_log" 2>&1 &
server_pid=$!

started=$SECONDS
until curl -sf -o /dev/null "http://127.0.0.1:$port$ready_path"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "bench-http.sh: the server exited before it was ready; its log ($server_log):" >&2
        tail -n 30 "$server_log" >&2
        exit 1
    fi
    if (( SECONDS - started > ready_timeout )); then
        echo "bench-http.sh: the server was not ready within $ready_timeout s; log: $server_log" >&2
        exit 1
    fi
    sleep 0.5
done

# User + system CPU of the whole server process so far, in clock ticks (fields 14 and 15 of /proc/PID/stat; the
# command name in field 2 has no spaces here: "dotnet" or "llama-server").
server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
ticks_per_second="$(getconf CLK_TCK)"

loadgen_args=(--port "$port" --duration "$duration" --max-tokens "$max_tokens")
prompt_kind="short prompts"
if [[ $long_prompts -eq 1 ]]; then
    loadgen_args+=(--long)
    prompt_kind="long prompts"
    if [[ -n "$long_words" ]]; then
        loadgen_args+=(--long-words "$long_words")
        prompt_kind="long prompts (~$long_words words)"
    fi
fi
if [[ $unique -eq 1 ]]; then
    loadgen_args+=(--unique)
    prompt_kind="$prompt_kind, unique"
fi

echo "model: $model; $prompt_kind, $max_tokens new tokens, ${duration} s per level; server: ${serve[*]}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| C | output tok/s | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | ITL p95 ms | server TTFT p50 ms | requests ok / failed | server cores | load avg (1 min) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for level in $levels; do
    report="$work/c$level.json"
    cpu_before="$(server_cpu_ticks)"
    wall_before="$(date +%s.%N)"
    log_lines_before="$(wc -l <"$server_log")"
    if ! python3 "$loadgen" "${loadgen_args[@]}" -c "$level" --out "$report" >"$work/c$level.out" 2>&1; then
        echo "bench-http.sh: the load generator failed at concurrency $level:" >&2
        tail -n 20 "$work/c$level.out" >&2
        exit 1
    fi
    cpu_after="$(server_cpu_ticks)"
    wall_after="$(date +%s.%N)"
    cores="$(awk -v c0="$cpu_before" -v c1="$cpu_after" -v w0="$wall_before" -v w1="$wall_after" -v hz="$ticks_per_second" \
        'BEGIN { printf "%.2f", (c1 - c0) / hz / (w1 - w0) }')"
    tail -n +"$((log_lines_before + 1))" "$server_log" >"$work/c$level.server.log"
    python3 - "$report" "$level" "$cores" "$(cut -d' ' -f1 /proc/loadavg)" "$work/c$level.server.log" <<'EOF'
import json, re, statistics, sys
report, level, cores, load = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
server_ttfts = [float(m.group(1)) for m in re.finditer(r"ttft_ms=([0-9.]+)", open(sys.argv[5]).read())]
def f(key, digits):
    value = report.get(key)
    return "—" if value is None else f"{value:.{digits}f}"
server_ttft = f"{statistics.median(server_ttfts):.1f}" if server_ttfts else "—"
print(f"| {level} | {f('output_tok_per_s', 1)} | {f('ttft_ms_p50', 1)} | {f('ttft_ms_p95', 1)} | {f('itl_ms_p50', 2)} | "
      f"{f('itl_ms_p95', 2)} | {server_ttft} | {report['requests_ok']} / {report['requests_failed']} | {cores} | {load} |")
EOF
done

stop_server
echo "reports and server log: $work"
