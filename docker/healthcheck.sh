#!/usr/bin/env bash
# Container HEALTHCHECK: exit 0 if GET /health/live on this container's HTTP port answers 200.
# Uses bash's /dev/tcp, so the runtime image needs no curl/wget (the aspnet:10.0-noble image has bash and coreutils).
# Port: GQA_HEALTHCHECK_PORT, else the first of ASPNETCORE_HTTP_PORTS, else 8080.
set -uo pipefail
ports=${ASPNETCORE_HTTP_PORTS:-8080}
port=${GQA_HEALTHCHECK_PORT:-${ports%%[,;]*}}
path=${1:-/health/live}
status_line=$(timeout 4 bash -c '
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf "GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n" "$2" >&3
  IFS= read -r line <&3 && printf "%s" "$line"
' healthcheck "$port" "$path" 2>/dev/null)
[[ "$status_line" =~ ^HTTP/1\.[01]\ 200 ]] || { echo "unhealthy: GET $path on :$port -> '${status_line%$'\r'}'"; exit 1; }
