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

# Tools that validate with their own parsers where this machine has them. install-deps does not install them
# (docker-compose v1 and Prometheus are large, and validate.mjs checks the same files against their schemas).
tool() { # tool <description> <command...>
  local description=$1
  shift
  if "$@" >/dev/null 2>&1; then echo "  PASS  $description"; else echo "  FAIL  $description"; status=1; fi
}
{
  echo "tools: docker-compose and promtool"
  if command -v docker-compose >/dev/null; then
    tool "docker-compose $(docker-compose version --short 2>/dev/null) config -q accepts docker/compose.yaml" \
      docker-compose -f docker/compose.yaml config -q
  else
    echo "  SKIP  docker-compose not installed: docker/compose.yaml checked against the Compose schema only"
  fi
  if command -v promtool >/dev/null; then
    tool "promtool check config accepts docker/prometheus/prometheus.yml" promtool check config docker/prometheus/prometheus.yml
  else
    echo "  SKIP  promtool not installed: docker/prometheus/prometheus.yml checked structurally only"
  fi
} > "$out.tools"
cat "$out.tools"
tools_passed=$(grep -c '^  PASS' "$out.tools")
tools_failed=$(grep -c '^  FAIL' "$out.tools")
rm -f "$out.tools"

bash tests/deploy/proxy-affinity.sh | tee -a "$out" || status=1

passed=$(grep -hoE '^[a-z-]+: [0-9]+ passed' "$out" | awk -v n="$tools_passed" '{ n += $2 } END { print n }')
failed=$(grep -hoE '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$out" | awk -v n="$tools_failed" '{ n += $4 } END { print n }')
((status == 0 || failed > 0)) || failed=1 # a script that stopped before printing its count
echo "deploy: $passed passed, $failed failed"
exit "$status"
