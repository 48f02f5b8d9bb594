#!/usr/bin/env bash
# scripts/lint.sh layers: passes on this repository, and fails, naming the file and the layer, on a copy whose
# core includes the controller and whose controller includes kube.
#   lint_layers_test.sh <repository root>
set -euo pipefail
repo=$1
bash "$repo/scripts/lint.sh" layers

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/scripts" "$tmp/src/core" "$tmp/src/controller" "$tmp/src/kube"
cp "$repo/scripts/lint.sh" "$tmp/scripts/"
printf '#include "core/b.hpp"\n#include "nlohmann/json.hpp"\n' >"$tmp/src/core/a.hpp"
printf '#include "controller/x.hpp"\n' >"$tmp/src/core/b.hpp"
printf '#include "core/a.hpp"\n#include "kube/y.hpp"\n' >"$tmp/src/controller/x.hpp"
printf '#include "core/a.hpp"\n' >"$tmp/src/kube/y.hpp"
git -C "$tmp" init -q && git -C "$tmp" add -A
if out=$(bash "$tmp/scripts/lint.sh" layers 2>&1); then
  echo "FAIL: upward includes passed the check: $out"
  exit 1
fi
for want in "src/core/b.hpp: includes controller" "src/controller/x.hpp: includes kube"; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: '$want' missing from: $out"; exit 1; }
done
for never in "src/core/a.hpp" "src/kube/y.hpp"; do
  if grep -qF "$never" <<<"$out"; then echo "FAIL: $never wrongly reported: $out"; exit 1; fi
done
echo "lint layers: ok on the repository, catches upward includes"
