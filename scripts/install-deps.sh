#!/usr/bin/env bash
# Installs the tools the build and tests need on a Debian host (idempotent).
set -euo pipefail
if ! command -v dotnet >/dev/null; then
  echo "dotnet SDK 10 is required (https://dot.net)" >&2
  exit 1
fi
