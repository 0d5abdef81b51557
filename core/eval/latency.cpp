#include "core/eval/latency.h"

#include <algorithm>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
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
  return latency_of(std::move(ms));
}

Latency latency_of(std::vector<double> ms) {
  if (ms.empty()) throw InvalidInputError("latency needs at least one timed call");
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * (ms.size() - 1) + 0.5))]; };
  double mean = 0;
  for (double v : ms) mean += v;
  mean /= static_cast<double>(ms.size());
  double var = 0;
  for (double v : ms) var += (v - mean) * (v - mean);
  const double n = static_cast<double>(ms.size());
  const double cv = ms.size() > 1 && mean > 0 ? std::sqrt(var / (n - 1)) / mean : 0.0;
  return {at(0.5), at(0.95), static_cast<int>(ms.size()), cv};
}

namespace {

// Busy jiffies of the whole machine (every state but idle and iowait), and of this process.
bool cpu_jiffies(long long& machine_busy, long long& self) {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu")
    return false;
  machine_busy = user + nice + system + irq + softirq;
  std::ifstream own("/proc/self/stat");
  std::string line;
  if (!std::getline(own, line)) return false;
  std::istringstream rest(line.substr(line.rfind(')') + 2));  // fields from the 3rd (state) on
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  self = utime + stime;
  return true;
}

}  // namespace

double other_cpu_load(double seconds) {
  long long busy0 = 0, self0 = 0, busy1 = 0, self1 = 0;
  if (!cpu_jiffies(busy0, self0)) return -1;
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  if (!cpu_jiffies(busy1, self1)) return -1;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double others = static_cast<double>((busy1 - busy0) - (self1 - self0)) / hz;
  return std::max(0.0, others / elapsed);
}

int64_t peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmHWM:  123 kB"
  return 0;
}

}  // namespace dfq
