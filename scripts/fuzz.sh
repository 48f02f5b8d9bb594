#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and runs each for SECONDS (default 20),
# starting from the seed corpus tests/fuzz/corpus/<target>/. Fails on any crash, leak, timeout or OOM.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 rules watch
#
# New interesting inputs go to <build>/fuzz-corpus/<target>/ (the checked-in seeds stay as they are). A failing
# input is saved as <build>/fuzz-artifacts/<target>-crash-*; once fixed, copy it to
# tests/fuzz/regressions/<target>/ so that every ctest run replays it (FuzzReplay.<target>).
# Environment: AAR_FUZZ_BUILD_DIR (default build-fuzz), AAR_FUZZ_JOBS (build jobs, default nproc),
# AAR_FUZZ_SEED (libFuzzer's -seed; unset or 0: a new random seed each run, for exploring). CI sets a fixed
# seed and starts from the checked-in seeds alone, so that it replays much the same inputs each time (not
# exactly: libFuzzer's own time-based choices make two runs part after some thousands of inputs).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
shift || true
build=${AAR_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${AAR_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
seed=${AAR_FUZZ_SEED:-0}

# Targets named on the command line always run; by default every target runs except those with an open finding
# in tests/fuzz/known_findings.txt.
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$f" .cpp)
    name=${name%_fuzz}
    if reason=$(grep -E "^$name " tests/fuzz/known_findings.txt 2>/dev/null); then
      echo "fuzz: SKIPPED $name (open finding): ${reason#"$name "}"
      continue
    fi
    targets+=("$name")
  done
fi

sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAAR_FUZZ=ON -DAAR_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$sanitize" >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]/%/_fuzz}"

mkdir -p "$build/fuzz-artifacts"
failed=()
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t"
  if [ "$seed" != 0 ]; then  # a seeded run starts from the checked-in seeds alone, every time
    work="$build/fuzz-corpus-seeded/$t"
    rm -rf "$work"
  fi
  mkdir -p "$work"
  printf '\n--- fuzz %s for %ss (seed %s)\n' "$t" "$seconds" "$seed"
  # -timeout: one input taking longer than 10 s is a hang. -rss_limit_mb: an input that makes us allocate
  # 2 GB is a bug (the real limits are ~1.5 MiB ConfigMaps and IAM pages).
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -seed="$seed" -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" "$work" "tests/fuzz/corpus/$t" \
    2>"$build/fuzz-artifacts/$t.log"; then
    tail -60 "$build/fuzz-artifacts/$t.log"
    failed+=("$t")
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE' "$build/fuzz-artifacts/$t.log" || true
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/fuzz-artifacts/)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
