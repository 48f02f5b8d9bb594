#!/usr/bin/env bash
# Static checks on the C++ sources, with the configurations checked in at the repository root:
#   format    clang-format --dry-run on every tracked C++ file (.clang-format), except the files listed in
#             .clang-format-pending (not yet formatted by their owners; delete a line once its file is formatted)
#   tidy      clang-tidy on src/ (.clang-tidy; every enabled warning is an error), needs a compile database
#   cppcheck  cppcheck on src/ (.cppcheck-suppressions)
#
#   scripts/lint.sh [format|tidy|cppcheck]...     (default: all three)
# Environment: AAR_LINT_BUILD_DIR (the build directory with compile_commands.json, default build),
#              AAR_LINT_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${AAR_LINT_BUILD_DIR:-build}
jobs=${AAR_LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
checks=("$@")
((${#checks[@]})) || checks=(format tidy cppcheck)

lint_format() {
  local pending=() bad=() f
  [ -f .clang-format-pending ] && mapfile -t pending < <(grep -v '^\s*\(#\|$\)' .clang-format-pending)
  while IFS= read -r f; do
    [ -f "$f" ] || continue
    if printf '%s\n' "${pending[@]}" | grep -qxF "$f"; then continue; fi
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
  if ((${#bad[@]})); then
    echo "format: not clang-formatted (run: clang-format -i <file>):"
    printf '  %s\n' "${bad[@]}"
    return 1
  fi
  echo "format: ok (${#pending[@]} files pending in .clang-format-pending)"
}

lint_tidy() {
  if [ ! -f "$build/compile_commands.json" ]; then
    echo "tidy: $build/compile_commands.json missing (configure the build first)"
    return 1
  fi
  run-clang-tidy-14 -p "$build" -j "$jobs" -quiet "^$PWD/src/" >"$build/clang-tidy.log" 2>&1 || {
    grep -E 'error:|warning:' "$build/clang-tidy.log" | sort -u | head -100
    echo "tidy: findings above (full log: $build/clang-tidy.log)"
    return 1
  }
  echo "tidy: ok"
}

lint_cppcheck() {
  cppcheck --std=c++20 --language=c++ --enable=warning,performance,portability --inline-suppr --quiet \
    -j "$jobs" -I src --suppressions-list=.cppcheck-suppressions --error-exitcode=1 src/
  echo "cppcheck: ok"
}

status=0
for c in "${checks[@]}"; do
  case "$c" in
    format | tidy | cppcheck) "lint_$c" || status=1 ;;
    *) echo "lint: unknown check '$c'"; exit 2 ;;
  esac
done
exit $status
