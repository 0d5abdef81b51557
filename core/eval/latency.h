// Wall-clock latency of repeated calls (median, 95th percentile and coefficient of variation
// after warm-up), how busy the machine is with other work while it is measured, and the
// process's peak resident memory.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace dfq {

struct Latency {
  double p50_ms = 0, p95_ms = 0;
  int reps = 0;
  double cv = 0;  // standard deviation / mean of the timed calls (0 for one call)
};

// The figures of a set of timed calls (milliseconds, any order): nearest-rank median and
// 95th percentile, and the coefficient of variation (sample standard deviation over mean).
Latency latency_of(std::vector<double> ms);

// Runs `call` `warmup` times untimed, then `reps` times timed. With a time budget (seconds,
// > 0), slow calls stop early: warm-up ends after the first call once calls take over a tenth
// of the budget, and timing ends once the budget is spent and `min_reps` calls are timed (an
// ImageNet ResNet-18 at batch 64 takes seconds a call on two cores). `reps` says how many were.
Latency measure_latency(const std::function<void()>& call, int warmup = 3, int reps = 20, double budget_s = 0,
                        int min_reps = 3);

// Cores' worth of CPU time that processes other than this one used per second, sampled over
// `seconds` (/proc/stat against /proc/self/stat); -1 where unknown. A latency measured while
// other work runs is noisy: another process's threads take the cores it is timed on.
double other_cpu_load(double seconds);

// Peak resident set size of this process (VmHWM), in bytes; 0 if unknown.
int64_t peak_rss_bytes();

}  // namespace dfq
