#!/usr/bin/env bash
# The GPU check, on a machine with one CUDA GPU and a pip PyTorch (no root, no apt needed):
#   1. configures and builds dfqbench against that PyTorch's LibTorch (with CUDA);
#   2. runs the test suite with the GPU tests enabled (tests/gpu: fake-quant and BNS on CUDA
#      against the CPU, a tiny cell on both devices, two GPU runs repeating exactly);
#   3. times one training iteration of adasg and gdfq on ResNet-20 3x32x32 at each method's
#      official batch size (benchmarks: BM_Cuda*IterationCifar);
#   4. prints a summary.
# usage: scripts/gpu-check.sh DEPS [BUILD]
#   DEPS   the folder scripts/gpu-deps.sh made on a Debian 12 machine (fmt, yaml-cpp, CLI11,
#          nlohmann-json, GoogleTest, Google Benchmark, SQLite, zlib, Fashion-MNIST)
#   BUILD  build folder (default: build-cuda)
# Environment: PYTHON (default python3, the one whose torch to build against), JOBS.
set -uo pipefail
deps=${1:?usage: scripts/gpu-check.sh DEPS [BUILD]  (DEPS: made by scripts/gpu-deps.sh)}
[ -d "$deps/root/usr" ] || { echo "gpu-check: $deps/root/usr missing; make it with scripts/gpu-deps.sh" >&2; exit 2; }
deps=$(cd "$deps" && pwd)
build=${2:-build-cuda}
python=${PYTHON:-python3}
jobs=${JOBS:-$(nproc)}
root=$deps/root
arch_lib=$root/usr/lib/x86_64-linux-gnu
summary=()
note() { summary+=("$1"); echo "gpu-check: $1"; }
started=$(date +%s)

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$python" -c 'import torch; print("torch", torch.__version__, "| CUDA", torch.version.cuda, "| cuDNN", torch.backends.cudnn.version(), "| GPUs", torch.cuda.device_count())'
echo "cores $(nproc) | $(cmake --version | head -1) | $(g++ --version | head -1) | nvcc: $(nvcc --version 2>/dev/null | tail -1)"

torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)') ||
  { echo "gpu-check: $python has no torch" >&2; exit 2; }
# cuDNN from its pip package, where LibTorch's CMake files look for it.
cudnn_args=()
cudnn_dir=$("$python" -c 'import nvidia.cudnn as c; print(list(c.__path__)[0])' 2>/dev/null || true)
if [ -n "$cudnn_dir" ] && [ -f "$cudnn_dir/include/cudnn.h" ]; then
  cudnn_lib=$(ls "$cudnn_dir"/lib/libcudnn.so* 2>/dev/null | head -1)
  cudnn_args=(-DCUDNN_INCLUDE_PATH="$cudnn_dir/include" -DCUDNN_LIBRARY_PATH="$cudnn_lib"
              -DCUDNN_INCLUDE_DIR="$cudnn_dir/include" -DCUDNN_LIBRARY="$cudnn_lib")
fi
export LD_LIBRARY_PATH="$arch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || export DFQ_DATA_ROOT=$root/usr/share/datasets
echo "Fashion-MNIST: ${DFQ_DATA_ROOT:-/usr/share/datasets}/fashion-mnist"

echo "== configure ($build)"
t0=$(date +%s)
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_PREFIX_PATH="$torch_prefix;$root/usr" -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
     -DDFQ_FMT_HEADER_ONLY=ON "${cudnn_args[@]}" > "$build.configure.log" 2>&1; then
  tail -40 "$build.configure.log"; echo "gpu-check: FAILED to configure (log: $build.configure.log)"; exit 1
fi
grep -E "LibTorch|CUDA" "$build.configure.log" | grep -v "^--   " | head -8
note "configured in $(( $(date +%s) - t0 )) s"

echo "== build"
t0=$(date +%s)
if ! cmake --build "$build" -j "$jobs" -- -k 0 > "$build.build.log" 2>&1; then
  if grep -q "C++20 or later" "$build.build.log"; then  # a LibTorch newer than CMakeLists.txt knows
    note "this LibTorch needs C++20: reconfiguring with -DDFQ_CXX_STANDARD=20"
    cmake "$build" -DDFQ_CXX_STANDARD=20 > /dev/null && cmake --build "$build" -j "$jobs" -- -k 0 > "$build.build.log" 2>&1
  fi
fi
if ! cmake --build "$build" -j "$jobs" > /dev/null 2>&1; then
  grep -E "error|Error" "$build.build.log" | head -60; echo "gpu-check: FAILED to build (log: $build.build.log)"; exit 1
fi
note "built in $(( $(date +%s) - t0 )) s on $jobs jobs"
echo "== one tiny run on the GPU through the command line"
"$build/dfq" --quiet --device cuda --store "$build/gpu-check.sqlite" run --method adasg --model lenet5 \
  --dataset fashion-mnist --preset tiny && note "dfq --device cuda run: done" || note "dfq --device cuda run: FAILED"

echo "== tests"
t0=$(date +%s)
(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 200 -E '^Gpu\.') > "$build.test.log" 2>&1
test_rc=$?
grep -E "tests passed|tests failed|\(Failed\)|\(SEGFAULT\)|\(Timeout\)|Subprocess aborted" "$build.test.log" | head -30
note "ctest exit $test_rc in $(( $(date +%s) - t0 )) s: $(grep -E 'tests passed' "$build.test.log" | tail -1)"
echo "== GPU tests (verbose)"
"$build/dfq_tests" --gtest_filter='Gpu.*' 2>&1 | grep -vE "^\[ *RUN|^$" | tail -30
gpu_rc=${PIPESTATUS[0]}
note "GPU tests exit $gpu_rc"

echo "== one training iteration, ResNet-20 3x32x32, official batch size, on the GPU"
if [ -x "$build/dfq_bench" ]; then
  "$build/dfq_bench" --benchmark_filter='BM_Cuda' --benchmark_min_time=2 --benchmark_counters_tabular=true 2>&1 | tail -8
else
  note "no dfq_bench (Google Benchmark not found)"
fi
note "total $(( $(date +%s) - started )) s"
echo "== summary"
printf '  %s\n' "${summary[@]}"
[ "$test_rc" -eq 0 ] && [ "$gpu_rc" -eq 0 ]
