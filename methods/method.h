// What a method declares (MethodDescriptor) and what it sees when it runs (RunContext).
// A method never opens files, parses text or touches SQL: it reads its settings through
// its parameter blocks from the resolved Config, trains or calibrates the student it
// makes from the context, and logs curves and metrics.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/config/params.h"
#include "core/data/dataset.h"
#include "core/data/image_cache.h"
#include "core/quant/quantize.h"
#include "methods/train/step.h"
#include "models/net.h"

namespace dfq {

class RunLogger {
 public:
  virtual ~RunLogger() = default;
  // Per-epoch (or per-step) series; written as they come.
  virtual void curve(int64_t step, const Values& values) = 0;
  // Final metrics; committed together with the run's `done` status.
  virtual void metric(const std::string& key, double value) = 0;
};

// Keeps everything in memory (tests, and runs without a store).
class MemoryLogger : public RunLogger {
 public:
  void curve(int64_t step, const Values& values) override;
  void metric(const std::string& key, double value) override { metrics[key] = value; }
  std::map<std::string, double> metrics;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> curves;
};

struct RunContext {
  Net teacher;                 // full precision, eval mode, frozen (run_cell sees to it)
  const DataSplits* data = nullptr;
  Config config;               // the method's resolved configuration
  QuantConfig quant;           // bits and range tracker for the student
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  RunLogger* log = nullptr;
  std::string title;           // for progress lines
  double fp_top1 = -1;         // the teacher's test top-1 (from its manifest), -1 if unknown
  std::string teacher_id;      // the teacher weights' sha256 (cache keys)
  ImageCache image_cache{""};  // synthesised-image cache (disabled when its folder is empty)
  // Where the trainer keeps this run's per-epoch checkpoint and resumes from it when it is
  // there (methods/train/checkpoint.h); empty: none.
  std::string checkpoint;
  Net student;                 // set by the method: the final quantized student (deployment metrics)
  std::shared_ptr<Int8Model> int8;  // the student lowered to int8 kernels (log_deployment_metrics), or null

  // A fresh fake-quantized copy of the teacher (eval mode: BN statistics frozen).
  Net make_student() const;
};

struct MethodDescriptor {
  std::string name;
  std::string paper;
  int year = 0;
  Schema params;                      // every setting the method reads, with its defaults
  std::vector<int> bits;              // supported weight/activation bit-widths
  bool needs_generator = false;
  bool fine_tunes = false;
  // Named override sets (`dfq run --preset NAME`): "tiny" shrinks a run to a couple of
  // iterations (registry test, smoke runs); "short" is the few-minute schedule of
  // `make compare`. Applied before suite settings and --set, which win.
  std::map<std::string, std::vector<std::string>> presets;
  // Where the method departs from its official code, each line naming the official file;
  // recorded with every run and shown by `dfq list` and the reports.
  std::vector<std::string> deviations;
  // Optional: lines that hold for one resolved cell only (e.g. a setting no official
  // configuration gives for this model and bit-width, chosen by this project).
  std::function<std::vector<std::string>(const Config&, const QuantConfig&, const ModelSpec&)> cell_notes;
  // Fills the "auto" values that depend on the cell (bits, model); once, before any work.
  std::function<void(Config&, const QuantConfig&, const ModelSpec&)> resolve;
  // Checks across keys of a resolved configuration (also run on a resolved-config file).
  std::function<void(const Config&, const QuantConfig&)> validate;
  std::function<void(RunContext&)> run;
  // Trained methods on the shared loop: their image source and losses (`run` runs them
  // over the schedule; the benchmarks time one iteration of them).
  std::function<TrainerParts(RunContext&)> trainer_parts;

  bool has_setting(const std::string& key) const {
    for (const auto& p : params)
      if (p.key == key) return true;
    return false;
  }
};

}  // namespace dfq
