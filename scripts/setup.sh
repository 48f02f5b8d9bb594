#!/usr/bin/env bash
# Installs everything the build, the tests and the benchmarks need from Debian's packages.
# Idempotent: packages already present are skipped; apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libre2-dev libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libpugixml-dev
  libcurl4-openssl-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl python3 python3-kubernetes python3-boto3 python3-yaml
  clang libclang-rt-14-dev clang-tidy clang-format cppcheck
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# kubectl is not in Debian's archive: use it when the machine has it (tests that need it say so and skip).
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
