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

// Runs `call` `warmup` times untimed, then `reps` times timed.
Latency measure_latency(const std::function<void()>& call, int warmup = 3, int reps = 20);

// Peak resident set size of this process (VmHWM), in bytes; 0 if unknown.
int64_t peak_rss_bytes();

}  // namespace dfq
