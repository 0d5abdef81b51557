#include "core/eval/latency.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace dfq {

Latency measure_latency(const std::function<void()>& call, int warmup, int reps, double budget_s, int min_reps) {
  if (reps < 1) throw InvalidInputError("latency needs at least one timed call");
  using clock = std::chrono::steady_clock;
  auto seconds_since = [](clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); };
  for (int i = 0; i < warmup; ++i) {
    const auto t0 = clock::now();
    call();
    if (budget_s > 0 && seconds_since(t0) > budget_s / 10) break;
  }
  std::vector<double> ms;
  ms.reserve(reps);
  const auto start = clock::now();
  for (int i = 0; i < reps; ++i) {
    if (budget_s > 0 && i >= std::max(1, min_reps) && seconds_since(start) > budget_s) break;
    const auto t0 = clock::now();
    call();
    ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * (ms.size() - 1) + 0.5))]; };
  return {at(0.5), at(0.95), static_cast<int>(ms.size())};
}

int64_t peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmHWM:  123 kB"
  return 0;
}

}  // namespace dfq
