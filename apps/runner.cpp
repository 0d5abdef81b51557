#include "apps/runner.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/eval/accuracy.h"
#include "core/eval/latency.h"
#include "core/quant/int8.h"
#include "core/quant/fake_quant.h"
#include "core/quant/packed.h"
#include "core/quant/quantize.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/rng.h"
#include "methods/registry.h"
#include "models/zoo.h"

namespace dfq {
namespace {

// Curves go to the store as they come; metrics wait for finish_run.
class StoreLogger : public RunLogger {
 public:
  StoreLogger(RunStore& store, int64_t run) : store_(store), run_(run) {}
  void curve(int64_t step, const Values& values) override { store_.log_curves(run_, step, values); }
  void metric(const std::string& key, double value) override { metrics[key] = value; }
  std::map<std::string, double> metrics;

 private:
  RunStore& store_;
  int64_t run_;
};

}  // namespace

namespace {

struct Prepared {
  const MethodDescriptor* method = nullptr;
  Config config;
  QuantConfig quant;
};

Prepared prepare(const CellRequest& req) {
  Prepared p;
  const auto& method = find_method(req.key.method);
  p.method = &method;
  QuantConfig& quant = p.quant;
  quant.w_bits = req.key.w_bits;
  quant.a_bits = req.key.a_bits;
  check_bits(quant.w_bits, "weight");
  check_bits(quant.a_bits, "activation");
  for (int b : {quant.w_bits, quant.a_bits})
    if (std::find(method.bits.begin(), method.bits.end(), b) == method.bits.end())
      throw InvalidInputError(fmt::format("{} does not support {}-bit quantization; supported: {}", method.name, b,
                                          fmt::join(method.bits, ", ")));

  Config config(method.defaults);
  if (!req.preset.empty()) {
    auto it = method.presets.find(req.preset);
    if (it == method.presets.end()) {
      std::vector<std::string> names;
      for (const auto& [n, v] : method.presets) names.push_back(n);
      throw InvalidInputError(fmt::format("{} has no preset '{}'; valid: {}", method.name, req.preset,
                                          fmt::join(names, ", ")));
    }
    for (const auto& o : it->second) config.set_assignment(o);
  }
  for (const auto& o : req.overrides) config.set_assignment(o);
  if (config.has("range_tracker")) quant.tracker = parse_range_tracker(config.str("range_tracker"));
  if (config.has("keep_first_last_8bit")) quant.keep_first_last_8bit = config.flag("keep_first_last_8bit");

  const auto& info = dataset_info(req.key.dataset);
  ModelSpec spec{req.key.model, info.channels, info.classes, info.size};
  make_model(spec);  // unknown model names fail here, with the valid list
  if (method.resolve) method.resolve(config, quant, spec);
  p.config = config;
  return p;
}

// What quantization buys: weight bytes (fp32 and packed at the student's bit-width), the
// packed file's size, peak RSS, and latency (median, p95) of the float teacher, the
// fake-quantized student and the student exported to int8 kernels, at batch 1 and 64;
// the int8 model's test top-1 (int8_top1) and how many of its quantization points are on
// the student's grid (int8_exact_points of int8_points).
void log_deployment_metrics(RunContext& ctx, RunLogger& log) {
  if (!ctx.student) return;
  torch::NoGradGuard ng;
  auto wb = weight_bytes(*ctx.student);
  log.metric("weight_bytes_fp32", static_cast<double>(wb.fp32));
  log.metric("weight_bytes_packed", static_cast<double>(wb.packed));
  const auto tmp = (std::filesystem::temp_directory_path() / fmt::format("dfq-student-{}.pack", ::getpid())).string();
  log.metric("packed_file_bytes", static_cast<double>(save_packed(*ctx.student, tmp)));
  std::filesystem::remove(tmp);
  const auto& info = ctx.data->info;
  ctx.student->eval();
  set_calibration(*ctx.student, false);
  std::unique_ptr<Int8Model> int8;
  if (ctx.device.is_cpu()) {  // nullptr from to_int8: no lowering for this architecture
    Int8Options io;
    std::tie(io.input_lo, io.input_hi) = normalized_range(info);
    try {
      int8 = ctx.student->to_int8(io);
    } catch (const InvalidInputError&) {
      // A float activation (a-bits 32) has no range to export: no int8 figures.
    }
    if (int8) {
      auto acc = evaluate([&](const torch::Tensor& x) { return int8->forward(x); }, ctx.data->test, info);
      log.metric("int8_top1", acc.top1);
      log.metric("int8_points", int8->total_points());
      log.metric("int8_exact_points", int8->exact_points());
      log.metric("int8_reduce_range", io.reduce_range ? 1 : 0);
    }
  }
  for (int64_t batch : {1, 64}) {
    auto x = torch::randn({batch, info.channels, info.size, info.size}, torch::TensorOptions().device(ctx.device));
    std::vector<std::pair<const char*, std::function<void()>>> backends = {
        {"fp32", [&] { ctx.teacher->forward(x); }}, {"fakequant", [&] { ctx.student->forward(x); }}};
    if (int8) backends.emplace_back("int8", [&] { int8->forward(x); });
    for (const auto& [name, call] : backends) {
      auto l = measure_latency(call);
      log.metric(fmt::format("latency_ms_p50_{}_b{}", name, batch), l.p50_ms);
      log.metric(fmt::format("latency_ms_p95_{}_b{}", name, batch), l.p95_ms);
    }
  }
  log.metric("peak_rss_bytes", static_cast<double>(peak_rss_bytes()));
}

}  // namespace

ResolvedCell resolve_cell(const CellRequest& req) {
  auto p = prepare(req);
  return {p.config.dump(), p.config.hash()};
}

CellResult run_cell(RunStore& store, const CellRequest& req) {
  auto prepared = prepare(req);
  const auto& method = *prepared.method;
  const Config& config = prepared.config;
  const QuantConfig& quant = prepared.quant;
  const auto& info = dataset_info(req.key.dataset);

  auto data = load_dataset(req.key.dataset, req.data_root);
  TeacherManifest manifest;
  Net teacher = load_teacher(req.key.dataset, req.key.model, req.zoo.empty() ? default_zoo_dir() : req.zoo, &manifest);
  // RunContext's contract: the teacher is frozen and in eval mode, for every method.
  teacher->eval();
  for (auto& p : teacher->parameters()) p.set_requires_grad(false);
  if (manifest.num_classes != info.classes || manifest.in_channels != info.channels ||
      manifest.image_size != info.size)
    throw InvalidInputError(fmt::format("the {} teacher expects {}x{}x{} inputs and {} classes, but {} has {}x{}x{} "
                                        "and {}; train a teacher for this data set",
                                        req.key.model, manifest.in_channels, manifest.image_size,
                                        manifest.image_size, manifest.num_classes, req.key.dataset, info.channels,
                                        info.size, info.size, info.classes));

  Environment env = capture_environment();
  const int64_t run_id = store.begin_run(req.key, config.dump(), config.hash(), env, method.paper, method.year);
  StoreLogger logger(store, run_id);
  RunContext ctx;
  ctx.teacher = teacher;
  ctx.data = &data;
  ctx.config = config;
  ctx.quant = quant;
  ctx.seed = static_cast<uint64_t>(req.key.seed);
  ctx.log = &logger;
  ctx.fp_top1 = manifest.test_top1;
  ctx.teacher_id = manifest.sha256;
  ctx.cache_dir = req.cache_dir;
  ctx.title = fmt::format("{} W{}A{} {} seed {}", method.name, quant.w_bits, quant.a_bits, req.key.model, req.key.seed);
  seed_everything(ctx.seed);
  try {
    method.run(ctx);
    log_deployment_metrics(ctx, logger);
  } catch (const InterruptedError& e) {
    store.end_run(run_id, "interrupted", e.what());
    throw;
  } catch (const std::exception& e) {
    store.end_run(run_id, "failed", e.what());
    throw;
  }
  store.finish_run(run_id, logger.metrics);
  return {run_id, "done", logger.metrics, config.dump()};
}

}  // namespace dfq
