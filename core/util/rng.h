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

// Threads for LibTorch (intra-op) and OpenBLAS; n <= 0 means all cores. Also sets up the
// allocator (configure_allocator in env.h).
int configure_threads(int n);

}  // namespace dfq
