#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test. This is the README's test command and what CI runs.
# Stages print how long they took. Set AAR_SKIP_SANITIZE=1 to skip the ASan/UBSan pass locally.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
stage() { printf '\n=== %s\n' "$1"; stage_start=$SECONDS; }
done_stage() { printf '=== %s: %ss\n' "$1" "$((SECONDS - stage_start))"; }

stage setup
bash scripts/setup.sh
done_stage setup

stage build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAAR_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
done_stage build

stage test
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600
done_stage test
