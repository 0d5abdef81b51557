// What a method plugin sees (RunContext) and what it declares (MethodDescriptor).
// A method never opens files, parses configs or touches SQL: it reads its Config,
// trains/calibrates the student it makes from the context, and logs curves and metrics.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/quant/quantize.h"
#include "core/util/config.h"
#include "models/net.h"

namespace dfq {

using Values = std::vector<std::pair<std::string, double>>;

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
  std::string cache_dir;       // synthesised-image cache; empty: no cache
  Net student;                 // set by the method: the final quantized student (deployment metrics)

  // A fresh fake-quantized copy of the teacher (eval mode: BN statistics frozen).
  Net make_student() const;
};

struct MethodDescriptor {
  std::string name;
  std::string paper;
  int year = 0;
  nlohmann::json defaults;            // every key the method reads, with its default
  std::vector<int> bits;              // supported weight/activation bit-widths
  bool needs_generator = false;
  bool fine_tunes = false;
  // Named override sets (`dfq run --preset NAME`): "tiny" shrinks a run to a couple of
  // iterations (registry test, smoke runs); "short" is the few-minute schedule of
  // `make compare`. Applied before --set, so --set wins.
  std::map<std::string, std::vector<std::string>> presets;
  // Fills "auto" values that depend on the run (bits, model) and validates; before any work.
  std::function<void(Config&, const QuantConfig&, const ModelSpec&)> resolve;
  std::function<void(RunContext&)> run;
};

}  // namespace dfq
