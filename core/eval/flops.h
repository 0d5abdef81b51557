// How far from the machine's limit a computation runs: the multiply-adds of the passes it
// really runs (counted at the operators LibTorch dispatches), and the processor's FMA peak,
// both as the specification gives it and as measured.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace dfq {

// Multiply-adds of the convolutions (forward, and each gradient a backward computes) and
// matrix products (addmm, mm, bmm) that `work` dispatches on this thread. Element-wise
// operators, normalisation and the optimizer are not counted (they are memory-bound and a
// small share of the arithmetic).
int64_t count_multiply_adds(const std::function<void()>& work);

struct FmaPeak {
  int threads = 1;
  int vector_bits = 128;       // the widest FMA this processor has (512, 256, or 128 without FMA)
  double nominal_gflops = 0;   // clock ("cpu MHz" of /proc/cpuinfo) x 2 FMA pipes x lanes x 2, x threads
  double measured_gflops = 0;  // independent FMAs in registers on `threads` threads, as fast as they go
  std::string summary;         // both, and what was assumed, in one line
};

// Single-precision FMA peak of `threads` cores. The nominal figure assumes two FMA pipes per
// core and the base clock a virtual machine reports (boost clocks are higher); AMD cores
// (Zen 4) split a 512-bit FMA in two, so they count at 256 bits. The measured one runs
// 12 independent FMA chains per thread for about 0.2 s: what this machine delivers now.
FmaPeak fma_peak(int threads);

}  // namespace dfq
