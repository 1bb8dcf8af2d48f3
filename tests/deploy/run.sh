#!/usr/bin/env bash
# The deployment tests, run by scripts/test.sh after `dotnet test` (skipped when GQA_SKIP_DEPLOY_TESTS=1, as in the
# Docker build): offline validation of the deployment files, then session affinity through the proxy end to end.
# Needs what scripts/install-deps.sh installs (nginx, envsubst, curl, node + tests/deploy/validate/node_modules)
# and the Release build of src/Api.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
node tests/deploy/validate/validate.mjs | tee -a "$out" || status=1
bash tests/deploy/proxy-affinity.sh | tee -a "$out" || status=1
passed=$(grep -hoE '^[a-z-]+: [0-9]+ passed' "$out" | awk '{ n += $2 } END { print n + 0 }')
failed=$(grep -hoE '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$out" | awk '{ n += $4 } END { print n + 0 }')
((status == 0 || failed > 0)) || failed=$((failed + 1)) # a script that stopped before counting
echo "deploy: $passed passed, $failed failed"
exit "$status"
