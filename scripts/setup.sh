#!/usr/bin/env bash
# Installs the Debian packages dfqbench needs; installs only what is missing.
set -euo pipefail
PKGS=(cmake ninja-build g++ make pkg-config zlib1g-dev libtorch-dev libopenblas0-pthread
      libfmt-dev libsqlite3-dev sqlite3 libgtest-dev libbenchmark-dev libcli11-dev
      libyaml-cpp-dev nlohmann-json3-dev libfccp-dev gnuplot-nox dataset-fashion-mnist
      libturbojpeg0-dev libssl-dev libboost-math-dev python3-torch python3-pil)
# python3-torch: the teacher-import test writes its state dicts with PyTorch; python3-pil: the
# ImageNet reader's test compares its resize and crop with Pillow's
# --with-slurm: also Slurm and munge, for the test that runs a sweep on a real single-node
# Slurm (tests/apps/slurm_test.cpp; skipped, saying why, without them). CI passes it.
if [ "${1:-}" = "--with-slurm" ]; then PKGS+=(slurm-wlm munge); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
