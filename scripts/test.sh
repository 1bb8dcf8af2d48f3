#!/usr/bin/env bash
# The test command: build everything with warnings as errors, run every test project, then the deployment tests
# (tests/deploy; GQA_SKIP_DEPLOY_TESTS=1 skips them, as the Docker build does: they need nginx and spare processes).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build GqaService.sln -c Release
dotnet test GqaService.sln -c Release --no-build --logger "console;verbosity=normal"
if [[ "${GQA_SKIP_DEPLOY_TESTS:-0}" == 1 ]]; then
  echo "tests/deploy skipped (GQA_SKIP_DEPLOY_TESTS=1)"
else
  ./tests/deploy/run.sh
fi
