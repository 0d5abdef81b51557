#include "methods/train/deployment.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "core/eval/accuracy.h"
#include "core/eval/latency.h"
#include "core/quant/int8.h"
#include "core/quant/packed.h"
#include "core/quant/quantize.h"
#include "core/util/error.h"

namespace dfq {
namespace {

constexpr double kLatencyBudgetSeconds = 2.0;

}  // namespace

std::unique_ptr<Int8Model> lower_to_int8(Net student, const DatasetInfo& info, Int8Options& io) {
  std::tie(io.input_lo, io.input_hi) = normalized_range(info);
  try {
    return student->to_int8(io);
  } catch (const InvalidInputError&) {
    return nullptr;
  }
}

void log_deployment_metrics(RunContext& ctx) {
  if (!ctx.student) return;
  torch::NoGradGuard ng;
  // Every deployment figure is a CPU measurement, whatever device trained the student: int8
  // kernels exist only there, and latencies stay comparable across runs.
  ctx.student->to(torch::kCPU);
  ctx.teacher->to(torch::kCPU);
  RunLogger& log = *ctx.log;
  auto wb = weight_bytes(*ctx.student);
  log.metric("weight_bytes_fp32", static_cast<double>(wb.fp32));
  log.metric("weight_bytes_packed", static_cast<double>(wb.packed));
  log.metric("packed_file_bytes", static_cast<double>(packed_size(*ctx.student)));
  const auto& info = ctx.data->info;
  ctx.student->eval();
  set_calibration(*ctx.student, false);
  Int8Options io;
  ctx.int8 = lower_to_int8(ctx.student, info, io);
  if (ctx.int8) {
    auto& int8 = ctx.int8;
    auto acc = evaluate([&](const torch::Tensor& x) { return int8->forward(x); }, ctx.data->test, info);
    log.metric("int8_top1", acc.top1);
    log.metric("int8_points", int8->total_points());
    log.metric("int8_exact_points", int8->exact_points());
    log.metric("int8_reduce_range", io.reduce_range ? 1 : 0);
  }
  log.metric("peak_rss_bytes", static_cast<double>(peak_rss_bytes()));
}

bool latency_is_noisy(double other_load_before, double other_load_after, double max_cv) {
  return std::max(other_load_before, other_load_after) > kNoisyOtherLoad || max_cv > kNoisyCv;
}

std::map<std::string, double> measure_latencies(Net teacher, Net student, Int8Model* int8, const DatasetInfo& info) {
  torch::NoGradGuard ng;
  teacher->to(torch::kCPU);
  student->to(torch::kCPU);
  teacher->eval();
  student->eval();
  set_calibration(*student, false);
  std::map<std::string, double> m;
  const double load_before = other_cpu_load(0.5);
  double max_cv = 0;
  for (int64_t batch : {1, 64}) {
    auto x = torch::randn({batch, info.channels, info.size, info.size});
    std::vector<std::pair<const char*, std::function<void()>>> backends = {
        {"fp32", [&] { teacher->forward(x); }}, {"fakequant", [&] { student->forward(x); }}};
    if (int8) backends.emplace_back("int8", [&] { int8->forward(x); });
    for (const auto& [name, call] : backends) {
      // At most ~2 s of timing per figure (at least 3 calls): 100 calls of a small net, a few
      // of an ImageNet one; latency_reps says how many were timed.
      auto l = measure_latency(call, 5, 100, kLatencyBudgetSeconds);
      m[fmt::format("latency_ms_p50_{}_b{}", name, batch)] = l.p50_ms;
      m[fmt::format("latency_ms_p95_{}_b{}", name, batch)] = l.p95_ms;
      m[fmt::format("latency_cv_{}_b{}", name, batch)] = l.cv;
      m[fmt::format("latency_reps_{}_b{}", name, batch)] = l.reps;
      if (l.p50_ms >= kNoisyMinMs) max_cv = std::max(max_cv, l.cv);
    }
  }
  const double load_after = other_cpu_load(0.5);
  m["latency_other_load"] = std::max(load_before, load_after);
  m["latency_noisy"] = latency_is_noisy(load_before, load_after, max_cv) ? 1 : 0;
  m["latency_threads"] = torch::get_num_threads();
  return m;
}

}  // namespace dfq
