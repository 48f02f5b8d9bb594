#!/usr/bin/env bash
# The end-to-end benchmark: builds the binary, the fakes, bench/iam-floor and bench/measure (RelWithDebInfo, as
# CI builds them), then runs bench/e2e/driver.py, which prints a table and writes bench/e2e/results.json.
# Not part of the test command. The build directory is build/ unless AAR_BENCH_BUILD names another.
# Arguments go to the driver, e.g.:
#   bash bench/e2e/run.sh --users 10000 --rules 200 --reps 3 --idle-cycles 0
#   bash bench/e2e/run.sh --users "" --roles-case 10000,2000,200 --idle-cycles 0   (rules v2: roles)
#   bash bench/e2e/run.sh --users "" --roles-case "" --idle-cycles 0 --access-entries-case 1000,3000
#     (issue #13: only the access-entries backend; --access-entries-case '' skips it in a full run)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${AAR_BENCH_BUILD:-build}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAAR_WERROR=ON -DAAR_TESTS=ON -DAAR_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" \
  --target aws-auth-refresher fake-aws fake-kube-apiserver iam-floor measure
exec /usr/bin/python3 bench/e2e/driver.py --build "$build" "$@"
