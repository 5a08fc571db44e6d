#!/usr/bin/env bash
# The main job on the bundled demo data: installs what is missing, builds Release (incrementally),
# describes the bundled lambda phage genome and prints the build's backends.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
cmake --preset release >/dev/null
cmake --build --preset release
cli=build/release/app/mambascope-cli
"$cli" --version
echo
"$cli" info resources/demo/lambda_virus.fa
