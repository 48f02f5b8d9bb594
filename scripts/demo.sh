#!/usr/bin/env bash
# README command 1: sets up the machine, builds, and shows the product working.
# Runs `aws-auth-refresher demo` (fake API server + fake IAM, the seed README's three steps; then the same rules
# as EKS access entries against the fake EKS) when it is built,
# and the offline `plan` on the bundled example in any case.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target aws-auth-refresher fake-kube-apiserver fake-aws
echo
echo "\$ aws-auth-refresher demo"
./build/aws-auth-refresher demo
echo
echo "\$ aws-auth-refresher plan --rules examples/aws-auth-refresher.yaml --aws-auth examples/aws-auth.yaml --arns examples/iam-users.txt"
./build/aws-auth-refresher plan --rules examples/aws-auth-refresher.yaml --aws-auth examples/aws-auth.yaml \
  --arns examples/iam-users.txt
