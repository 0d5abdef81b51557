#include "apps/measure.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/cell.h"
#include "apps/runner.h"
#include "core/data/dataset.h"
#include "core/quant/quantize.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "methods/train/deployment.h"
#include "models/zoo.h"

namespace dfq {

std::map<std::string, double> measure_run(RunStore& store, const RunRecord& run, const std::string& zoo) {
  if (run.status != "done")
    throw InvalidInputError(fmt::format("run {} is {}: only finished runs are measured", run.id, run.status));
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(run.config_json);
  } catch (const nlohmann::json::exception& e) {
    throw CorruptFileError(fmt::format("run {} of {} has an unreadable configuration ({})", run.id, store.path(),
                                       e.what()));
  }
  // The run as a resolved cell: its method's schema checks the stored configuration.
  nlohmann::json cell_json = key_json(run.key);
  cell_json.update({{"format", "dfqbench-cell/1"}, {"zoo", zoo}, {"config", config}});
  const ResolvedCell cell = ResolvedCell::from_json(cell_json);
  TeacherManifest manifest;
  Net teacher = load_cell_teacher(cell, manifest);
  const DatasetInfo& info = dataset_info(run.key.dataset);
  torch::NoGradGuard ng;
  Net student = clone_model(teacher);
  quantize_model(*student, cell.quant);
  student->eval();
  set_calibration(*student, true);
  for (int i = 0; i < 2; ++i) student->forward(torch::randn({64, info.channels, info.size, info.size}));
  set_calibration(*student, false);
  Int8Options io;
  auto int8 = lower_to_int8(student, info, io);
  auto m = measure_latencies(teacher, student, int8.get(), info);
  store.add_metrics(run.id, m);
  return m;
}

int measure_runs(RunStore& store, const std::vector<RunRecord>& runs, const std::string& zoo,
                 const std::string& resume,
                 const std::function<void(int, const RunRecord&, const std::map<std::string, double>&)>& after_each) {
  int noisy = 0, done = 0;
  for (const auto& run : runs) {
    if (stop_requested())
      throw InterruptedError(
          fmt::format("latency measurement stopped after {} of {} runs; {}", done, runs.size(), resume));
    const auto m = measure_run(store, run, zoo);
    noisy += m.count("latency_noisy") && m.at("latency_noisy") > 0;
    after_each(++done, run, m);
  }
  return noisy;
}

bool has_latency(const std::map<std::string, double>& metrics) { return metrics.count("latency_noisy") > 0; }

std::string describe_latency(const std::map<std::string, double>& m) {
  const char* model = m.count("latency_ms_p50_int8_b1") ? "int8" : "fakequant";
  auto ms = [&](int batch) {
    const auto k = fmt::format("latency_ms_p50_{}_b{}", model, batch);
    const auto cv = fmt::format("latency_cv_{}_b{}", model, batch);
    return m.count(k) ? fmt::format("{:.2f} ms (cv {:.0f} %)", m.at(k), 100 * (m.count(cv) ? m.at(cv) : 0.0))
                      : std::string("-");
  };
  std::string s = fmt::format("{} batch 1 {}, batch 64 {}", model, ms(1), ms(64));
  if (m.count("latency_noisy") && m.at("latency_noisy") > 0)
    s += fmt::format("; noisy (other processes used {:.1f} cores, or a figure varied by more than {:.0f} %)",
                     m.count("latency_other_load") ? m.at("latency_other_load") : -1.0, 100 * kNoisyCv);
  return s;
}

}  // namespace dfq
