#!/bin/sh
# The binary starts (--version) in an empty root holding only itself, the
# libraries ldd lists and the dynamic loader: what the runtime image must ship.
# Usage: chroot_version_test.sh BINARY EXPECTED_VERSION
set -eu
bin=$1; want=$2
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: chroot needs root"; exit 77; fi
command -v chroot >/dev/null || { echo "SKIP: chroot not available"; exit 77; }
root=$(mktemp -d); chmod 755 "$root"; trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin"; cp "$bin" "$root/bin/aws-auth-refresher"
for lib in $(ldd "$bin" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
  mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"
done
out=$(chroot --userspec=65534:65534 "$root" /bin/aws-auth-refresher --version 2>&1) || {
  echo "FAIL: exit $? output: $out"; exit 1; }
case "$out" in
  *"aws-auth-refresher $want"*) echo "ok: $out";;
  *) echo "FAIL: unexpected output: $out"; exit 1;;
esac
