#!/usr/bin/env bash
# The test command: build everything with warnings as errors, then run every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build GqaService.sln -c Release
dotnet test GqaService.sln -c Release --no-build --logger "console;verbosity=normal"
