#!/usr/bin/env bash
# Static checks on the C++ sources, with the configurations checked in at the repository root:
#   format    clang-format --dry-run on every tracked C++ file (.clang-format), except the files listed in
#             .clang-format-pending (not yet formatted by their owners; delete a line once its file is formatted)
#   tidy      clang-tidy on src/ (.clang-tidy; every enabled warning is an error), needs a compile database
#   cppcheck  cppcheck on src/ (.cppcheck-suppressions)
#   layers    each src/ layer includes only itself and the layers below it (the picture in the README):
#             base, core <- net <- aws, kube <- app;  base, core <- controller <- app
#
#   scripts/lint.sh [format|tidy|cppcheck|layers]...     (default: all four)
# Environment: AAR_LINT_BUILD_DIR (the build directory with compile_commands.json, default build),
#              AAR_LINT_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${AAR_LINT_BUILD_DIR:-build}
jobs=${AAR_LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
checks=("$@")
((${#checks[@]})) || checks=(format tidy cppcheck layers)

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

# The layers each src/ layer may include besides itself (the picture in the README).
declare -A allowed_layers=(
  [base]=""
  [core]=""
  [net]="base core"
  [aws]="base core net"
  [kube]="base core net"
  [controller]="base core"
  [app]="base core net aws kube controller"
)

lint_layers() {
  local bad=() f layer inc target
  while IFS= read -r f; do
    layer=${f#src/}
    layer=${layer%%/*}
    if [ -z "${allowed_layers[$layer]+x}" ]; then
      bad+=("$f: src/$layer is not a known layer (add it to allowed_layers in scripts/lint.sh)")
      continue
    fi
    while IFS= read -r inc; do
      target=${inc#*\"}
      target=${target%%/*}
      [ "$target" = "$layer" ] && continue
      [ -d "src/$target" ] || continue  # a third-party header such as "nlohmann/json.hpp" is no layer of ours
      case " ${allowed_layers[$layer]} " in
        *" $target "*) ;;
        *) bad+=("$f: includes $target (${inc#\#include }); $layer may include only: ${allowed_layers[$layer]:-nothing of ours}") ;;
      esac
    done < <(grep -E '^\s*#\s*include\s+"[a-z_]+/' "$f" || true)
  done < <(git ls-files 'src/*.cpp' 'src/*.hpp')
  if ((${#bad[@]})); then
    echo "layers: includes that point up or sideways:"
    printf '  %s\n' "${bad[@]}"
    return 1
  fi
  echo "layers: ok"
}

status=0
for c in "${checks[@]}"; do
  case "$c" in
    format | tidy | cppcheck | layers) "lint_$c" || status=1 ;;
    *) echo "lint: unknown check '$c'"; exit 2 ;;
  esac
done
exit $status
