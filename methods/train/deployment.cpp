#include "methods/train/deployment.h"

#include <fmt/format.h>

#include <memory>

#include "core/eval/accuracy.h"
#include "core/eval/latency.h"
#include "core/quant/int8.h"
#include "core/quant/packed.h"
#include "core/util/error.h"

namespace dfq {
namespace {

// The student lowered to int8 kernels, or nullptr: no lowering for this
// architecture, or a float activation (a-bits 32) with no range to export.
std::unique_ptr<Int8Model> lower_to_int8(RunContext& ctx, Int8Options& io) {
  std::tie(io.input_lo, io.input_hi) = normalized_range(ctx.data->info);
  try {
    return ctx.student->to_int8(io);
  } catch (const InvalidInputError&) {
    return nullptr;
  }
}

constexpr double kLatencyBudgetSeconds = 5.0;

}  // namespace

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
  auto int8 = lower_to_int8(ctx, io);
  if (int8) {
    auto acc = evaluate([&](const torch::Tensor& x) { return int8->forward(x); }, ctx.data->test, info);
    log.metric("int8_top1", acc.top1);
    log.metric("int8_points", int8->total_points());
    log.metric("int8_exact_points", int8->exact_points());
    log.metric("int8_reduce_range", io.reduce_range ? 1 : 0);
  }
  for (int64_t batch : {1, 64}) {
    auto x = torch::randn({batch, info.channels, info.size, info.size});
    std::vector<std::pair<const char*, std::function<void()>>> backends = {
        {"fp32", [&] { ctx.teacher->forward(x); }}, {"fakequant", [&] { ctx.student->forward(x); }}};
    if (int8) backends.emplace_back("int8", [&] { int8->forward(x); });
    for (const auto& [name, call] : backends) {
      // At most ~5 s of timing per figure (at least 3 calls): 20 calls of a small net, a few of
      // an ImageNet one; latency_reps says how many were timed.
      auto l = measure_latency(call, 3, 20, kLatencyBudgetSeconds);
      log.metric(fmt::format("latency_ms_p50_{}_b{}", name, batch), l.p50_ms);
      log.metric(fmt::format("latency_ms_p95_{}_b{}", name, batch), l.p95_ms);
      log.metric(fmt::format("latency_reps_{}_b{}", name, batch), l.reps);
    }
  }
  log.metric("peak_rss_bytes", static_cast<double>(peak_rss_bytes()));
}

}  // namespace dfq
