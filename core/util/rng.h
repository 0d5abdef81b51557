// Seeding and a small, version-stable generator for index permutations.
#pragma once
#include <cstdint>
#include <vector>

namespace dfq {

// SplitMix64: fixed algorithm, so data splits never change with the LibTorch version.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n);

 private:
  uint64_t state_;
};

// Fisher-Yates permutation of 0..n-1.
std::vector<int64_t> permutation(int64_t n, uint64_t seed);

// Seeds LibTorch's global generator; every random draw of a run flows from here.
void seed_everything(uint64_t seed);

// Threads for LibTorch (intra-op); n = 0 means all cores (negative or more than
// max_parallelism() is refused). OpenBLAS runs on the calling thread (single_threaded_blas).
// Also sets up the allocator (configure_allocator in env.h).
int configure_threads(int n);

// OpenBLAS computes on the calling thread only (and so do the processes this one starts).
void single_threaded_blas();

// Threads or worker processes beyond 4x the hardware threads only thrash (and thousands
// exhaust the machine): refuse them, and negative counts, in one line naming `what`.
int max_parallelism();
void check_parallelism(int n, const char* what, bool zero_means_auto);

}  // namespace dfq
