#include "apps/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <cmath>
#include <vector>

#include "apps/sweep.h"
#include "core/eval/accuracy.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/paths.h"
#include "core/util/progress.h"
#include "core/util/rng.h"
#include "methods/train/checkpoint.h"
#include "methods/train/deployment.h"
#include "models/zoo.h"

namespace dfq {
namespace fs = std::filesystem;
namespace {

// Test images the teacher is re-evaluated on before a run (check_teacher_accuracy): 500
// keep the check under a second for the 28x28 and 32x32 models on 2 cores.
constexpr int64_t kTeacherCheckImages = 500;

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

// #17 item 16: weights replaced together with a rewritten manifest pass the sha256 check.
// The teacher's top-1 on an evenly strided slice of the test set (every k-th image, so a
// class-sorted folder gives every class) is compared with the manifest's: a difference
// beyond five binomial standard errors (at least 2 points) refuses the run.
void check_teacher_accuracy(Net teacher, const DataSplits& data, const TeacherManifest& m,
                            torch::Device device, const std::string& model, const std::string& dataset) {
  const int64_t total = data.test.size();
  if (m.test_top1 <= 0 || total == 0) return;
  const int64_t n = std::min<int64_t>(total, kTeacherCheckImages);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i * total / n;
  const auto acc = evaluate([&](const torch::Tensor& x) { return teacher->forward(x); }, data.test.subset(idx),
                            data.info, kEvalBatch, device);
  const double p = std::clamp(m.test_top1 / 100.0, 0.05, 0.95);
  const double tolerance = std::max(2.0, 5.0 * 100.0 * std::sqrt(p * (1 - p) / static_cast<double>(n)));
  if (std::abs(acc.top1 - m.test_top1) > tolerance)
    throw CorruptFileError(fmt::format(
        "the {} teacher for {} scores {:.2f}% top-1 on {} test images, but its manifest says {:.2f}% (more than "
        "{:.1f} points apart): its weights are not the ones the manifest describes, or the test set is another; "
        "retrain with `dfq teacher --model {} --dataset {}`",
        model, dataset, acc.top1, n, m.test_top1, tolerance, model, dataset));
}

// Before a run is recorded: its checkpoint folder can be made and written to (else the run
// would fail at its first epoch's end, after that epoch's work).
void check_writable_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  const auto probe = folder / fmt::format(".write-test.{}", ::getpid());
  if (!ec) {
    std::ofstream(probe.string()) << "x";
    if (!fs::exists(probe, ec)) ec = std::make_error_code(std::errc::permission_denied);
    std::error_code ignored;
    fs::remove(probe, ignored);
  }
  if (ec)
    throw InvalidInputError(fmt::format("cannot write checkpoints to {} ({}): pass --checkpoints DIR for a "
                                        "writable folder, or --checkpoints '' for none",
                                        folder.string(), ec.message()));
}

}  // namespace

// The cell's teacher, frozen and in eval mode (RunContext's contract), checked against
// the data set's shape.
Net load_cell_teacher(const ResolvedCell& cell, TeacherManifest& manifest) {
  const auto& key = cell.key;
  const auto& info = dataset_info(key.dataset);
  Net teacher = load_teacher(key.dataset, key.model, cell.zoo.empty() ? default_zoo_dir() : cell.zoo, &manifest);
  teacher->eval();
  for (auto& p : teacher->parameters()) p.set_requires_grad(false);
  if (manifest.num_classes != info.classes || manifest.in_channels != info.channels ||
      manifest.image_size != info.size)
    throw InvalidInputError(fmt::format("the {} teacher expects {}x{}x{} inputs and {} classes, but {} has {}x{}x{} "
                                        "and {}; train a teacher for this data set",
                                        key.model, manifest.in_channels, manifest.image_size, manifest.image_size,
                                        manifest.num_classes, key.dataset, info.channels, info.size, info.size,
                                        info.classes));
  return teacher;
}

CellResult run_cell(RunStore& store, const CellRequest& req) {
  return run_cell(store, resolve_cell(req), RunFolders{req.cache_dir, req.checkpoint_dir});
}

std::string checkpoint_path(const std::string& folder, const ResolvedCell& cell) {
  return (fs::path(folder) / safe_component(cell.key.suite.empty() ? "none" : cell.key.suite) /
          fmt::format("{}.{}.pt", cell_name(cell.key), cell.config.hash()))
      .string();
}

