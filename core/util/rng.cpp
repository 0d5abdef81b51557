#include "core/util/rng.h"

#include "core/util/env.h"
#include "core/util/error.h"

#include <fmt/format.h>

#include <torch/torch.h>

#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace dfq {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t n) {
  // Rejection sampling keeps the draw unbiased.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do {
    v = next();
  } while (v >= limit);
  return v % n;
}

std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  SplitMix64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[rng.below(i + 1)]);
  return p;
}

void seed_everything(uint64_t seed) {
  torch::manual_seed(seed);
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);  // the few draws made on a GPU
}

int max_parallelism() { return 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void check_parallelism(int n, const char* what, bool zero_means_auto) {
  if (n < (zero_means_auto ? 0 : 1))
    throw UsageError(fmt::format("{} {} must be {}", what, n, zero_means_auto ? "0 (all cores) or more" : "1 or more"));
  if (n > max_parallelism())
    throw UsageError(fmt::format("{} {} is more than 4x this machine's {} hardware threads (at most {})", what, n,
                                        max_parallelism() / 4, max_parallelism()));
}

// OpenBLAS (Debian's libblas.so.3 once libopenblas0-pthread is installed) starts its own
// pool of one thread per core when the library loads, before main, so OPENBLAS_NUM_THREADS
// set here came too late for this process: at --threads 1 a second BLAS thread spun on
// sched_yield for ~100 ms after every matrix product (40 % of a 1-thread profile), and at 2
// threads it took cycles from LibTorch's OpenMP threads (issue #18 profile). The products
// this project runs are small (the generator's Linear layer, the classifier), so OpenBLAS
// computes them on the calling thread and the cores stay with LibTorch's pool: measured
// on the 2-core machine, adasg at batch 16 went from 180 to 151 ms per iteration on 1
// thread and from 138 to 113 ms on 2. Found by name, as libblas.so.3 may be another BLAS.
// Processes this one starts (sweep workers) inherit OPENBLAS_NUM_THREADS=1 and start with
// a single BLAS thread.
void single_threaded_blas() {
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

int configure_threads(int n) {
  configure_allocator();
  check_parallelism(n, "--threads", true);
  if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  single_threaded_blas();
  return n;
}

}  // namespace dfq
