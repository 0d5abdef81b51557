#!/usr/bin/env bash
# Makes the folder of dependencies that scripts/gpu-check.sh needs on a GPU machine with a
# pip PyTorch and no apt (no root, no network): Debian 12's packages of everything dfqbench
# needs besides LibTorch, downloaded with `apt-get download` and unpacked with `dpkg -x`
# (nothing is installed). Run it on a Debian 12 machine, then copy the folder over.
#   usage: scripts/gpu-deps.sh [FOLDER]     (default: .gpu-deps; /.gpu-deps/ is git-ignored)
set -euo pipefail
out=${1:-.gpu-deps}
pkgs=(libfmt-dev libfmt9 libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev nlohmann-json3-dev libfccp-dev
      libgtest-dev libgmock-dev libbenchmark-dev libbenchmark1debian libsqlite3-dev libsqlite3-0
      zlib1g-dev zlib1g libturbojpeg0-dev libturbojpeg0 dataset-fashion-mnist)
command -v apt-get >/dev/null && command -v dpkg >/dev/null ||
  { echo "gpu-deps: needs apt-get and dpkg (run it on a Debian 12 machine)" >&2; exit 1; }
mkdir -p "$out/debs" "$out/root"
(cd "$out/debs" && apt-get download "${pkgs[@]}")
for deb in "$out"/debs/*.deb; do dpkg -x "$deb" "$out/root"; done
rm -rf "$out/debs" "$out/root/usr/share/doc" "$out/root/usr/share/man"
echo "gpu-deps: $(du -sh "$out" | cut -f1) in $out (packages: ${pkgs[*]})"
