#!/usr/bin/env bash
# Installs the Debian packages dfqbench needs; installs only what is missing.
set -euo pipefail
PKGS=(cmake ninja-build g++ make pkg-config zlib1g-dev libtorch-dev libopenblas0-pthread
      libfmt-dev libsqlite3-dev sqlite3 libgtest-dev libbenchmark-dev libcli11-dev
      libyaml-cpp-dev nlohmann-json3-dev libfccp-dev dataset-fashion-mnist
      libturbojpeg0-dev libssl-dev libboost-math-dev python3-torch python3-pil)
# python3-torch: the teacher-import test writes its state dicts with PyTorch; python3-pil: the
# ImageNet reader's test compares its resize and crop with Pillow's
# --with-slurm: also Slurm and munge, for the test that runs a sweep on a real single-node
# Slurm (tests/apps/slurm_test.cpp; skipped, saying why, without them). --with-browser: also
# chromium, for the test that renders the HTML report in a headless browser
# (tests/reports/browser_test.cpp; skipped, saying why, without it). CI passes both.
# Plots are the project's own SVG (reports/svg.cpp): no plotting package is needed.
BROWSER=()
for arg in "$@"; do
  case "$arg" in
    --with-slurm) PKGS+=(slurm-wlm munge) ;;
    --with-browser) BROWSER=(chromium fonts-liberation) ;;
    *) echo "setup: unknown option '$arg' (expected --with-slurm, --with-browser)" >&2; exit 2 ;;
  esac
done
missing=() browser_missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
for p in "${BROWSER[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || browser_missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ ${#browser_missing[@]} -eq 0 ]; then
  echo "setup: all $(( ${#PKGS[@]} + ${#BROWSER[@]} )) packages present"
  exit 0
fi
echo "setup: installing ${missing[*]} ${browser_missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; fi
# The browser with its recommended packages (fonts, GL, udev): what its headless screenshots were checked with.
if [ ${#browser_missing[@]} -gt 0 ]; then $SUDO apt-get install -y -q "${browser_missing[@]}"; fi
