// Wall-clock latency of repeated calls (median and 95th percentile after warm-up) and the
// process's peak resident memory.
#pragma once
#include <cstdint>
#include <functional>

namespace dfq {

struct Latency {
  double p50_ms = 0, p95_ms = 0;
  int reps = 0;
};

// Runs `call` `warmup` times untimed, then `reps` times timed. With a time budget (seconds,
// > 0), slow calls stop early: warm-up ends after the first call once calls take over a tenth
// of the budget, and timing ends once the budget is spent and `min_reps` calls are timed (an
// ImageNet ResNet-18 at batch 64 takes seconds a call on two cores). `reps` says how many were.
Latency measure_latency(const std::function<void()>& call, int warmup = 3, int reps = 20, double budget_s = 0,
                        int min_reps = 3);

// Peak resident set size of this process (VmHWM), in bytes; 0 if unknown.
int64_t peak_rss_bytes();

}  // namespace dfq