std::unique_ptr<PreparedCell> prepare_cell(const ResolvedCell& cell, const RunFolders& folders) {
  const auto& key = cell.key;
  const torch::Device device = parse_device(cell.device);  // fails here, in one line, before any work
  auto p = std::make_unique<PreparedCell>();
  p->data = load_dataset(key.dataset, cell.data_root);
  Net teacher = load_cell_teacher(cell, p->manifest);
  teacher->to(device);
  check_teacher_accuracy(teacher, p->data, p->manifest, device, key.model, key.dataset);
  RunContext& ctx = p->ctx;
  ctx.teacher = teacher;
  ctx.data = &p->data;
  ctx.config = cell.config;
  ctx.quant = cell.quant;
  ctx.seed = static_cast<uint64_t>(key.seed);
  ctx.device = device;
  ctx.fp_top1 = p->manifest.test_top1;
  ctx.teacher_id = p->manifest.sha256;
  ctx.image_cache = ImageCache(folders.cache);
  if (!folders.checkpoints.empty()) ctx.checkpoint = checkpoint_path(folders.checkpoints, cell);
  ctx.title = fmt::format("{} W{}A{} {} seed {}", cell.method->name, key.w_bits, key.a_bits, key.model, key.seed);
  return p;
}

CellResult run_cell(RunStore& store, const ResolvedCell& cell, const RunFolders& folders, int64_t claimed_run) {
  const auto& method = *cell.method;
  const auto& key = cell.key;
  auto prepared = prepare_cell(cell, folders);
  RunContext& ctx = prepared->ctx;
  const auto& data = prepared->data;
  if (!ctx.checkpoint.empty()) check_writable_folder(fs::path(ctx.checkpoint).parent_path());

  const Environment env = capture_environment(device_name(ctx.device));
  // Recorded as the run's device; a GPU run also records metric cuda_deterministic = 1 (see
  // configure_determinism). Int8 export and its latency stay on the CPU (deployment.cpp).
  const bool deterministic = !configure_determinism(ctx.device).empty();
  int64_t run_id = claimed_run;
  if (claimed_run > 0)
    store.adopt_run(claimed_run, key, cell.config.hash(), env);
  else
    run_id = store.begin_run(key, cell.config.dump(), cell.config.hash(), env, method.paper, method.year, cell.notes);
  StoreLogger logger(store, run_id);
  ctx.log = &logger;
  // With the temporaries of writers killed mid-write, and its suite's folder once empty.
  const auto drop_checkpoint = [&] {
    if (ctx.checkpoint.empty()) return;
    std::error_code ignored;
    fs::remove(ctx.checkpoint, ignored);
    const auto folder = fs::path(ctx.checkpoint).parent_path();
    const auto tmp_prefix = fs::path(ctx.checkpoint).filename().string() + ".tmp.";
    for (const auto& f : fs::directory_iterator(folder, ignored))
      if (f.path().filename().string().rfind(tmp_prefix, 0) == 0) fs::remove(f.path(), ignored);
    if (fs::is_empty(folder, ignored)) fs::remove(folder, ignored);
  };
  seed_everything(ctx.seed);
  try {
    method.run(ctx);
    progress_note(ctx.title + ": int8 export and int8 test top-1");
    log_deployment_metrics(ctx);
    // #16 §4: a sweep's worker (a claimed run) leaves latency to the sweep's measurement
    // phase, which runs when no sibling trains; a lone run measures it now.
    if (claimed_run <= 0 && ctx.student) {
      progress_note(ctx.title + ": latency (fp32, fake-quant, int8; batch 1 and 64)");
      for (const auto& [k, v] : measure_latencies(ctx.teacher, ctx.student, ctx.int8.get(), data.info))
        logger.metric(k, v);
    }
  } catch (const InterruptedError& e) {
    store.end_run(run_id, "interrupted", e.what());  // its checkpoint stays: the next run resumes it
    throw;
  } catch (const CheckpointError& e) {  // unreadable or another run's: the next run starts over
    store.end_run(run_id, "failed", e.what());
    drop_checkpoint();
    throw;
  } catch (const std::exception& e) {
    // Kept: a transient fault (a full disk, memory, a locked store) need not cost the epochs
    // done; the next run of the cell resumes them.
    store.end_run(run_id, "failed", e.what());
    throw;
  }
  if (deterministic) logger.metric("cuda_deterministic", 1.0);
  store.finish_run(run_id, logger.metrics);
  drop_checkpoint();
  return {run_id, "done", logger.metrics, cell.config.dump()};
}

}  // namespace dfq
